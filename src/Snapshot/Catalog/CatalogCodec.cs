using System.Buffers.Binary;
using System.Collections.Immutable;
using Snapshot.Format;
using Store.Diagnostics;

namespace Snapshot.Catalog;

/// <summary>
/// One catalog slot (little-endian). A catalog file holds two slots of <see cref="SlotSize"/>
/// bytes at offsets 0 and SlotSize; a commit overwrites the slot not holding the newest revision,
/// so a torn write can only damage the slot that was not yet committed (LMDB's meta pages).
/// <code>
/// slot header, 64 bytes
/// 0  u64 magic          "STORECAT" (0x54414345524F5453)
/// 8  u32 formatVersion  1
/// 12 u32 payloadLength  bytes after the header
/// 16 i64 revision       1, 2, 3 …; the valid slot with the higher revision is the catalog
/// 24 u8[32] reserved    zero
/// 56 u64 checksum       XxHash3 of header bytes [0, 56) followed by the payload
/// payload
/// 0  u32 pageSize        of the shard's store
/// 4  u32 maxParallelism  of the shard's store
/// 8  i64 nextFileId      the id the next data file gets
/// 16 u32 checkpointCount
/// 20 u32 fileCount
/// 24 checkpoints, ascending id, each 64 bytes + 8 per chain file:
///    0 i64 id | 8 i64 baseId (0 = none) | 16 u8 kind | 17 u8 confirmed (0/1) | 18 u16 reserved
///    20 u32 version | 24 u32 pageCount | 28 u32 chainLength | 32 i64 createdUnixMs
///    40 i64 bytes | 48 i64 pages | 56 i64 granules | 64 i64 × chainLength data file ids, full first
/// then files, each 32 bytes:
///    0 i64 id | 8 i64 createdBy | 16 i64 lastUsedBy | 24 i64 length
/// </code>
/// </summary>
public static class CatalogCodec
{
    public const ulong Magic = 0x54414345524F5453; // "STORECAT"
    public const uint FormatVersion = 1;
    public const int SlotSize = 64 * 1024;
    public const int HeaderSize = 64;
    public const int PayloadLengthOffset = 12;
    public const int RevisionOffset = 16;
    public const int ChecksumOffset = 56;
    public const int PayloadHeaderSize = 24;
    public const int CheckpointEntrySize = 64;
    public const int FileEntrySize = 32;

