using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using Store.Diagnostics;
using Store.Pages;

namespace Snapshot.Format;

/// <summary>
/// The 20-byte header in front of every page record of a data file (little-endian, format 2):
/// <code>
/// 0  u32 checksum       low 32 bits of XxHash3 over bytes [4, 20 + payloadLength): the rest of the header and the payload
/// 4  u32 pageId
/// 8  u32 version        store epoch that last wrote the page
/// 12 u16 keyGroup       from the page's own header; 0xFFFF for store-wide pages (meta, group table, free)
/// 14 u8  kind           PageRecordKind: 1 full page, 2 granules, 3 extents (format 2 only), 4 page batch (format 3)
/// 15 u8  reserved       zero
/// 16 u32 payloadLength
/// 20 ..  payload        kind 1: the page; kind 2: u64 granule mask, then those granules;
///                       kind 3: repeated (u16 offset, u16 length, bytes); kind 4: one entry per page (PageBatch)
/// </code>
/// Records follow one another with no padding, in ascending page id (a batch's pages lie between
/// the records before and after it).
/// </summary>
/// <remarks>
/// Why 20 bytes and the mask inside granule payloads: format 1's 32-byte header (magic, mask in
/// every header) alone made a one-value page cost 1.9× its 32 logical bytes; the checksum already
/// catches misframing, and only granule records need a mask. Even 20 bytes were most of a page that
/// changed in one small place (a counter, an aggregate), so format 3 puts such pages into batches
/// (<see cref="PageBatch"/>), one header for hundreds of pages.
/// </remarks>
/// <param name="GranuleMask">
/// Granules the record covers: all ones for a full page, the stored mask for granules, the
/// granules its extents touch for extents. Known once <see cref="Verify"/> has read the payload.
/// </param>
public readonly record struct PageRecordHeader(PageId Page, uint Version, ushort KeyGroup, PageRecordKind Kind, int PayloadLength, ulong GranuleMask = 0)
{
    public const int Size = 20;
    public const int ChecksumOffset = 0;
    public const int PageIdOffset = 4;
    public const int VersionOffset = 8;
    public const int KeyGroupOffset = 12;
    public const int KindOffset = 14;
    public const int PayloadLengthOffset = 16;

    /// <summary>Granule payloads start with the u64 mask.</summary>
    public const int GranuleMaskSize = 8;

    /// <summary>Extent payloads repeat this prefix: u16 offset, u16 length.</summary>
    public const int ExtentPrefixSize = 4;

    /// <summary>
    /// For a page read out of a batch (<see cref="PageBatch.ReadEntry"/>): the bytes of its entry.
    /// 0 for a record of its own.
    /// </summary>
    public int EntryLength { get; init; }

    public bool InBatch => EntryLength > 0;

    /// <summary>The bytes this page takes in its file: its entry in a batch, or its whole record.</summary>
    public int StoredLength => InBatch ? EntryLength : Size + PayloadLength;

    /// <summary>Writes the header in front of an already written payload and seals both with the checksum.</summary>
    public void WriteAndSeal(Span<byte> record)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(record[PageIdOffset..], Page.Value);
        BinaryPrimitives.WriteUInt32LittleEndian(record[VersionOffset..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(record[KeyGroupOffset..], KeyGroup);
        record[KindOffset] = (byte)Kind;
        record[KindOffset + 1] = 0;
        BinaryPrimitives.WriteInt32LittleEndian(record[PayloadLengthOffset..], PayloadLength);
        uint checksum = Checksum.Of32(record[PageIdOffset..(Size + PayloadLength)]);
        BinaryPrimitives.WriteUInt32LittleEndian(record[ChecksumOffset..], checksum);
    }

    /// <summary>
    /// Parses the header at <paramref name="offset"/> of <paramref name="file"/> and checks what can
    /// be checked without the payload (the payload bound). The page id is trusted only after <see cref="Verify"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
    public static PageRecordHeader Read(ReadOnlySpan<byte> source, string file, long offset, int pageSize)
    {
        var header = new PageRecordHeader(
            new PageId(BinaryPrimitives.ReadUInt32LittleEndian(source[PageIdOffset..])),
            BinaryPrimitives.ReadUInt32LittleEndian(source[VersionOffset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[KeyGroupOffset..]),
            (PageRecordKind)source[KindOffset],
            BinaryPrimitives.ReadInt32LittleEndian(source[PayloadLengthOffset..]));
        if (header.PayloadLength <= 0 || header.PayloadLength > MaxPayload(pageSize))
        {
            throw new StoreCorruptedException($"page record payload length {header.PayloadLength} is outside [1, {MaxPayload(pageSize)}]",
                file, offset + PayloadLengthOffset, null);
        }

        return header;
    }

    /// <summary>The largest payload any record kind can have for a page size (a page's few extents' prefixes at most, but any count is bounded by this).</summary>
    public static int MaxPayload(int pageSize) => pageSize + 64 * ExtentPrefixSize;

    /// <summary>
    /// Checks the checksum and that the payload is consistent with the kind and the page size, and
    /// returns the header with its <see cref="GranuleMask"/>. <paramref name="record"/> spans the
    /// header and the payload.
    /// </summary>
    /// <param name="formatVersion">The data file's format: batches exist from format 3 on.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
    public PageRecordHeader Verify(ReadOnlySpan<byte> record, string file, long offset, int pageSize, uint pageCount, uint formatVersion)
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

        if (Kind == PageRecordKind.Batch && formatVersion >= 3)
        {
            return this; // the entries are checked as they are read (PageBatch.ReadEntry)
        }

        ReadOnlySpan<byte> payload = record.Slice(Size, PayloadLength);
        int granuleShift = BitOperations.Log2((uint)pageSize / 64);
        ulong mask = Kind switch
        {
            PageRecordKind.FullPage when PayloadLength == pageSize => ulong.MaxValue,
            PageRecordKind.Granules when PayloadLength > GranuleMaskSize => BinaryPrimitives.ReadUInt64LittleEndian(payload),
            PageRecordKind.Extents => ExtentMask(payload, pageSize, granuleShift),
            _ => 0,
        };
        bool consistent = mask != 0 && (Kind != PageRecordKind.Granules || PayloadLength == GranuleMaskSize + (BitOperations.PopCount(mask) << granuleShift));
        if (!consistent)
        {
            throw new StoreCorruptedException(
                $"page record of kind {(byte)Kind} has a {PayloadLength}-byte payload that does not fit its kind (granule mask {mask:X16})",
                file, offset + KindOffset, Page);
        }

        return this with { GranuleMask = mask };
    }

    /// <summary>The granules an extent payload touches, or 0 when an extent does not fit the payload or the page.</summary>
    private static ulong ExtentMask(ReadOnlySpan<byte> payload, int pageSize, int granuleShift)
    {
        ulong mask = 0;
        int at = 0;
        while (at < payload.Length)
        {
            if (payload.Length - at < ExtentPrefixSize)
            {
                return 0;
            }

            int extentOffset = BinaryPrimitives.ReadUInt16LittleEndian(payload[at..]);
            int length = BinaryPrimitives.ReadUInt16LittleEndian(payload[(at + 2)..]);
            at += ExtentPrefixSize;
            if (length == 0 || length > payload.Length - at || extentOffset + length > pageSize)
            {
                return 0;
            }

            mask |= DirtyRegion.GranuleBits(extentOffset, length, granuleShift);
            at += length;
        }

        return mask;
    }
}
