using System.Buffers.Binary;

namespace Store.Index;

/// <summary>A page's 16-byte header, decoded (see <see cref="PageHeader"/>).</summary>
/// <param name="KeyGroup">Null for store-wide pages (meta, group table, free).</param>
public readonly record struct PageHeaderInfo(PageKind Kind, byte LayoutVersion, int? KeyGroup, uint Next, uint FieldA, uint FieldB);

/// <summary>One live record of a bucket page, decoded for inspection.</summary>
/// <param name="Offset">Byte offset of the record inside the page.</param>
/// <param name="KeyGroup">The key group the key hashes to (which should be the page's).</param>
/// <param name="Value">The inline value; null when the value lives in a blob chain starting at <paramref name="FirstBlobPage"/>.</param>
public sealed record BucketRecordInfo(int Slot, int Offset, byte[] Key, int KeyGroup, int ValueLength, byte[]? Value, uint FirstBlobPage);

/// <summary>
/// Reads the store's page layouts for tools (pagedump): headers, and the records of bucket pages.
/// Allocates freely and checks every offset against the page, because a tool may be handed a
/// damaged page; nothing here is on a hot path.
/// </summary>
public static class PageDecoder
{
    public static PageHeaderInfo Header(ReadOnlySpan<byte> page) => new(
        PageHeader.Kind(page),
        page[PageHeader.LayoutVersionOffset],
        PageHeader.KeyGroup(page),
        PageHeader.Next(page).Value,
        PageHeader.FieldA(page),
        PageHeader.FieldB(page));

    /// <summary>
    /// The live records of a bucket page, in slot order; empty for other kinds. A slot whose
    /// offset or lengths do not fit the page is reported in <paramref name="problems"/> and skipped.
    /// </summary>
    public static IReadOnlyList<BucketRecordInfo> BucketRecords(ReadOnlySpan<byte> page, int maxParallelism, List<string>? problems = null)
    {
        var records = new List<BucketRecordInfo>();
        if (PageHeader.Kind(page) != PageKind.Bucket)
        {
            return records;
        }

        int floor = BucketPage.HeapFloor(page.Length);
        for (int slot = 0; slot < BucketPage.SlotCount(page.Length); slot++)
        {
            byte tag = page[BucketPage.TagOffset(slot)];
            if (tag >= BucketPage.EmptyTag)
            {
                continue; // empty or deleted
            }

            int offset = BucketPage.RecordOffset(page, slot);
            if (offset < floor || offset + BucketPage.RecordHeaderSize > page.Length)
            {
                problems?.Add($"slot {slot}: record offset {offset} lies outside the heap [{floor}, {page.Length})");
                continue;
            }

            int keyLength = BinaryPrimitives.ReadUInt16LittleEndian(page[offset..]);
            bool external = (page[offset + 2] & BucketPage.ExternalValueFlag) != 0;
            int valueLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(page[(offset + 4)..]);
            int stored = external ? 4 : valueLength;
            if (keyLength == 0 || (long)offset + BucketPage.RecordHeaderSize + keyLength + stored > page.Length)
            {
                problems?.Add($"slot {slot}: a record of key length {keyLength} and value length {valueLength} at offset {offset} does not fit the page");
                continue;
            }

            RecordView record = RecordView.At(page, offset);
            byte[] key = record.Key.ToArray();
            records.Add(new BucketRecordInfo(
                slot, offset, key, KeyHash.Of(key).KeyGroup(maxParallelism), record.ValueLength,
                record.IsExternal ? null : record.Stored.ToArray(),
                record.IsExternal ? record.FirstBlobPage.Value : 0));
        }

        return records;
    }
}
