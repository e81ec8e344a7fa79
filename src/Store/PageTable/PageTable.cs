using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Store.Pages;
using Store.Storage;
using Store.Versioning;

namespace Store.PageTable;

/// <summary>
/// Maps logical pages to frames for the live version, as a copy-on-write radix tree (64-way,
/// height grows with the page count). Freezing captures the root: O(1), no copy.
/// </summary>
/// <remarks>
/// <para>Copy-on-write rule: the live version L may change a node or frame in place only if no alive
/// frozen version can reach it, i.e. its version is newer than the newest alive frozen version.
/// Otherwise the first write in L copies it once (frames: one memcpy into a pre-faulted pooled
/// frame; nodes: the path from the root), and the original is retired to the
/// <see cref="Reclaimer"/> until the frozen versions that reach it are released. A frame that
/// every version reaching it no longer needs (streamed past, or never listed by its stream; see
/// <see cref="VersionRegistry.Needs"/>) is written in place instead.</para>
/// <para>The writer also keeps <c>_leafEntries</c>, the address of the entry array of the current
/// leaf of every 64-page range, so a write reaches its page entry with one array index instead of
/// a tree walk, and without loading the leaf object or the array's header (each a dependent cache
/// miss on every write at 10M keys). Leaf entry arrays are pinned, so the addresses stay valid
/// while the arrays live, and every leaf lives until the store does (the tree, the
/// <see cref="Reclaimer"/> or the node pool holds it). A cached array may belong to a frozen
/// version's leaf: its entries are still exactly the live ones until the live version writes that
/// range, which replaces the cache slot. Invariant (fast write path): an entry with
/// Written == live sits in a leaf the live version owns, because only <see cref="WritableLeaf"/>
/// hands out leaves whose entries get the live version, and a leaf owned by the live version is
/// never replaced before the next freeze. <c>_liveLeaves</c> records, per range, the version in
/// which <see cref="WritableLeaf"/> last cached a leaf. Invariant: where it equals the live version,
/// the cached array belongs to a leaf the live version owns; a freeze makes every record stale at once.</para>
/// <para>Reads go one step shorter: <c>_liveFrames[page]</c> is the live frame of every page (4 bytes a
/// page, so it stays in cache where 48-byte leaf entries would not). Invariant: it equals the live
/// tree's entry frame for every page; allocation and copy-on-write are the only places a frame changes.
/// Why frame indexes and not addresses: 8-byte addresses saved the segment arithmetic, 12–14% of a
/// lookup's CPU with hot keys, but at 10M keys the twice larger array made Get, Put and RMW 1–4%
/// slower (perf/HISTORY.md, "Frame indexes against addresses"). Since frames lie in one reserved
/// range, an index becomes its address with a shift and an add (<see cref="FrameMemory.Address"/>).</para>
/// Writer thread only, except <see cref="Confirm"/>.
/// </remarks>
internal sealed class PageTable
{
    private const int MaxHeight = 5; // 64^6 = 2^36 > 2^32 page ids

    private readonly FrameMemory _memory;
    private readonly FramePool _frames;
    private readonly PageTableNodePool _nodes;
    private readonly Reclaimer _reclaimer;
    private readonly VersionRegistry _versions;
    private readonly int _granuleShift;
    private PageTableNode _root;
    private int _height;
    private uint _pageCount;
    private nint[] _leafEntries = new nint[64];
    private uint[] _liveLeaves = new uint[64]; // per 64-page range: the version whose leaf _leafEntries holds, if that leaf was made writable in it
    private int[] _liveFrames = new int[64 * PageTableNode.Fanout];
    private Epoch _live = Epoch.First;
    private uint _confirmed;

