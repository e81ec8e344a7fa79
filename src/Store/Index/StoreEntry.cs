namespace Store.Index;

/// <summary>One key and its value during enumeration; the spans are valid until the next MoveNext.</summary>
public readonly ref struct StoreEntry
{
    internal StoreEntry(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, int keyGroup)
    {
        Key = key;
        Value = value;
        KeyGroup = keyGroup;
    }

    public ReadOnlySpan<byte> Key { get; }

    public ReadOnlySpan<byte> Value { get; }

    public int KeyGroup { get; }
}
