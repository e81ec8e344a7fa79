using System.Buffers.Binary;
using System.Diagnostics;
using Store.Pages;

namespace Store.Index;

/// <summary>Group creation, page allocation, bucket rewrites and linear-hashing splits.</summary>
internal sealed partial class HashIndex
{
    private readonly ScratchRecords _scratch = new();
    private readonly List<int> _stay = new();
    private readonly List<int> _move = new();

    private PageId EnsureGroup(int keyGroup)
    {
        PageId existing = _buckets.Root(keyGroup);
        Debug.Assert(existing == _reader.GroupRoot(keyGroup), "the writer's bucket map mirrors the live group table");
        if (!existing.IsNone)
        {
            return existing;
        }

        ushort group = (ushort)keyGroup;
        PageId root = _table.Allocate();
        PageId directory = _table.Allocate();
        PageId bucket = _table.Allocate();

        Span<byte> image = ClearImage();
        BucketPage.Format(image, group, PageId.None);
        _table.WriteIfChanged(bucket, 0, image);

        image = ClearImage();
        PageHeader.Write(image, PageKind.Directory, group, PageId.None);
        BinaryPrimitives.WriteUInt32LittleEndian(image[PageHeader.Size..], bucket.Value);
        _table.WriteIfChanged(directory, 0, image);

        image = ClearImage();
        PageHeader.Write(image, PageKind.GroupRoot, group, PageId.None, fieldA: 0, fieldB: 0);
        BinaryPrimitives.WriteUInt32LittleEndian(image[GroupPages.DirectoryCountOffset..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(image[GroupPages.RootDirectoryOffset..], directory.Value);
        _table.WriteIfChanged(root, 0, image);

        (PageId tablePage, int offset) = _geometry.GroupTableSlot(keyGroup);
        Span<byte> id = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(id, root.Value);
        _table.WriteIfChanged(tablePage, offset, id);
        _buckets.AddGroup(keyGroup, root, bucket);
        return root;
    }

    /// <summary>
    /// A page from the store-wide free list, else a new page id. Content is stale; callers write a
    /// whole image. The free list is store-wide, not per key group, so pages freed by one group
    /// serve any other: under churn the store holds the peak of the total, not the sum of each
    /// group's peaks.
    /// </summary>
    private PageId AllocatePage()
    {
        PageId head = FreeListHead();
        if (head.IsNone)
        {
            return _table.Allocate();
        }

        ReadOnlySpan<byte> free = _table.Read(head);
        Debug.Assert(PageHeader.Kind(free) == PageKind.Free, "the free list holds only free pages");
        SetFreeListHead(PageHeader.Next(free));
        return head;
    }

    private void FreePage(PageId page)
    {
        Span<byte> header = stackalloc byte[PageHeader.Size];
        PageHeader.Write(header, PageKind.Free, PageHeader.StoreWideKeyGroup, FreeListHead());
        _table.WriteIfChanged(page, 0, header);
        SetFreeListHead(page);
    }

    private void FreeChain(PageId first)
    {
        for (PageId page = first; !page.IsNone;)
        {
            PageId next = PageHeader.Next(_table.Read(page));
            FreePage(page);
            page = next;
        }
    }

    private PageId FreeListHead() =>
        new(BinaryPrimitives.ReadUInt32LittleEndian(_table.Read(MetaPage.Page)[MetaPage.FreeListHeadOffset..]));

    private void SetFreeListHead(PageId head)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, head.Value);
        _table.WriteIfChanged(MetaPage.Page, MetaPage.FreeListHeadOffset, bytes);
    }

    /// <summary>Rewrites one bucket page without its dead records and tombstones.</summary>
    private void CompactPage(int keyGroup, PageId page)
    {
        _scratch.Clear();
        _scratch.AddPage(_table.Read(page));
        _stay.Clear();
        for (int i = 0; i < _scratch.Count; i++)
        {
            _stay.Add(i);
        }

        Span<byte> image = ClearImage();
        BucketPage.Format(image, (ushort)keyGroup, PageHeader.Next(_table.Read(page)));
        foreach (int i in _stay)
        {
            bool placed = BucketPage.TryPlace(image, _scratch.Get(i));
            Debug.Assert(placed, "a page's own live records fit it once dead bytes are gone");
        }

        _table.WriteIfChanged(page, 0, image);
    }