    public PageTable(FrameMemory memory, FramePool frames, PageTableNodePool nodes, Reclaimer reclaimer, VersionRegistry versions)
    {
        _memory = memory;
        _frames = frames;
        _nodes = nodes;
        _reclaimer = reclaimer;
        _versions = versions;
        _granuleShift = BitOperationsLog2(memory.PageSize / 64);
        _root = _nodes.RentLeaf();
        _root.Version = _live;
    }

    public Epoch Live => _live;

    /// <summary>The live root. Other threads may read it as a hint only (see FrozenVersion.HintRoot).</summary>
    public PageTableNode Root => _root;

    /// <summary>The newest version known to be durable; dirty listings use it or a later base.</summary>
    public Epoch Confirmed => new(Volatile.Read(ref _confirmed));

    public uint PageCount => _pageCount;

    public int PageSize => _memory.PageSize;

    public int GranuleShift => _granuleShift;

    /// <summary>Frames copied because a frozen version held them (a metric).</summary>
    public long CopyOnWriteCount { get; private set; }

    public ReadOnlySpan<byte> Read(PageId page)
    {
        Debug.Assert(page.Value < _pageCount, "reads stay below the page count");
        Debug.Assert(_liveFrames[page.Value] == CachedEntry(page).Frame.Value, "the flat frame array mirrors the live tree");
        return _memory.Frame(new FrameIndex(_liveFrames[page.Value]));
    }

