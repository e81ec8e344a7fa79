using System.Diagnostics;
using System.Runtime.CompilerServices;
using Store.Diagnostics;
using Store.Pages;

namespace Store.Index;

/// <summary>
/// The writer's copy of where each key group's buckets start: the group's root page, its
/// linear-hashing level and split pointer, and the first page id of every bucket. The pages
/// (group table, group root, directory) stay the truth and are what checkpoints and frozen
/// versions read; this map only lets the live version skip reading them.
/// </summary>
/// <remarks>
/// <para>Why: reaching a bucket through the pages is a chain of seven dependent loads (group-table
/// frame, root id, root frame, level and split, directory page id, directory frame, directory
/// entry), each behind the one before. With hot keys that chain was about 20 of a lookup's 36 ns
/// (perf/HISTORY.md, "The writer's bucket map"). Here it is two: the group's entry, then its bucket.</para>
/// <para>Invariant: for every key group, the map equals what the live pages say. Page ids of
/// roots, directories and first bucket pages never change once written (copy-on-write moves a
/// page to another frame, never to another id), so only two things change the map: a group's
/// creation and a bucket split, and both update it (<see cref="AddGroup"/>, <see cref="AddBucket"/>).
/// A restore rebuilds it from the restored pages (<see cref="Load"/>). Every writer-side question
/// "where does this key's bucket start" goes through the map (lookups, and inserts in
/// <see cref="HashIndex"/>); Debug builds check the invariant at each of them.</para>
/// Writer thread only, like the live pages.
/// </remarks>
internal sealed class BucketMap
{
    private readonly Group[] _groups;

    public BucketMap(int maxParallelism) => _groups = new Group[maxParallelism];

    /// <summary>The group's root and the first page of the bucket of <paramref name="bucketHash"/>; false when the group holds no key yet.</summary>
    public bool TryFind(int keyGroup, uint bucketHash, out PageId root, out PageId first)
    {
        ref Group group = ref _groups[keyGroup];
        uint[]? firstPages = group.FirstPages;
        if (firstPages is null)
        {
            root = first = PageId.None;
            return false;
        }

        root = group.Root;
        first = new PageId(firstPages[GroupPages.BucketOf(bucketHash, group.Level, group.Split)]);
        return true;
    }

    /// <summary>The group's root page, or <see cref="PageId.None"/> when the group holds no key yet.</summary>
    public PageId Root(int keyGroup) => _groups[keyGroup].Root;

    /// <summary>A new group: one bucket, level 0, split 0 (as <see cref="HashIndex"/> formats its root).</summary>
    public void AddGroup(int keyGroup, PageId root, PageId firstBucket)
    {
        Debug.Assert(_groups[keyGroup].FirstPages is null, "a group is created once");
        _groups[keyGroup] = new Group { Root = root, FirstPages = [firstBucket.Value] };
    }

    /// <summary>
    /// A split appended bucket 2^level + split (the group's bucket count before it) and moved the
    /// group's level and split pointer on to <paramref name="level"/> and <paramref name="split"/>.
    /// </summary>
    public void AddBucket(int keyGroup, PageId firstPage, uint level, uint split)
    {
        ref Group group = ref _groups[keyGroup];
        Debug.Assert(group.FirstPages is not null, "only an existing group splits");
        long bucket = (1L << (int)group.Level) + group.Split;
        Debug.Assert((1L << (int)level) + split == bucket + 1, "a split adds exactly one bucket");
        if (bucket == group.FirstPages!.Length)
        {
            // Doubling: a group's buckets grow one at a time, so this runs O(log buckets) times.
            Array.Resize(ref group.FirstPages, checked((int)bucket * 2));
        }

        group.FirstPages[bucket] = firstPage.Value;
        group.Level = level;
        group.Split = split;
    }

