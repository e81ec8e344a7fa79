using System.Buffers.Binary;

namespace Store.Index;

/// <summary>A record about to be written into a bucket page: key, stored value bytes and header fields.</summary>
internal readonly ref struct PendingRecord
{
    public PendingRecord(ReadOnlySpan<byte> key, ReadOnlySpan<byte> stored, int valueLength, byte flags, KeyHash hash)
    {
        Key = key;
        Stored = stored;
        ValueLength = valueLength;
        Flags = flags;
        Hash = hash;
    }

    public ReadOnlySpan<byte> Key { get; }

    public ReadOnlySpan<byte> Stored { get; }

    public int ValueLength { get; }

    public byte Flags { get; }

    public KeyHash Hash { get; }

    public int Size => BucketPage.RecordSize(Key.Length, Stored.Length);

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)Key.Length);
        destination[2] = Flags;
        destination[3] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], (uint)ValueLength);
        Key.CopyTo(destination[BucketPage.RecordHeaderSize..]);
        Stored.CopyTo(destination[(BucketPage.RecordHeaderSize + Key.Length)..]);
    }
}
