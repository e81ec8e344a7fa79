namespace Store;

/// <summary>
/// The update of a read-modify-write, as a struct so the call is inlined and allocates nothing.
/// <c>current</c> is empty and <c>exists</c> false when the key is absent. <c>current</c> points
/// into the store's pages: read it, never keep it, and do not call the store from inside.
/// </summary>
public interface IValueUpdater
{
    /// <summary>The length of the new value (1 to MaxValueLength).</summary>
    int NewLength(scoped ReadOnlySpan<byte> current, bool exists);

    /// <summary>Writes the new value into <paramref name="destination"/> (exactly NewLength bytes).</summary>
    void Update(scoped ReadOnlySpan<byte> current, bool exists, scoped Span<byte> destination);
}