    /// <summary>
    /// Splits the bucket at the group's split pointer into itself and bucket 2^level + split, so the
    /// group grows one bucket at a time and no insert ever pays for rehashing the whole group.
    /// </summary>
    private void SplitOne(int keyGroup, PageId root)
    {
        ReadOnlySpan<byte> rootSpan = _table.Read(root);
        uint level = GroupPages.Level(rootSpan);
        uint split = GroupPages.Split(rootSpan);
        long target = (1L << (int)level) + split;
        int perPage = _geometry.DirectoryEntriesPerPage;
        int directoryIndex = (int)(target / perPage);
        if (directoryIndex >= GroupPages.RootDirectoryCapacity(_geometry.PageSize) || level >= 31)
        {
            return; // The group is at its bucket limit; chains grow instead.
        }

        if (directoryIndex == GroupPages.DirectoryCount(rootSpan))
        {
            PageId directory = AllocatePage();
            Span<byte> image = ClearImage();
            PageHeader.Write(image, PageKind.Directory, (ushort)keyGroup, PageId.None);
            _table.WriteIfChanged(directory, 0, image);
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, directory.Value);
            _table.WriteIfChanged(root, GroupPages.RootDirectoryOffset + (directoryIndex * 4), bytes);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)directoryIndex + 1);
            _table.WriteIfChanged(root, GroupPages.DirectoryCountOffset, bytes);
        }

        PageId source = _reader.BucketPage(_table.Read(root), split);
        _scratch.Clear();
        for (PageId page = source; !page.IsNone; page = PageHeader.Next(_table.Read(page)))
        {
            _scratch.AddPage(_table.Read(page));
        }

        _stay.Clear();
        _move.Clear();
        uint wideMask = (uint)((1L << ((int)level + 1)) - 1);
        for (int i = 0; i < _scratch.Count; i++)
        {
            bool moves = (_scratch.Get(i).Hash.BucketHash & wideMask) == target;
            (moves ? _move : _stay).Add(i);
        }

        PageId created = AllocatePage();
        WriteChain(keyGroup, source, _stay);
        WriteChain(keyGroup, created, _move);

        Span<byte> entry = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(entry, created.Value);
        PageId directoryPage = GroupPages.DirectoryPage(_table.Read(root), directoryIndex);
        _table.WriteIfChanged(directoryPage, PageHeader.Size + ((int)(target % perPage) * 4), entry);

        uint nextSplit = split + 1;
        uint nextLevel = level;
        if (nextSplit == 1u << (int)level)
        {
            nextLevel++;
            nextSplit = 0;
        }

        Span<byte> fields = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(fields, nextLevel);
        BinaryPrimitives.WriteUInt32LittleEndian(fields[4..], nextSplit);
        _table.WriteIfChanged(root, PageHeader.FieldAOffset, fields);
        _buckets.AddBucket(keyGroup, created, nextLevel, nextSplit);
    }

    /// <summary>
    /// Writes the given scratch records as a bucket chain starting at <paramref name="first"/>,
    /// reusing the chain's existing pages in order and freeing the ones left over.
    /// </summary>
    private void WriteChain(int keyGroup, PageId first, List<int> records)
    {
        Span<byte> image = _chainImage;
        PageId page = first;
        PageId oldNext = PageHeader.Kind(_table.Read(first)) == PageKind.Bucket ? PageHeader.Next(_table.Read(first)) : PageId.None;
        BucketPage.Format(image, (ushort)keyGroup, PageId.None);
        foreach (int i in records)
        {
            PendingRecord record = _scratch.Get(i);
            if (BucketPage.TryPlace(image, record))
            {
                continue;
            }

            PageId next;
            if (oldNext.IsNone)
            {
                next = AllocatePage();
            }
            else
            {
                next = oldNext;
                oldNext = PageHeader.Next(_table.Read(oldNext));
            }

            BinaryPrimitives.WriteUInt32LittleEndian(image[PageHeader.NextOffset..], next.Value);
            _table.WriteIfChanged(page, 0, image);
            page = next;
            BucketPage.Format(image, (ushort)keyGroup, PageId.None);
            bool placed = BucketPage.TryPlace(image, record);
            Debug.Assert(placed, "any record fits an empty bucket page");
        }

        _table.WriteIfChanged(page, 0, image);
        FreeChain(oldNext);
    }
}
