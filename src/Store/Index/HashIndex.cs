using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Store.Pages;

namespace Store.Index;

/// <summary>
/// The keyed state: one linear-hashing table per key group, every byte of it in pages, so that the
/// page table versions and checkpoints it like any other page. Writer thread only.
/// </summary>
/// <remarks>
/// <para>Why one table per key group: every page then belongs to exactly one key group (its header
/// says which), so a key-group range can be read, checkpointed or handed to another operator
/// instance without touching the rest.</para>
/// <para>Why the writes look the way they do: an update of an existing value of the same length
/// writes only the bytes that differ, in place, which dirties one small extent of one page. That is
/// what keeps an incremental checkpoint close to the logical change. Inserts, deletes and splits
/// touch a few more regions (slot tag, offset, header counters) and are rarer in steady state.</para>
/// </remarks>
internal sealed partial class HashIndex
{
    /// <summary>
    /// Frames one operation may need at most besides blob pages: copies of the few pages it touches
    /// (group table, root, directory, a bucket chain, a split's two chains) and the pages it creates.
    /// Reserved before anything changes, so running out of disk never leaves an operation half done.
    /// </summary>
    private const int FramesPerOperation = 128;

    /// <summary>New values up to this length are computed on the stack by ReadModifyWrite; longer ones in a rented buffer.</summary>
    private const int StackValueLimit = 256;

    private readonly PageTable.PageTable _table;
    private readonly FramePool _frames;
    private readonly IndexGeometry _geometry;
    private readonly BucketMap _buckets;
    private readonly IndexReader<LivePages> _reader;
    private readonly byte[] _image;
    private readonly byte[] _chainImage;

    /// <param name="format">True for a new store; false when the pages come from a restore (see <see cref="LoadRestored"/>).</param>
    public HashIndex(PageTable.PageTable table, FramePool frames, IndexGeometry geometry, bool format = true)
    {
        _table = table;
        _frames = frames;
        _geometry = geometry;
        _buckets = new BucketMap(geometry.MaxParallelism);
        _reader = new IndexReader<LivePages>(new LivePages(table, _buckets), geometry);
        _image = new byte[geometry.PageSize];
        _chainImage = new byte[geometry.PageSize];
        if (format)
        {
            Format();
        }
    }

    public long Count { get; private set; }

    public IndexReader<LivePages> Reader => _reader;

    public BucketMap Buckets => _buckets;

    /// <summary>Creates the meta page and the (empty) group table of a new store.</summary>
    private void Format()
    {
        PageId meta = _table.Allocate();
        Debug.Assert(meta == MetaPage.Page, "the meta page is the first page");
        for (int i = 0; i < _geometry.GroupTablePages; i++)
        {
            PageId page = _table.Allocate();
            Debug.Assert(page.Value == _geometry.GroupTableFirst.Value + i, "group-table pages follow the meta page");
            Span<byte> image = ClearImage();
            PageHeader.Write(image, PageKind.GroupTable, PageHeader.StoreWideKeyGroup, PageId.None);
            _table.WriteIfChanged(page, 0, image);
        }

        Span<byte> metaImage = ClearImage();
        MetaPage.Write(metaImage, _geometry.PageSize, _geometry.MaxParallelism, _geometry.GroupTableFirst, _geometry.GroupTablePages);
        _table.WriteIfChanged(meta, 0, metaImage);
    }

    /// <summary>
    /// Checks restored pages against this store's geometry and recounts the entries (the count is
    /// kept per key group in the group roots; the in-memory total is only a sum of them).
    /// </summary>
    public void LoadRestored(string? source)
    {
        if (_table.PageCount <= (uint)_geometry.GroupTablePages)
        {
            throw new Diagnostics.StoreCorruptedException(
                $"a restored store has {_table.PageCount} pages; the meta page and {_geometry.GroupTablePages} group-table pages are the minimum",
                source, 0, MetaPage.Page);
        }

        (int pageSize, int maxParallelism, PageId groupTableFirst, int groupTablePages) = MetaPage.Read(_table.Read(MetaPage.Page), source);
        if (pageSize != _geometry.PageSize || maxParallelism != _geometry.MaxParallelism)
        {
            throw new ArgumentException(
                $"The checkpoint was written with PageSize {pageSize} and MaxParallelism {maxParallelism}; " +
                $"the store options say {_geometry.PageSize} and {_geometry.MaxParallelism}. Restore with the same values.");
        }

        if (groupTableFirst != _geometry.GroupTableFirst || groupTablePages != _geometry.GroupTablePages)
        {
            throw new Diagnostics.StoreCorruptedException(
                $"meta page places the group table at page {groupTableFirst.Value} ({groupTablePages} pages), expected {_geometry.GroupTableFirst.Value} ({_geometry.GroupTablePages})",
                source, MetaPage.GroupTableFirstOffset, MetaPage.Page);
        }

        _buckets.Load(_reader, _table.PageCount, source);
        Count = _reader.Count();
    }

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        KeyHash hash = KeyHash.Of(key);
        if (_reader.TryLocate(key, hash, out RecordLocation location, forWrite: true) && TryOverwrite(location, value))
        {
            return;
        }

