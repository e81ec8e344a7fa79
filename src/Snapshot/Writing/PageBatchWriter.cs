using System.Diagnostics;
using System.IO.Pipelines;
using Snapshot.Format;
using Store.Pages;
using Store.Versioning;

namespace Snapshot.Writing;

/// <summary>
/// Builds page batches (<see cref="PageBatch"/>, record kind 4) in the pipe's own buffer: entries
/// are written straight into it, and <see cref="Seal"/> puts the record header in front of them.
/// Ordering: while a batch is open nothing else may write to the pipe or flush it, so the caller
/// seals before any other record and before each flush.
/// </summary>
internal sealed class PageBatchWriter(PipeWriter pipe, int pageSize, uint fileVersion)
{
    private readonly int _capacity = PageRecordHeader.MaxPayload(pageSize);
    private Memory<byte> _record;
    private int _length; // payload bytes so far; 0 when no batch is open
    private PageId _first;
    private PageId _last;

    public bool IsOpen => _length > 0;

    /// <summary>Batch records sealed so far.</summary>
    public long Records { get; private set; }

    /// <summary>Bytes of the batch records sealed so far, headers included.</summary>
    public long Bytes { get; private set; }

    /// <summary>The bytes an entry for <paramref name="page"/> takes in the open batch (or in a new one).</summary>
    public int EntryLength(PageId page, ushort keyGroup, uint version, ReadOnlySpan<(int Offset, int Length)> extents) =>
        PageBatch.EntryLength(IsOpen ? page.Value - _last.Value : 0, keyGroup, fileVersion - version, extents);

    /// <summary>
    /// Appends a page's entry, its bytes read from the frozen version. False, with nothing written,
    /// when the entry does not fit the open batch: seal it and append again. Any entry fits an empty batch.
    /// </summary>
    public bool TryAppend(IFrozenPageSource source, PageId page, ushort keyGroup, uint version, ReadOnlySpan<(int Offset, int Length)> extents)
    {
        Debug.Assert(version <= fileVersion, "a page was last written at or before the frozen version");
        Debug.Assert(!IsOpen || page.Value > _last.Value, "batch entries ascend by page id");
        int entry = EntryLength(page, keyGroup, version, extents);
        if (IsOpen && _length + entry > _capacity)
        {
            return false;
        }

        Debug.Assert(entry <= _capacity, "a page's extents (at most a page and their prefixes) fit an empty batch");
        if (!IsOpen)
        {
            _record = pipe.GetMemory(PageRecordHeader.Size + _capacity);
            _first = page;
            _last = page;
        }

        Span<byte> payload = _record.Span.Slice(PageRecordHeader.Size, _capacity);
        int at = _length;
        PageBatch.WriteEntryHead(payload, ref at, page.Value - _last.Value, keyGroup, fileVersion - version, extents.Length);
        int end = 0;
        foreach ((int offset, int length) in extents)
        {
            PageBatch.WriteExtentPrefix(payload, ref at, offset - end, length);
            source.CopyPage(page, offset, payload.Slice(at, length));
            at += length;
            end = offset + length;
        }

        Debug.Assert(at - _length == entry, "an entry is exactly as long as EntryLength said");
        _length = at;
        _last = page;
        return true;
    }

    /// <summary>Seals the open batch into one record, if one is open.</summary>
    public void Seal()
    {
        if (!IsOpen)
        {
            return;
        }

        int length = PageRecordHeader.Size + _length;
        new PageRecordHeader(_first, fileVersion, Store.Index.PageHeader.StoreWideKeyGroup, PageRecordKind.Batch, _length).WriteAndSeal(_record.Span[..length]);
        pipe.Advance(length);
        Records++;
        Bytes += length;
        _length = 0;
        _record = default;
    }
}