    /// <summary>
    /// Rebuilds the map from restored pages, checking every id it takes against the page count so
    /// that a damaged index is reported here, with its page, rather than as a wrong lookup later.
    /// Roots and directories are read and their kinds checked; bucket pages are not read, only
    /// their ids checked. Reading each one too cost a cache miss per bucket: 38–53 ms at 10M keys
    /// with 100 B values, against 3 ms now (0.7 ms at 8 B), for pages whose checksums the restore
    /// has just verified.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: runs once per process, too rare to tier up
    public void Load<TPages>(IndexReader<TPages> pages, uint pageCount, string? source)
        where TPages : struct, IPageSource
    {
        IndexGeometry geometry = pages.Geometry;
        for (int keyGroup = 0; keyGroup < _groups.Length; keyGroup++)
        {
            _groups[keyGroup] = default;
            PageId root = pages.GroupRoot(keyGroup);
            if (root.IsNone)
            {
                continue;
            }

            (PageId tablePage, int tableOffset) = geometry.GroupTableSlot(keyGroup);
            ReadOnlySpan<byte> rootSpan = Page(pages, root, PageKind.GroupRoot, pageCount, source, tablePage, tableOffset);
            uint level = GroupPages.Level(rootSpan);
            uint split = GroupPages.Split(rootSpan);
            long buckets = level < 31 ? (1L << (int)level) + split : long.MaxValue;
            int directories = GroupPages.DirectoryCount(rootSpan);
            if (split >= (1u << (int)Math.Min(level, 31u)) || buckets > (long)directories * geometry.DirectoryEntriesPerPage
                || directories > GroupPages.RootDirectoryCapacity(geometry.PageSize))
            {
                throw new StoreCorruptedException(
                    $"group {keyGroup}'s root has level {level}, split {split} and {directories} directory pages, which cannot hold its buckets",
                    source, PageHeader.FieldAOffset, root);
            }

            var firstPages = new uint[Math.Max(1, (int)buckets)];
            int perPage = geometry.DirectoryEntriesPerPage;
            for (int directoryIndex = 0; (long)directoryIndex * perPage < buckets; directoryIndex++)
            {
                PageId directory = GroupPages.DirectoryPage(rootSpan, directoryIndex);
                ReadOnlySpan<byte> directorySpan = Page(pages, directory, PageKind.Directory, pageCount, source, root,
                    GroupPages.RootDirectoryOffset + (directoryIndex * 4));
                long firstBucket = (long)directoryIndex * perPage;
                int entries = (int)Math.Min(perPage, buckets - firstBucket);
                for (int entry = 0; entry < entries; entry++)
                {
                    PageId first = GroupPages.DirectoryEntry(directorySpan, entry);
                    CheckExists(first, PageKind.Bucket, pageCount, source, directory, PageHeader.Size + (entry * 4));
                    firstPages[firstBucket + entry] = first.Value;
                }
            }

            _groups[keyGroup] = new Group { Root = root, Level = level, Split = split, FirstPages = firstPages };
        }
    }

    /// <summary>The page <paramref name="id"/>, which a field at <paramref name="referrer"/> + <paramref name="offset"/> names, if it exists and has the expected kind.</summary>
    private static ReadOnlySpan<byte> Page<TPages>(IndexReader<TPages> pages, PageId id, PageKind kind, uint pageCount, string? source,
        PageId referrer, int offset)
        where TPages : struct, IPageSource
    {
        CheckExists(id, kind, pageCount, source, referrer, offset);
        ReadOnlySpan<byte> span = pages.Read(id);
        if (PageHeader.Kind(span) != kind)
        {
            throw new StoreCorruptedException($"names page {id.Value} as a {kind} page; it is a {PageHeader.Kind(span)} page", source, offset, referrer);
        }

        return span;
    }

    private static void CheckExists(PageId id, PageKind kind, uint pageCount, string? source, PageId referrer, int offset)
    {
        if (id.IsNone || id.Value >= pageCount)
        {
            throw new StoreCorruptedException($"names page {id.Value} as a {kind} page; the store has {pageCount} pages", source, offset, referrer);
        }
    }

    private struct Group
    {
        public PageId Root;
        public uint Level;
        public uint Split;
        public uint[]? FirstPages; // null: the group holds no key yet
    }
}