        PutAt(location, key, hash, value);
    }

    /// <summary>
    /// The common update, kept small so it inlines: an inline value replaced by one of the same
    /// length, in place, writing only the bytes that differ. False when the record must move.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryOverwrite(in RecordLocation location, ReadOnlySpan<byte> value)
    {
        int valueOffset = BucketPage.InlineValueOffset(_table.Read(location.Page), location.Slot, out int length);
        if (valueOffset < 0 || length != value.Length)
        {
            return false;
        }

        OverwriteInline(location.Page, valueOffset, value);
        return true;
    }

    /// <summary>
    /// Replaces an inline value with one of the same length, writing only the bytes that differ:
    /// the common update (a counter, an aggregate), which Put and RMW do before anything else, so
    /// <see cref="PutAt"/> never sees it. No Reserve: the only frame this can need is a
    /// copy-on-write's, and renting it grows the pool or throws before the page changes.
    /// </summary>
    private void OverwriteInline(PageId page, int valueOffset, ReadOnlySpan<byte> value) =>
        _table.WriteIfChanged(page, valueOffset, value);

    public bool Delete(ReadOnlySpan<byte> key)
    {
        KeyHash hash = KeyHash.Of(key);
        if (!_reader.TryLocate(key, hash, out RecordLocation location))
        {
            return false;
        }

        RecordView record = BucketPage.Record(_table.Read(location.Page), location.Slot);
        Reserve(0, record.IsExternal ? record.ValueLength : 0);
        RemoveAt(location, hash.KeyGroup(_geometry.MaxParallelism));
        return true;
    }

    public void ReadModifyWrite<TUpdater>(ReadOnlySpan<byte> key, ref TUpdater updater, int maxValueLength)
        where TUpdater : IValueUpdater, allows ref struct
    {
        // The common update (an inline value, a new value of at most StackValueLimit bytes) runs
        // here with no rented buffer, so with no try/finally: a protected region keeps the
        // method's locals on the stack instead of in registers.
        KeyHash hash = KeyHash.Of(key);
        bool exists = _reader.TryLocate(key, hash, out RecordLocation location, forWrite: true);
        ReadOnlySpan<byte> current = default;
        int inlineOffset = -1;
        if (exists)
        {
            ReadOnlySpan<byte> page = _table.Read(location.Page);
            inlineOffset = BucketPage.InlineValueOffset(page, location.Slot, out int currentLength);
            if (inlineOffset < 0)
            {
                UpdateExternalValue(key, hash, location, ref updater, maxValueLength, currentLength);
                return;
            }

            current = page.Slice(inlineOffset, currentLength);
        }

        int length = updater.NewLength(current, exists);
        StateStore.ValidateValueLength(length, maxValueLength);
        if (length > StackValueLimit)
        {
            UpdateIntoRentedBuffer(key, hash, location, current, exists, inlineOffset, ref updater, length);
            return;
        }

        Span<byte> next = stackalloc byte[StackValueLimit];
        next = next[..length];
        next.Clear(); // the module skips stack zeroing; a careless updater must not store stack garbage
        updater.Update(current, exists, next);
        StoreUpdate(key, hash, location, inlineOffset, current.Length, next);
    }

    /// <summary>A value in a blob chain: copied out into a rented buffer, then updated like any other.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void UpdateExternalValue<TUpdater>(ReadOnlySpan<byte> key, in KeyHash hash, in RecordLocation location, ref TUpdater updater,
        int maxValueLength, int currentLength)
        where TUpdater : IValueUpdater, allows ref struct
    {
        byte[] rented = ArrayPool<byte>.Shared.Rent(currentLength);
        try
        {
            _reader.CopyValue(BucketPage.Record(_table.Read(location.Page), location.Slot), rented);
            ReadOnlySpan<byte> current = rented.AsSpan(0, currentLength);
            int length = updater.NewLength(current, exists: true);
            StateStore.ValidateValueLength(length, maxValueLength);
            UpdateIntoRentedBuffer(key, hash, location, current, exists: true, inlineOffset: -1, ref updater, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Computes a new value too long for the stack into a rented buffer, and stores it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void UpdateIntoRentedBuffer<TUpdater>(ReadOnlySpan<byte> key, in KeyHash hash, in RecordLocation location, ReadOnlySpan<byte> current,
        bool exists, int inlineOffset, ref TUpdater updater, int length)
        where TUpdater : IValueUpdater, allows ref struct
    {
        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            Span<byte> next = rented.AsSpan(0, length);
            next.Clear(); // a pooled buffer holds an earlier value; a careless updater must not store it
            updater.Update(current, exists, next);
            StoreUpdate(key, hash, location, inlineOffset, current.Length, next);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>A same-length inline value is rewritten in place (only the bytes that differ); anything else goes through <see cref="PutAt"/>.</summary>
    private void StoreUpdate(ReadOnlySpan<byte> key, in KeyHash hash, in RecordLocation location, int inlineOffset, int currentLength, ReadOnlySpan<byte> next)
    {
        if (inlineOffset >= 0 && next.Length == currentLength)
        {
            OverwriteInline(location.Page, inlineOffset, next);
            return;
        }

        PutAt(location, key, hash, next);
    }

    private void PutAt(in RecordLocation location, ReadOnlySpan<byte> key, in KeyHash hash, ReadOnlySpan<byte> value)
    {
        int keyGroup = hash.KeyGroup(_geometry.MaxParallelism);
        if (location.Page.IsNone)
        {
            Reserve(value.Length, existingExternalLength: 0);
            Insert(keyGroup, hash, key, value);
            return;
        }

        RecordView record = BucketPage.Record(_table.Read(location.Page), location.Slot);
        Debug.Assert(record.IsExternal || value.Length != record.ValueLength, "callers overwrite a same-length inline value in place (OverwriteInline)");
        Reserve(value.Length, record.IsExternal ? record.ValueLength : 0);
        if (record.IsExternal && value.Length > _geometry.InlineValueLimit)
        {
            RewriteBlob(keyGroup, record.FirstBlobPage, value);
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)value.Length);
            _table.WriteIfChanged(location.Page, record.Offset + 4, length);
            return;
        }

        RemoveAt(location, keyGroup);
        Insert(keyGroup, hash, key, value);
    }

    private void Insert(int keyGroup, in KeyHash hash, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        PageId root = EnsureGroup(keyGroup);
        Span<byte> blobRef = stackalloc byte[4];
        scoped ReadOnlySpan<byte> stored = value;
        byte flags = 0;
        if (value.Length > _geometry.InlineValueLimit)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(blobRef, WriteBlob(keyGroup, value).Value);
            stored = blobRef;
            flags = BucketPage.ExternalValueFlag;
        }

        var record = new PendingRecord(key, stored, value.Length, flags, hash);
        bool mapped = _buckets.TryFind(keyGroup, hash.BucketHash, out _, out PageId first);
        Debug.Assert(mapped && first == _reader.BucketFor(root, hash), "the writer's bucket map mirrors the live directory pages");
        if (!TryPlaceInChain(keyGroup, first, record))
        {
            // Every page of the bucket is full: chain one more page, and grow the group by one
            // bucket if the group as a whole is loaded. Splitting on every overflow would keep
            // adding buckets under churn (a stable key count) and grow the store forever.
            PageId last = first;
            for (PageId next = PageHeader.Next(_table.Read(last)); !next.IsNone; next = PageHeader.Next(_table.Read(last)))
            {
                last = next;
            }

            PageId overflow = AllocatePage();
            Span<byte> image = ClearImage();
            BucketPage.Format(image, (ushort)keyGroup, PageId.None);
            _table.WriteIfChanged(overflow, 0, image);
            SetNext(last, overflow);
            bool placed = TryPlace(overflow, record);
            Debug.Assert(placed, "any record fits an empty bucket page");
            AdjustGroupCount(root, +1, record.Size);
            if (IsLoaded(root))
            {
                SplitOne(keyGroup, root);
            }

            return;
        }

        AdjustGroupCount(root, +1, record.Size);
    }

    private bool TryPlaceInChain(int keyGroup, PageId first, in PendingRecord record)
    {
        for (PageId page = first; !page.IsNone; page = PageHeader.Next(_table.Read(page)))
        {
            if (TryPlace(page, record))
            {
                return true;
            }

            ReadOnlySpan<byte> span = _table.Read(page);
            int reclaimable = BucketPage.HeapStart(span) - BucketPage.HeapFloor(span.Length) + BucketPage.DeadBytes(span);
            if (BucketPage.FreeSlot(span, record.Hash) >= 0 && reclaimable >= record.Size)
            {
                CompactPage(keyGroup, page);
                bool placed = TryPlace(page, record);
                Debug.Assert(placed, "compaction frees the dead bytes the record needed");
                return true;
            }
        }

        return false;
    }

    /// <summary>Writes the record into a free slot of <paramref name="page"/> if slot and heap space allow.</summary>
    private bool TryPlace(PageId page, in PendingRecord record)
    {
        ReadOnlySpan<byte> span = _table.Read(page);
        if (!BucketPage.PlanInsert(span, record, out InsertPlan plan))
        {
            return false;
        }

        // Four small writes (record, tag, slot offset, counters) rather than one page image: each is
        // tracked as its own dirty extent or granule, so an insert costs a checkpoint little.
        record.WriteTo(_table.Write(page, plan.Offset, record.Size));
        _table.Write(page, BucketPage.TagOffset(plan.Slot), 1)[0] = record.Hash.Tag;
        BinaryPrimitives.WriteUInt16LittleEndian(_table.Write(page, BucketPage.SlotOffset(plan.Slot), 2), (ushort)plan.Offset);
        plan.WriteCounters(_table.Write(page, BucketPage.HeapStartOffset, BucketPage.CountersEnd - BucketPage.HeapStartOffset));
        return true;
    }

    private void RemoveAt(in RecordLocation location, int keyGroup)
    {
        ReadOnlySpan<byte> span = _table.Read(location.Page);
        RecordView record = BucketPage.Record(span, location.Slot);
        if (record.IsExternal)
        {
            FreeChain(record.FirstBlobPage);
            span = _table.Read(location.Page);
            record = BucketPage.Record(span, location.Slot);
        }

        int live = BucketPage.LiveCount(span) - 1;
        int tombstones = BucketPage.Tombstones(span) + 1;
        int dead = BucketPage.DeadBytes(span) + record.Size;
        _table.Write(location.Page, BucketPage.TagOffset(location.Slot), 1)[0] = BucketPage.TombstoneTag;
        Span<byte> header = _table.Write(location.Page, BucketPage.DeadBytesOffset, 8);
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)dead);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], (ushort)live);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], (ushort)tombstones);
        AdjustGroupCount(location.GroupRoot, -1, -record.Size);

        if (live == 0 && location.Page != location.BucketFirst)
        {
            // An emptied overflow page leaves the chain, so churn cannot grow chains forever.
            SetNext(location.PreviousInChain, PageHeader.Next(_table.Read(location.Page)));
            FreePage(location.Page);
        }
        else if (tombstones >= BucketPage.SlotCount(span.Length) / 2)
        {
            // Tombstones lengthen probe sequences; past half the slots a rewrite is cheaper.
            CompactPage(keyGroup, location.Page);
        }
    }

    /// <summary>Makes sure the frames this operation can need are free before it changes anything.</summary>
    private void Reserve(int newValueLength, int existingExternalLength)
    {
        int pages = FramesPerOperation;
        if (newValueLength > _geometry.InlineValueLimit)
        {
            pages += 2 * BlobPage.PagesFor(newValueLength, _geometry.PageSize);
        }

        if (existingExternalLength > 0)
        {
            pages += 2 * BlobPage.PagesFor(existingExternalLength, _geometry.PageSize);
        }

        _frames.EnsureFree(pages);
    }

    private void AdjustGroupCount(PageId root, int delta, int recordBytesDelta)
    {
        ReadOnlySpan<byte> span = _table.Read(root);
        ulong count = GroupPages.EntryCount(span);
        ulong recordBytes = GroupPages.RecordBytes(span);
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)((long)count + delta));
        _table.WriteIfChanged(root, GroupPages.EntryCountOffset, bytes);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)((long)recordBytes + recordBytesDelta));
        _table.WriteIfChanged(root, GroupPages.RecordBytesOffset, bytes);
        Count += delta;
    }

    /// <summary>
    /// Whether the group's buckets are, on average, more than 70% full by heap bytes or by slots;
    /// an overflow below that is hash skew, which a longer chain absorbs.
    /// </summary>
    private bool IsLoaded(PageId root)
    {
        ReadOnlySpan<byte> span = _table.Read(root);
        long buckets = GroupPages.BucketCount(span);
        int pageSize = _geometry.PageSize;
        double byHeap = GroupPages.RecordBytes(span) / (double)(buckets * (pageSize - BucketPage.HeapFloor(pageSize)));
        double bySlots = GroupPages.EntryCount(span) / (double)(buckets * BucketPage.SlotCount(pageSize));
        return Math.Max(byHeap, bySlots) > 0.7;
    }

    private void SetNext(PageId page, PageId next)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, next.Value);
        _table.WriteIfChanged(page, PageHeader.NextOffset, bytes);
    }

    private Span<byte> ClearImage()
    {
        Span<byte> image = _image;
        image.Clear();
        return image;
    }
}