    /// <summary>Serializes <paramref name="catalog"/> into a full slot image; throws when it does not fit.</summary>
    public static int Encode(ShardCatalog catalog, Span<byte> slot)
    {
        int length = PayloadHeaderSize + catalog.Files.Length * FileEntrySize;
        foreach (CheckpointEntry entry in catalog.Checkpoints)
        {
            length += CheckpointEntrySize + 8 * entry.Chain.Length;
        }

        if (HeaderSize + length > SlotSize)
        {
            throw new InvalidOperationException(
                $"The catalog of shard '{catalog.Shard}' needs {HeaderSize + length} bytes, more than a {SlotSize}-byte slot. " +
                "Lower RetainedCheckpoints or MaxChainLength.");
        }

        Span<byte> s = slot[..(HeaderSize + length)];
        s.Clear();
        Span<byte> p = s[HeaderSize..];
        BinaryPrimitives.WriteUInt32LittleEndian(p, (uint)catalog.PageSize);
        BinaryPrimitives.WriteUInt32LittleEndian(p[4..], (uint)catalog.MaxParallelism);
        BinaryPrimitives.WriteInt64LittleEndian(p[8..], catalog.NextFileId);
        BinaryPrimitives.WriteInt32LittleEndian(p[16..], catalog.Checkpoints.Length);
        BinaryPrimitives.WriteInt32LittleEndian(p[20..], catalog.Files.Length);
        int at = PayloadHeaderSize;
        foreach (CheckpointEntry e in catalog.Checkpoints)
        {
            Span<byte> c = p[at..];
            BinaryPrimitives.WriteInt64LittleEndian(c, e.Id.Value);
            BinaryPrimitives.WriteInt64LittleEndian(c[8..], e.Base.Value);
            c[16] = (byte)e.Kind;
            c[17] = e.Confirmed ? (byte)1 : (byte)0;
            BinaryPrimitives.WriteUInt32LittleEndian(c[20..], e.Version);
            BinaryPrimitives.WriteUInt32LittleEndian(c[24..], e.PageCount);
            BinaryPrimitives.WriteInt32LittleEndian(c[28..], e.Chain.Length);
            BinaryPrimitives.WriteInt64LittleEndian(c[32..], e.Created.ToUnixTimeMilliseconds());
            BinaryPrimitives.WriteInt64LittleEndian(c[40..], e.Bytes);
            BinaryPrimitives.WriteInt64LittleEndian(c[48..], e.Pages);
            BinaryPrimitives.WriteInt64LittleEndian(c[56..], e.Granules);
            for (int i = 0; i < e.Chain.Length; i++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(c[(CheckpointEntrySize + 8 * i)..], e.Chain[i].Value);
            }

            at += CheckpointEntrySize + 8 * e.Chain.Length;
        }

        foreach (DataFileEntry f in catalog.Files)
        {
            Span<byte> c = p[at..];
            BinaryPrimitives.WriteInt64LittleEndian(c, f.Id.Value);
            BinaryPrimitives.WriteInt64LittleEndian(c[8..], f.CreatedBy.Value);
            BinaryPrimitives.WriteInt64LittleEndian(c[16..], f.LastUsedBy.Value);
            BinaryPrimitives.WriteInt64LittleEndian(c[24..], f.Length);
            at += FileEntrySize;
        }

        BinaryPrimitives.WriteUInt64LittleEndian(s, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(s[8..], FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(s[PayloadLengthOffset..], length);
        BinaryPrimitives.WriteInt64LittleEndian(s[RevisionOffset..], catalog.Revision);
        BinaryPrimitives.WriteUInt64LittleEndian(s[ChecksumOffset..], SlotChecksum(s, length));
        return HeaderSize + length;
    }

    /// <summary>True when the slot was never written (all of its header is zero).</summary>
    public static bool IsEmpty(ReadOnlySpan<byte> slot) => !slot[..HeaderSize].ContainsAnyExcept((byte)0);

    /// <summary>Decodes a slot; <paramref name="file"/> and <paramref name="slotOffset"/> locate errors.</summary>
    public static ShardCatalog Decode(ReadOnlySpan<byte> slot, string shard, string file, long slotOffset)
    {
        ulong magic = BinaryPrimitives.ReadUInt64LittleEndian(slot);
        if (magic != Magic)
        {
            throw new StoreCorruptedException($"catalog slot magic is 0x{magic:X16}, expected 0x{Magic:X16} (\"STORECAT\")", file, slotOffset, null);
        }

        uint version = BinaryPrimitives.ReadUInt32LittleEndian(slot[8..]);
        int length = BinaryPrimitives.ReadInt32LittleEndian(slot[PayloadLengthOffset..]);
        if (length < PayloadHeaderSize || length > SlotSize - HeaderSize)
        {
            throw new StoreCorruptedException($"catalog slot payload length {length} is outside [{PayloadHeaderSize}, {SlotSize - HeaderSize}]",
                file, slotOffset + PayloadLengthOffset, null);
        }

        ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(slot[ChecksumOffset..]);
        ulong actual = SlotChecksum(slot, length);
        if (stored != actual)
        {
            throw new StoreCorruptedException($"catalog slot checksum is 0x{stored:X16}, computed 0x{actual:X16} (format version field reads {version})",
                file, slotOffset + ChecksumOffset, null);
        }

        if (version != FormatVersion)
        {
            throw new UnsupportedFormatException(file, version, FormatVersion);
        }

        ReadOnlySpan<byte> p = slot.Slice(HeaderSize, length);
        int checkpointCount = BinaryPrimitives.ReadInt32LittleEndian(p[16..]);
        int fileCount = BinaryPrimitives.ReadInt32LittleEndian(p[20..]);
        var checkpoints = ImmutableArray.CreateBuilder<CheckpointEntry>(Math.Max(0, checkpointCount));
        int at = PayloadHeaderSize;
        for (int i = 0; i < checkpointCount; i++)
        {
            Require(at + CheckpointEntrySize <= length, "a checkpoint entry runs past the payload", file, slotOffset + HeaderSize + at);
            ReadOnlySpan<byte> c = p[at..];
            int chainLength = BinaryPrimitives.ReadInt32LittleEndian(c[28..]);
            Require(chainLength >= 1 && at + CheckpointEntrySize + 8L * chainLength <= length,
                $"a checkpoint entry's chain length {chainLength} does not fit the payload", file, slotOffset + HeaderSize + at + 28);
            var chain = ImmutableArray.CreateBuilder<DataFileId>(chainLength);
            for (int j = 0; j < chainLength; j++)
            {
                chain.Add(new DataFileId(BinaryPrimitives.ReadInt64LittleEndian(c[(CheckpointEntrySize + 8 * j)..])));
            }

            checkpoints.Add(new CheckpointEntry(
                new CheckpointId(BinaryPrimitives.ReadInt64LittleEndian(c)),
                new CheckpointId(BinaryPrimitives.ReadInt64LittleEndian(c[8..])),
                (CheckpointKind)c[16],
                c[17] != 0,
                BinaryPrimitives.ReadUInt32LittleEndian(c[20..]),
                BinaryPrimitives.ReadUInt32LittleEndian(c[24..]),
                DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(c[32..])),
                BinaryPrimitives.ReadInt64LittleEndian(c[40..]),
                BinaryPrimitives.ReadInt64LittleEndian(c[48..]),
                BinaryPrimitives.ReadInt64LittleEndian(c[56..]),
                chain.MoveToImmutable()));
            at += CheckpointEntrySize + 8 * chainLength;
        }

        Require(fileCount >= 0 && at + (long)fileCount * FileEntrySize == length,
            $"{fileCount} file entries do not fill the rest of the payload", file, slotOffset + HeaderSize + 20);
        var files = ImmutableArray.CreateBuilder<DataFileEntry>(fileCount);
        for (int i = 0; i < fileCount; i++)
        {
            ReadOnlySpan<byte> f = p[(at + i * FileEntrySize)..];
            files.Add(new DataFileEntry(
                new DataFileId(BinaryPrimitives.ReadInt64LittleEndian(f)),
                new CheckpointId(BinaryPrimitives.ReadInt64LittleEndian(f[8..])),
                new CheckpointId(BinaryPrimitives.ReadInt64LittleEndian(f[16..])),
                BinaryPrimitives.ReadInt64LittleEndian(f[24..])));
        }

        var catalog = new ShardCatalog(
            shard,
            BinaryPrimitives.ReadInt64LittleEndian(slot[RevisionOffset..]),
            (int)BinaryPrimitives.ReadUInt32LittleEndian(p),
            (int)BinaryPrimitives.ReadUInt32LittleEndian(p[4..]),
            BinaryPrimitives.ReadInt64LittleEndian(p[8..]),
            checkpoints.MoveToImmutable(),
            files.MoveToImmutable());
        string? broken = catalog.Validate();
        Require(broken is null, $"catalog revision {catalog.Revision} is inconsistent: {broken}", file, slotOffset + HeaderSize);
        return catalog;
    }

    private static ulong SlotChecksum(ReadOnlySpan<byte> slot, int payloadLength)
    {
        var hash = new System.IO.Hashing.XxHash3();
        hash.Append(slot[..ChecksumOffset]);
        hash.Append(slot.Slice(HeaderSize, payloadLength));
        return hash.GetCurrentHashAsUInt64();
    }

    private static void Require(bool condition, string detail, string file, long offset)
    {
        if (!condition)
        {
            throw new StoreCorruptedException(detail, file, offset, null);
        }
    }
}
