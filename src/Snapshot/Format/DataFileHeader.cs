using System.Buffers.Binary;
using Store.Diagnostics;

namespace Snapshot.Format;

/// <summary>
/// The first 64 bytes of a checkpoint data file (little-endian):
/// <code>
/// 0  u64 magic          "STORECKD" (0x444B4345524F5453)
/// 8  u32 formatVersion  3 (page batches); 2 is still read (one record per page); 1 was never released
/// 12 u32 headerSize     64
/// 16 i64 checkpointId   the checkpoint that wrote this file
/// 24 i64 baseId         the checkpoint this one is a delta of; 0 for a full checkpoint
/// 32 u32 version        the store epoch that was frozen (informative; epochs restart after a restore)
/// 36 u32 pageCount      pages in that version; every record's page id is below it
/// 40 u32 pageSize
/// 44 u32 maxParallelism key groups of the store
/// 48 u8  kind           1 full, 2 incremental
/// 49 u8[7] reserved     zero
/// 56 u64 checksum       XxHash3 of bytes [0, 56)
/// </code>
/// </summary>
public readonly record struct DataFileHeader(
    CheckpointId Checkpoint,
    CheckpointId Base,
    uint Version,
    uint PageCount,
    int PageSize,
    int MaxParallelism,
    CheckpointKind Kind)
{
    public const ulong Magic = 0x444B4345524F5453; // "STORECKD"

    /// <summary>The format this build writes.</summary>
    public const uint FormatVersion = 3;

    /// <summary>The oldest format this build still reads: checkpoints written before an upgrade stay restorable.</summary>
    public const uint OldestReadableFormat = 2;

    public const int Size = 64;
    public const int FormatVersionOffset = 8;
    public const int CheckpointIdOffset = 16;
    public const int BaseIdOffset = 24;
    public const int VersionOffset = 32;
    public const int PageCountOffset = 36;
    public const int PageSizeOffset = 40;
    public const int MaxParallelismOffset = 44;
    public const int KindOffset = 48;
    public const int ChecksumOffset = 56;

    /// <summary>The format the file was written in (<see cref="FormatVersion"/> for a file this build writes).</summary>
    public uint Format { get; init; } = FormatVersion;

    public void Write(Span<byte> destination)
    {
        Span<byte> d = destination[..Size];
        d.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(d, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(d[FormatVersionOffset..], FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(d[12..], Size);
        BinaryPrimitives.WriteInt64LittleEndian(d[CheckpointIdOffset..], Checkpoint.Value);
        BinaryPrimitives.WriteInt64LittleEndian(d[BaseIdOffset..], Base.Value);
        BinaryPrimitives.WriteUInt32LittleEndian(d[VersionOffset..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(d[PageCountOffset..], PageCount);
        BinaryPrimitives.WriteUInt32LittleEndian(d[PageSizeOffset..], (uint)PageSize);
        BinaryPrimitives.WriteUInt32LittleEndian(d[MaxParallelismOffset..], (uint)MaxParallelism);
        d[KindOffset] = (byte)Kind;
        BinaryPrimitives.WriteUInt64LittleEndian(d[ChecksumOffset..], Checksum.Of(d[..ChecksumOffset]));
    }

    /// <summary>Parses and checks a header; <paramref name="file"/> names the file in errors.</summary>
    public static DataFileHeader Read(ReadOnlySpan<byte> source, string file)
    {
        if (source.Length < Size)
        {
            throw new StoreCorruptedException($"the file is {source.Length} bytes, shorter than its {Size}-byte header", file, 0, null);
        }

        ulong magic = BinaryPrimitives.ReadUInt64LittleEndian(source);
        if (magic != Magic)
        {
            throw new StoreCorruptedException($"data file magic is 0x{magic:X16}, expected 0x{Magic:X16} (\"STORECKD\")", file, 0, null);
        }

        // A version this build does not know is reported as such only when the v1 checksum holds,
        // so a bit flip in the version field is still corruption, never "upgrade your reader".
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(source[FormatVersionOffset..]);
        ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(source[ChecksumOffset..]);
        ulong actual = Checksum.Of(source[..ChecksumOffset]);
        if (stored != actual)
        {
            throw new StoreCorruptedException(
                $"data file header checksum is 0x{stored:X16}, computed 0x{actual:X16} (format version field reads {version})",
                file, ChecksumOffset, null);
        }

        if (version is < OldestReadableFormat or > FormatVersion)
        {
            throw new UnsupportedFormatException(file, version, FormatVersion);
        }

        var header = new DataFileHeader(
            new CheckpointId(BinaryPrimitives.ReadInt64LittleEndian(source[CheckpointIdOffset..])),
            new CheckpointId(BinaryPrimitives.ReadInt64LittleEndian(source[BaseIdOffset..])),
            BinaryPrimitives.ReadUInt32LittleEndian(source[VersionOffset..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[PageCountOffset..]),
            (int)BinaryPrimitives.ReadUInt32LittleEndian(source[PageSizeOffset..]),
            (int)BinaryPrimitives.ReadUInt32LittleEndian(source[MaxParallelismOffset..]),
            (CheckpointKind)source[KindOffset]) { Format = version };
        if (header.Kind is not (CheckpointKind.Full or CheckpointKind.Incremental) ||
            header.PageSize is < 4096 or > 65536 || (header.PageSize & (header.PageSize - 1)) != 0)
        {
            throw new StoreCorruptedException($"data file header has kind {(byte)header.Kind} and page size {header.PageSize}, which no writer produces",
                file, KindOffset, null);
        }

        return header;
    }
}
