using System.Buffers.Binary;
using Store.Diagnostics;

namespace Snapshot.Format;

/// <summary>
/// The last 64 bytes of a checkpoint data file, written after the last record (little-endian):
/// <code>
/// 0  u64 magic         "STORECKT" (0x544B4345524F5453)
/// 8  u64 recordCount   page records in the file (a page batch is one record)
/// 16 u64 recordBytes   bytes from the end of the header to the start of the trailer
/// 24 u64 granules      granules covered by all records (64 per full page)
/// 32 u32 minKeyGroup   smallest key group among the records (0xFFFFFFFF when none)
/// 36 u32 maxKeyGroup   largest key group among the records, store-wide pages excluded (0 when none)
/// 40 u64 pages         pages the records carry, each page of a batch counted (format 3; reserved zero in format 2, where it equals recordCount)
/// 48 u8[8] reserved    zero
/// 56 u64 checksum      XxHash3 of bytes [0, 56)
/// </code>
/// A file without a valid trailer was cut short: the catalog never references such a file, but a
/// reader checks anyway.
/// </summary>
public readonly record struct DataFileTrailer(long RecordCount, long RecordBytes, long Granules, uint MinKeyGroup, uint MaxKeyGroup, long Pages)
{
    public const ulong Magic = 0x544B4345524F5453; // "STORECKT"
    public const int Size = 64;
    public const int PagesOffset = 40;
    public const int ChecksumOffset = 56;

    public void Write(Span<byte> destination)
    {
        Span<byte> d = destination[..Size];
        d.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(d, Magic);
        BinaryPrimitives.WriteInt64LittleEndian(d[8..], RecordCount);
        BinaryPrimitives.WriteInt64LittleEndian(d[16..], RecordBytes);
        BinaryPrimitives.WriteInt64LittleEndian(d[24..], Granules);
        BinaryPrimitives.WriteUInt32LittleEndian(d[32..], MinKeyGroup);
        BinaryPrimitives.WriteUInt32LittleEndian(d[36..], MaxKeyGroup);
        BinaryPrimitives.WriteInt64LittleEndian(d[PagesOffset..], Pages);
        BinaryPrimitives.WriteUInt64LittleEndian(d[ChecksumOffset..], Checksum.Of(d[..ChecksumOffset]));
    }

    /// <summary>Parses and checks a trailer. <see cref="Pages"/> is as stored: a format-2 reader replaces it with <see cref="RecordCount"/>.</summary>
    public static DataFileTrailer Read(ReadOnlySpan<byte> source, string file, long offset)
    {
        ulong magic = BinaryPrimitives.ReadUInt64LittleEndian(source);
        if (magic != Magic)
        {
            throw new StoreCorruptedException($"data file trailer magic is 0x{magic:X16}, expected 0x{Magic:X16} (\"STORECKT\"); the file may be truncated",
                file, offset, null);
        }

        ulong stored = BinaryPrimitives.ReadUInt64LittleEndian(source[ChecksumOffset..]);
        ulong actual = Checksum.Of(source[..ChecksumOffset]);
        if (stored != actual)
        {
            throw new StoreCorruptedException($"data file trailer checksum is 0x{stored:X16}, computed 0x{actual:X16}", file, offset + ChecksumOffset, null);
        }

        return new DataFileTrailer(
            BinaryPrimitives.ReadInt64LittleEndian(source[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[24..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[32..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[36..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[PagesOffset..]));
    }
}
