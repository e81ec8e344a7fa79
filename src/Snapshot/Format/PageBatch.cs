using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Store.Diagnostics;
using Store.Pages;

namespace Snapshot.Format;

/// <summary>
/// A page batch (record kind 4, data file format 3): the sparse changes of many pages under one
/// record header and one checksum. The record header names the batch's first page, carries the
/// data file's version (the frozen epoch) and key group 0xFFFF; the payload is one entry per page,
/// in ascending page id, with no padding (varints are unsigned LEB128, <see cref="Varint"/>):
/// <code>
/// varint pageGap      page id − the previous entry's page id; the first entry: − the record's page id, so 0; ≥ 1 after it
/// varint keyGroup     the page's key group (0xFFFF for store-wide pages)
/// varint versionBack  the record's version − the page's version (the epoch that last wrote the page)
/// varint extentCount  ≥ 1
/// extentCount × { varint gap     offset − end of the previous extent (the first: offset); extents ascend and never overlap
///                 varint length  1 to 65,535; the extent lies inside the page (a whole 64 KiB page is a full-page record)
///                 length bytes }
/// </code>
/// </summary>
/// <remarks>
/// Why: in format 2 each sparsely written page was a record of its own, a 20-byte header and a
/// 4-byte prefix per extent. At 8-byte values (about one changed byte per update) those were 74%
/// of an incremental checkpoint, and the changed bytes 4% (perf/HISTORY.md, "Four exact extents
/// per page"). An entry here is typically 8 bytes: gap, key group, version and count one byte each,
/// an offset in two, a length in one, then the byte itself. The price is the checksum's reach: a
/// damaged batch is reported once, at its record, and a reader cannot tell which of its pages the
/// damage hit. A batch's payload is at most <see cref="PageRecordHeader.MaxPayload"/>, like any
/// record's, so a batch covers at most a few hundred pages.
/// </remarks>
public static class PageBatch
{
    /// <summary>The bytes an entry takes; <paramref name="extents"/> ascend by offset and do not overlap.</summary>
    public static int EntryLength(uint pageGap, ushort keyGroup, uint versionBack, ReadOnlySpan<(int Offset, int Length)> extents)
    {
        int length = Varint.Length(pageGap) + Varint.Length(keyGroup) + Varint.Length(versionBack) + Varint.Length((uint)extents.Length);
        int end = 0;
        foreach ((int offset, int extentLength) in extents)
        {
            length += Varint.Length((uint)(offset - end)) + Varint.Length((uint)extentLength) + extentLength;
            end = offset + extentLength;
        }

        return length;
    }

    /// <summary>Writes an entry's head (page gap to extent count) at <paramref name="at"/> and moves past it.</summary>
    public static void WriteEntryHead(Span<byte> destination, ref int at, uint pageGap, ushort keyGroup, uint versionBack, int extentCount)
    {
        Varint.Write(destination, ref at, pageGap);
        Varint.Write(destination, ref at, keyGroup);
        Varint.Write(destination, ref at, versionBack);
        Varint.Write(destination, ref at, (uint)extentCount);
    }

    /// <summary>Writes an extent's gap and length at <paramref name="at"/> and moves past them; its bytes follow.</summary>
    public static void WriteExtentPrefix(Span<byte> destination, ref int at, int gap, int length)
    {
        Varint.Write(destination, ref at, (uint)gap);
        Varint.Write(destination, ref at, (uint)length);
    }

    /// <summary>
    /// Reads the entry at <paramref name="at"/> of a verified batch <paramref name="payload"/> and
    /// moves past it. Its extents are re-encoded into <paramref name="extents"/> in the layout of a
    /// kind-3 record (repeated u16 offset, u16 length, bytes), so that every reader applies batched
    /// and standalone extents alike. Returns the page's record header (kind
    /// <see cref="PageRecordKind.Extents"/>, with its granule mask and <see cref="PageRecordHeader.EntryLength"/>).
    /// </summary>
    /// <param name="previous">The previous entry's page; null for the first entry.</param>
    /// <param name="payloadOffset">The payload's file offset, to name where a bad entry is.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
    public static PageRecordHeader ReadEntry(
        ReadOnlySpan<byte> payload, ref int at, in PageRecordHeader batch, PageId? previous, int pageSize, uint pageCount,
        Span<byte> extents, string file, long payloadOffset)
    {
        int start = at;
        PageId from = previous ?? batch.Page;
        if (!Varint.TryRead(payload, ref at, out uint pageGap)
            || (previous is null ? pageGap != 0 : pageGap == 0)
            || (ulong)from.Value + pageGap >= pageCount)
        {
            throw Bad($"page batch entry has a bad page gap after {from} ({pageCount} pages in the checkpoint)", from);
        }

        var pageId = new PageId(from.Value + pageGap);
        if (!Varint.TryRead(payload, ref at, out uint keyGroup) || keyGroup > ushort.MaxValue
            || !Varint.TryRead(payload, ref at, out uint versionBack) || versionBack > batch.Version
            || !Varint.TryRead(payload, ref at, out uint count) || count == 0)
        {
            throw Bad("page batch entry has a bad key group, version or extent count", pageId);
        }

        int granuleShift = System.Numerics.BitOperations.Log2((uint)pageSize / 64);
        ulong mask = 0;
        int written = 0;
        int end = 0;
        for (uint i = 0; i < count; i++)
        {
            if (!Varint.TryRead(payload, ref at, out uint gap) || !Varint.TryRead(payload, ref at, out uint length)
                || length is 0 or > ushort.MaxValue || (long)end + gap + length > pageSize
                || length > (uint)(payload.Length - at) || written + PageRecordHeader.ExtentPrefixSize + (int)length > extents.Length)
            {
                throw Bad($"page batch entry's extent {i} does not fit its page ({pageSize} bytes) or the batch", pageId);
            }

            int offset = end + (int)gap;
            BinaryPrimitives.WriteUInt16LittleEndian(extents[written..], (ushort)offset);
            BinaryPrimitives.WriteUInt16LittleEndian(extents[(written + 2)..], (ushort)length);
            payload.Slice(at, (int)length).CopyTo(extents[(written + PageRecordHeader.ExtentPrefixSize)..]);
            written += PageRecordHeader.ExtentPrefixSize + (int)length;
            at += (int)length;
            end = offset + (int)length;
            mask |= DirtyRegion.GranuleBits(offset, (int)length, granuleShift);
        }

        return new PageRecordHeader(pageId, batch.Version - versionBack, (ushort)keyGroup, PageRecordKind.Extents, written, mask)
        {
            EntryLength = at - start,
        };

        StoreCorruptedException Bad(string detail, PageId page) => new(detail, file, payloadOffset + start, page);
    }
}