    /// <summary>
    /// Starts loading the page's table entry into cache. A write to a bucket page needs both the
    /// page (slot group, record) and its entry (copy-on-write check, dirty region); issuing the
    /// entry's load before the lookup overlaps the two cache misses instead of paying them in turn.
    /// Both of the entry's lines: a 48-byte entry straddles two cache lines at half the positions.
    /// A hint only: harmless if the page is never written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void PrefetchEntry(PageId page)
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported && page.Value < _pageCount)
        {
            byte* entry = (byte*)Unsafe.AsPointer(ref CachedEntry(page));
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(entry);
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(entry + (sizeof(PageEntry) - 1));
        }
    }

    /// <summary>Makes [offset, offset+length) of the page writable in the live version and marks it dirty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> Write(PageId page, int offset, int length)
    {
        ref PageEntry entry = ref WritableEntry(page);
        entry.Region.Mark(offset, length, _granuleShift);
        return _memory.Frame(entry.Frame).Slice(offset, length);
    }

    /// <summary>
    /// Writes <paramref name="source"/> at <paramref name="offset"/>, but only the span between the
    /// first and last byte that actually differ: unchanged bytes neither copy a frozen page nor grow
    /// the next checkpoint.
    /// </summary>
    public void WriteIfChanged(PageId page, int offset, ReadOnlySpan<byte> source)
    {
        if (ByteDifference.Find(Read(page).Slice(offset, source.Length), source, out int first, out int last))
        {
            source[first..(last + 1)].CopyTo(Write(page, offset + first, last - first + 1));
        }
    }

    /// <summary>Allocates the next page id; its frame is zeroed, which is also how a restore starts a new page.</summary>
    public PageId Allocate()
    {
        if (_pageCount == uint.MaxValue)
        {
            throw new InvalidOperationException("The store has allocated 2^32 - 1 pages, its address limit.");
        }

        var page = new PageId(_pageCount);
        if ((long)page.Value >= Capacity(_height))
        {
            GrowHeight();
        }

        int leafIndex = (int)(page.Value >> PageTableNode.FanoutBits);
        if (leafIndex >= _leafEntries.Length)
        {
            Array.Resize(ref _leafEntries, _leafEntries.Length * 2);
            Array.Resize(ref _liveLeaves, _leafEntries.Length);
            Array.Resize(ref _liveFrames, _leafEntries.Length * PageTableNode.Fanout);
        }

        FrameIndex frame = _frames.RentZeroed();
        _pageCount++;
        PageTableNode leaf = WritableLeaf(page);
        ref PageEntry entry = ref leaf.Entries![page.Value & PageTableNode.FanoutMask];
        Debug.Assert(!entry.Exists, "a new page id has no entry yet");
        entry = new PageEntry { Frame = frame, Written = _live };
        _liveFrames[page.Value] = frame.Value;
        return page;
    }

    /// <summary>
    /// Copies restored bytes into a page before the store's first version ends. A restore fills
    /// pages this way and then calls <see cref="SealRestore"/>; nothing is marked dirty, because
    /// the restored content is the base that the next checkpoint's listing starts from.
    /// </summary>
    public void WriteRestored(PageId page, int offset, ReadOnlySpan<byte> source)
    {
        Debug.Assert(_live == Epoch.First && _versions.AliveCount == 0, "restored bytes are written before the first freeze");
        Debug.Assert(page.Value < _pageCount, "restored writes stay below the page count");
        source.CopyTo(_memory.Frame(new FrameIndex(_liveFrames[page.Value])).Slice(offset));
    }

    /// <summary>The frame a restore writes a page into (see <see cref="WriteRestored"/>): not dirty, before the first freeze.</summary>
    public FrameIndex RestoredFrame(PageId page)
    {
        Debug.Assert(_live == Epoch.First && _versions.AliveCount == 0, "restored bytes are written before the first freeze");
        Debug.Assert(page.Value < _pageCount, "restored writes stay below the page count");
        return new FrameIndex(_liveFrames[page.Value]);
    }

    /// <summary>
    /// Ends a restore: the restored content becomes version 1, confirmed (it came from a durable
    /// checkpoint), and writes go to version 2. A dirty listing based on version 1 is then exactly
    /// what changed since the restored checkpoint.
    /// </summary>
    public void SealRestore()
    {
        Debug.Assert(_live == Epoch.First, "a restore is sealed once, before any freeze");
        _live = _live.Next;
        Confirm(Epoch.First);
    }

    /// <summary>Captures the live tree as a frozen version and opens the next version. O(1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // on the barrier's path, too rare to tier up
    public PageTableSnapshot Freeze()
    {
        var snapshot = new PageTableSnapshot(_root, _height, _pageCount, _live, Confirmed);
        _live = _live.Next;
        return snapshot;
    }

    /// <summary>
    /// Records that <paramref name="version"/> is durable. Safe from any thread: a writer that reads
    /// the older value only keeps more granule history than needed.
    /// </summary>
    public void Confirm(Epoch version)
    {
        uint current;
        do
        {
            current = Volatile.Read(ref _confirmed);
            if (version.Value <= current)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _confirmed, version.Value, current) != current);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref PageEntry WritableEntry(PageId page)
    {
        Debug.Assert(page.Value < _pageCount, "writes stay below the page count");
        ref PageEntry entry = ref CachedEntry(page);
        if (entry.Written == _live)
        {
            Debug.Assert(LeafIsLive(page), "an entry written in the live version sits in a leaf the live version owns");
            return ref entry;
        }

        return ref WritableEntrySlow(page);
    }

    /// <summary>The page's entry in the cached leaf, without bounds checks (the page is below the page count).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe ref PageEntry CachedEntry(PageId page)
    {
        nint entries = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_leafEntries), (int)(page.Value >> PageTableNode.FanoutBits));
        Debug.Assert(entries != 0, "every range below the page count has a cached leaf");
        return ref ((PageEntry*)entries)[page.Value & PageTableNode.FanoutMask];
    }

    /// <summary>Where a leaf's (pinned) entry array keeps its first entry.</summary>
    private static unsafe nint AddressOf(PageEntry[] entries) => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(entries));

    private bool LeafIsLive(PageId page)
    {
        PageTableNode node = _root;
        for (int level = _height; level > 0; level--)
        {
            node = node.Children![(int)(page.Value >> (level * PageTableNode.FanoutBits)) & PageTableNode.FanoutMask]!;
        }

        return node.Version == _live && AddressOf(node.Entries!) == _leafEntries[page.Value >> PageTableNode.FanoutBits];
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ref PageEntry WritableEntrySlow(PageId page)
    {
        // A page's first write in a version. Most of them land in a range whose leaf the live
        // version already owns (an earlier page of the range was written): then the cached entry is
        // the live one, and the walk from the root (five dependent loads at 10M keys) is skipped.
        ref PageEntry entry = ref _liveLeaves[page.Value >> PageTableNode.FanoutBits] == _live.Value
            ? ref CachedEntry(page)
            : ref WritableLeaf(page).Entries![page.Value & PageTableNode.FanoutMask];
        Debug.Assert(LeafIsLive(page), "the entry sits in a leaf the live version owns");
        if (entry.Written != _live)
        {
            if (entry.Written <= _versions.NewestAlive && _versions.Needs(page, entry.Written))
            {
                // A frozen version still reads this frame: the live version gets its own copy.
                // (Not needed: every version that sees the frame streamed past it or never lists it.)
                FrameIndex copy = _frames.Rent();
                _memory.Frame(entry.Frame).CopyTo(_memory.Frame(copy));
                _reclaimer.RetireFrame(entry.Frame, entry.Written, _live);
                entry.Frame = copy;
                _liveFrames[page.Value] = copy.Value;
                CopyOnWriteCount++;
            }

            entry.BeginVersion(_live, Confirmed);
        }

        return ref entry;
    }

    /// <summary>Path-copies (or claims) the nodes from the root to the page's leaf for the live version.</summary>
    private PageTableNode WritableLeaf(PageId page)
    {
        PageTableNode node = Writable(ref _root);
        for (int level = _height; level > 0; level--)
        {
            int index = (int)(page.Value >> (level * PageTableNode.FanoutBits)) & PageTableNode.FanoutMask;
            ref PageTableNode? child = ref node.Children![index];
            if (child is null)
            {
                child = level == 1 ? _nodes.RentLeaf() : _nodes.RentInterior();
                child.Version = _live;
            }

            node = Writable(ref child);
        }

        Debug.Assert(node.IsLeaf, "the walk ends at a leaf");
        uint range = page.Value >> PageTableNode.FanoutBits;
        _leafEntries[range] = AddressOf(node.Entries!);
        _liveLeaves[range] = _live.Value;
        return node;
    }

    private PageTableNode Writable(ref PageTableNode slot)
    {
        PageTableNode node = slot;
        if (node.Version == _live)
        {
            return node;
        }

        if (node.Version > _versions.NewestAlive)
        {
            // No alive frozen version can reach this node: the live version may take it over.
            node.Version = _live;
            return node;
        }

        PageTableNode copy = node.IsLeaf ? _nodes.RentLeaf() : _nodes.RentInterior();
        copy.CopyFrom(node);
        copy.Version = _live;
        _reclaimer.RetireNode(node, _live);
        slot = copy;
        return copy;
    }

    private void GrowHeight()
    {
        if (_height == MaxHeight)
        {
            throw new InvalidOperationException("The page table reached its maximum height.");
        }

        PageTableNode root = _nodes.RentInterior();
        root.Version = _live;
        root.Children![0] = _root;
        _root = root;
        _height++;
    }

    private static long Capacity(int height) => 1L << (PageTableNode.FanoutBits * (height + 1));

    private static int BitOperationsLog2(int value) => System.Numerics.BitOperations.Log2((uint)value);

    /// <summary>Looks a page up in any version's tree (used by frozen readers).</summary>
    public static ref readonly PageEntry Lookup(PageTableNode root, int height, PageId page)
    {
        PageTableNode node = root;
        for (int level = height; level > 0; level--)
        {
            int index = (int)(page.Value >> (level * PageTableNode.FanoutBits)) & PageTableNode.FanoutMask;
            node = node.Children![index]!;
        }

        return ref node.Entries![page.Value & PageTableNode.FanoutMask];
    }
}
