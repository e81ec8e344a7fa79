using System.Buffers.Binary;
using System.Numerics;
using Store.Diagnostics;
using Store.Pages;

namespace Snapshot.Format;

/// <summary>
/// The 32-byte header in front of every page record of a data file (little-endian):
/// <code>
/// 0  u32 magic          "PREC" (0x43455250)
/// 4  u32 checksum       low 32 bits of XxHash3 over bytes [8, 32 + payloadLength): the rest of the header and the payload
/// 8  u32 pageId
/// 12 u32 version        store epoch that last wrote the page
/// 16 u16 keyGroup       from the page's own header; 0xFFFF for store-wide pages (meta, group table, free)
/// 18 u8  kind           PageRecordKind: 1 full page, 2 granules, 3 extents
/// 19 u8  reserved       zero
/// 20 u32 payloadLength
/// 24 u64 granuleMask    granules the payload covers (all ones for a full page)
/// 32 ..  payload
/// </code>
/// Records follow one another with no padding, in ascending page id.
/// </summary>
public readonly record struct PageRecordHeader(PageId Page, uint Version, ushort KeyGroup, PageRecordKind Kind, int PayloadLength, ulong GranuleMask)
{
    public const uint Magic = 0x43455250; // "PREC"
    public const int Size = 32;
    public const int ChecksumOffset = 4;
    public const int PageIdOffset = 8;
    public const int VersionOffset = 12;
    public const int KeyGroupOffset = 16;
    public const int KindOffset = 18;
    public const int PayloadLengthOffset = 20;
    public const int GranuleMaskOffset = 24;

    /// <summary>Extent payloads repeat this prefix: u16 offset, u16 length.</summary>
    public const int ExtentPrefixSize = 4;

    /// <summary>Writes the header in front of an already written payload and seals both with the checksum.</summary>
    public void WriteAndSeal(Span<byte> record)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(record, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(record[PageIdOffset..], Page.Value);
        BinaryPrimitives.WriteUInt32LittleEndian(record[VersionOffset..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(record[KeyGroupOffset..], KeyGroup);
        record[KindOffset] = (byte)Kind;
        record[KindOffset + 1] = 0;
        BinaryPrimitives.WriteInt32LittleEndian(record[PayloadLengthOffset..], PayloadLength);
        BinaryPrimitives.WriteUInt64LittleEndian(record[GranuleMaskOffset..], GranuleMask);
        uint checksum = Checksum.Of32(record[PageIdOffset..(Size + PayloadLength)]);
        BinaryPrimitives.WriteUInt32LittleEndian(record[ChecksumOffset..], checksum);
    }

    /// <summary>
    /// Parses the header at <paramref name="offset"/> of <paramref name="file"/> and checks what can
    /// </summary>
    public static PageRecordHeader Read(ReadOnlySpan<byte> source, string file, long offset, int pageSize)
    {
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(source);
        var page = new PageId(BinaryPrimitives.ReadUInt32LittleEndian(source[PageIdOffset..]));
        if (magic != Magic)
        {
            throw new StoreCorruptedException($"page record magic is 0x{magic:X8}, expected 0x{Magic:X8} (\"PREC\")", file, offset, null);
        }

        var header = new PageRecordHeader(
            page,
            BinaryPrimitives.ReadUInt32LittleEndian(source[VersionOffset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[KeyGroupOffset..]),
            (PageRecordKind)source[KindOffset],
            BinaryPrimitives.ReadInt32LittleEndian(source[PayloadLengthOffset..]),
            BinaryPrimitives.ReadUInt64LittleEndian(source[GranuleMaskOffset..]));
        if (header.PayloadLength < 0 || header.PayloadLength > MaxPayload(pageSize))
        {
            throw new StoreCorruptedException($"page record payload length {header.PayloadLength} exceeds the {MaxPayload(pageSize)}-byte maximum",
                file, offset + PayloadLengthOffset, page);
        }

        // The page id is only trusted once the checksum holds; until then errors name it as "claimed".
        return header;
    }

    /// <summary>The largest payload any record kind can have for a page size.</summary>
    public static int MaxPayload(int pageSize) => pageSize + 64 * ExtentPrefixSize;

    /// <summary>
    /// Checks the checksum and that the payload is consistent with the kind, the mask and the page
    /// size. <paramref name="record"/> spans the header and the payload.
    /// </summary>
    public void Verify(ReadOnlySpan<byte> record, string file, long offset, int pageSize, uint pageCount)
    {
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(record[ChecksumOffset..]);
        uint actual = Checksum.Of32(record[PageIdOffset..(Size + PayloadLength)]);
        if (stored != actual)
        {
            throw new StoreCorruptedException($"page record checksum is 0x{stored:X8}, computed 0x{actual:X8}", file, offset, Page);
        }

        if (Page.Value >= pageCount)
        {
            throw new StoreCorruptedException($"page record names {Page} but the checkpoint has {pageCount} pages", file, offset + PageIdOffset, Page);
        }

        int granuleSize = pageSize / 64;
        bool consistent = Kind switch
        {
            PageRecordKind.FullPage => PayloadLength == pageSize && GranuleMask == ulong.MaxValue,
            PageRecordKind.Granules => GranuleMask != 0 && PayloadLength == BitOperations.PopCount(GranuleMask) * granuleSize,
            PageRecordKind.Extents => GranuleMask != 0 && PayloadLength > ExtentPrefixSize,
            _ => false,
        };
        if (!consistent)
        {
            throw new StoreCorruptedException(
                $"page record of kind {(byte)Kind} has a {PayloadLength}-byte payload and granule mask {GranuleMask:X16}, which do not agree",
                file, offset + KindOffset, Page);
        }
    }
}
