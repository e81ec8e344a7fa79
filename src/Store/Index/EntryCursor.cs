using Store.Pages;

namespace Store.Index;

/// <summary>The non-generic face of <see cref="EntryCursor{TPages}"/>, so the public enumerator is not generic.</summary>
internal abstract class EntryCursor
{
    public abstract bool MoveNext();

    public abstract StoreEntry Current { get; }

    public abstract void Dispose();
}

/// <summary>
/// Walks a version's entries group by group, bucket by bucket, chain page by page, slot by slot.
/// External values are gathered into one reused buffer.
/// </summary>
internal sealed class EntryCursor<TPages> : EntryCursor where TPages : struct, IPageSource
{
    private readonly IndexReader<TPages> _reader;
    private readonly int _endGroup;
    private readonly Action? _onDispose;
    private byte[] _valueBuffer = [];
    private int _group;
    private PageId _root;
    private long _bucket = -1;
    private long _bucketCount;
    private PageId _page;
    private int _slot;
    private int _valueLength;
    private bool _external;
    private bool _disposed;

    public EntryCursor(IndexReader<TPages> reader, int fromGroup, int toGroup, Action? onDispose)
    {
        _reader = reader;
        _group = Math.Max(0, fromGroup) - 1;
        _endGroup = Math.Min(toGroup, reader.Geometry.MaxParallelism);
        _onDispose = onDispose;
    }

    public override StoreEntry Current
    {
        get
        {
            RecordView record = BucketPage.Record(_reader.Read(_page), _slot);
            ReadOnlySpan<byte> value = _external ? _valueBuffer.AsSpan(0, _valueLength) : record.Stored;
            return new StoreEntry(record.Key, value, _group);
        }
    }

    public override bool MoveNext()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (true)
        {
            if (!_page.IsNone && NextSlotInPage())
            {
                RecordView record = BucketPage.Record(_reader.Read(_page), _slot);
                _external = record.IsExternal;
                if (_external)
                {
                    _valueLength = record.ValueLength;
                    if (_valueBuffer.Length < _valueLength)
                    {
                        _valueBuffer = new byte[_valueLength];
                    }

                    _reader.CopyValue(record, _valueBuffer);
                }

                return true;
            }

            if (!_page.IsNone)
            {
                _page = PageHeader.Next(_reader.Read(_page));
                _slot = -1;
                if (!_page.IsNone)
                {
                    continue;
                }
            }

            if (!NextBucket())
            {
                return false;
            }
        }
    }

    private bool NextSlotInPage()
    {
        ReadOnlySpan<byte> page = _reader.Read(_page);
        int slots = BucketPage.SlotCount(page.Length);
        while (++_slot < slots)
        {
            if (page[BucketPage.TagOffset(_slot)] < BucketPage.EmptyTag)
            {
                return true;
            }
        }

        return false;
    }

    private bool NextBucket()
    {
        while (true)
        {
            if (!_root.IsNone && ++_bucket < _bucketCount)
            {
                _page = _reader.BucketPage(_reader.Read(_root), (uint)_bucket);
                _slot = -1;
                return true;
            }

            if (++_group >= _endGroup)
            {
                _page = PageId.None;
                return false;
            }

            _root = _reader.GroupRoot(_group);
            _bucket = -1;
            _bucketCount = _root.IsNone ? 0 : GroupPages.BucketCount(_reader.Read(_root));
        }
    }

    public override void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _onDispose?.Invoke();
        }
    }
}
