using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Store.Diagnostics;
using Store.Pages;

namespace Store.Index;

/// <summary>Where a key's record is: its page and slot, and the bucket chain around it.</summary>
internal readonly struct RecordLocation
{
    // Inlined on purpose: every lookup builds one, and as a call (the JIT's budget for TryLocate runs
    // out before it) it spilled and reloaded all five fields.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public RecordLocation(PageId page, int slot, PageId previousInChain, PageId bucketFirst, PageId groupRoot)
    {
        Page = page;
        Slot = slot;
        PreviousInChain = previousInChain;
        BucketFirst = bucketFirst;
        GroupRoot = groupRoot;
    }

    public PageId Page { get; }

    public int Slot { get; }

    public PageId PreviousInChain { get; }

    public PageId BucketFirst { get; }

    public PageId GroupRoot { get; }
}

/// <summary>
/// Read-only index operations over one version's pages. Shared by the writer (live pages) and by
/// frozen versions, so a frozen read follows exactly the code path the writer's reads do.
/// </summary>
internal readonly struct IndexReader<TPages> where TPages : struct, IPageSource
{
    private readonly TPages _pages;
    private readonly IndexGeometry _geometry;

    public IndexReader(TPages pages, IndexGeometry geometry)
    {
        _pages = pages;
        _geometry = geometry;
    }

    public IndexGeometry Geometry => _geometry;

    public ReadOnlySpan<byte> Read(PageId page) => _pages.Read(page);

    public PageId GroupRoot(int keyGroup)
    {
        (PageId page, int offset) = _geometry.GroupTableSlot(keyGroup);
        return new PageId(BinaryPrimitives.ReadUInt32LittleEndian(_pages.Read(page)[offset..]));
    }

    public PageId BucketPage(ReadOnlySpan<byte> root, uint bucket)
    {
        (int directoryIndex, int entry) = _geometry.DirectorySlot(bucket);
        PageId directory = GroupPages.DirectoryPage(root, directoryIndex);
        return GroupPages.DirectoryEntry(_pages.Read(directory), entry);
    }

    public PageId BucketFor(PageId groupRoot, in KeyHash hash)
    {
        ReadOnlySpan<byte> root = _pages.Read(groupRoot);
        uint bucket = GroupPages.BucketOf(hash.BucketHash, GroupPages.Level(root), GroupPages.Split(root));
        return BucketPage(root, bucket);
    }

    public bool TryLocate(ReadOnlySpan<byte> key, in KeyHash hash, out RecordLocation location, bool forWrite = false)
    {
        int keyGroup = hash.KeyGroup(_geometry.MaxParallelism);
        PageId root;
        PageId first;
        if (_pages.Buckets is { } buckets)
        {
            // The writer: two loads to the bucket instead of seven through the pages (see BucketMap).
            bool found = buckets.TryFind(keyGroup, hash.BucketHash, out root, out first);
            Debug.Assert(root == GroupRoot(keyGroup) && (!found || first == BucketFor(root, hash)), "the writer's bucket map mirrors the live directory pages");
            if (!found)
            {
                location = default;
                return false;
            }
        }
        else
        {
            root = GroupRoot(keyGroup);
            if (root.IsNone)
            {
                location = default;
                return false;
            }

            first = BucketFor(root, hash);
        }
        if (forWrite)
        {
            _pages.PrefetchForWrite(first);
        }

        PageId previous = PageId.None;
        for (PageId page = first; !page.IsNone;)
        {
            ReadOnlySpan<byte> span = _pages.Read(page);
            int slot = Index.BucketPage.Find(span, key, hash);
            if (slot >= 0)
            {
                location = new RecordLocation(page, slot, previous, first, root);
                return true;
            }

            previous = page;
            page = PageHeader.Next(span);
        }

        location = new RecordLocation(PageId.None, -1, PageId.None, first, root);
        return false;
    }

    public bool TryGetLength(ReadOnlySpan<byte> key, out int valueLength)
    {
        KeyHash hash = KeyHash.Of(key);
        if (!TryLocate(key, hash, out RecordLocation location))
        {
            valueLength = 0;
            return false;
        }

        valueLength = Index.BucketPage.Record(_pages.Read(location.Page), location.Slot).ValueLength;
        return true;
    }

    // Never inlined, and the value read with one 8-byte header load instead of a RecordView: the
    // JIT sizes its inlining budget by the method it compiles, and StateStore.TryGet, a few lines,
    // ran out of it inside this one. Half the lookup then ran as calls (Read, Find, the frame's
    // address, the record's fields), and a hot Get cost 75 ns where the lookup alone took 35
    // (perf/HISTORY.md, "The writer's bucket map").
    [MethodImpl(MethodImplOptions.NoInlining)]
    public bool TryGet(ReadOnlySpan<byte> key, Span<byte> destination, out int valueLength)
    {
        KeyHash hash = KeyHash.Of(key);
        if (!TryLocate(key, hash, out RecordLocation location))
        {
            valueLength = 0;
            return false;
        }

        ReadOnlySpan<byte> page = _pages.Read(location.Page);
        int inlineOffset = Index.BucketPage.InlineValueOffset(page, location.Slot, out valueLength);
        if (destination.Length < valueLength)
        {
            ThrowHelper.ThrowDestinationTooSmall(valueLength, destination.Length);
        }

        if (inlineOffset >= 0)
        {
            page.Slice(inlineOffset, valueLength).CopyTo(destination);
        }
        else
        {
            CopyValue(Index.BucketPage.Record(page, location.Slot), destination);
        }

        return true;
    }

    /// <summary>Copies a record's whole value (inline or from its blob chain) into <paramref name="destination"/>.</summary>
    public void CopyValue(RecordView record, Span<byte> destination)
    {
        if (!record.IsExternal)
        {
            record.Stored.CopyTo(destination);
            return;
        }

        int remaining = record.ValueLength;
        int written = 0;
        for (PageId page = record.FirstBlobPage; remaining > 0; )
        {
            if (page.IsNone)
            {
                throw new StoreCorruptedException(
                    $"blob chain ends {remaining} bytes before the value's length {record.ValueLength}", null, PageHeader.NextOffset, page);
            }

            ReadOnlySpan<byte> span = _pages.Read(page);
            int chunk = (int)PageHeader.FieldA(span);
            Debug.Assert(chunk <= remaining && chunk <= _geometry.BlobPayload, "blob pages hold the value's bytes in order");
            span.Slice(BlobPage.PayloadOffset, chunk).CopyTo(destination[written..]);
            written += chunk;
            remaining -= chunk;
            page = PageHeader.Next(span);
        }
    }

    /// <summary>Keys across all groups: the sum of the group roots' counters.</summary>
    public long Count()
    {
        long count = 0;
        for (int group = 0; group < _geometry.MaxParallelism; group++)
        {
            PageId root = GroupRoot(group);
            if (!root.IsNone)
            {
                count += (long)GroupPages.EntryCount(_pages.Read(root));
            }
        }

        return count;
    }
}
