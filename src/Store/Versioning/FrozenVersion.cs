using System.Diagnostics;
using System.Runtime.CompilerServices;
using Store.Diagnostics;
using Store.Index;
using Store.Pages;
using Store.PageTable;
using Store.Storage;

namespace Store.Versioning;

/// <summary>
/// An immutable version of the store's state, captured by <see cref="StateStore.Freeze"/>.
/// </summary>
/// <remarks>
/// <para>Threading: every member is safe from any number of threads, concurrently with the store's
/// writer. The content never changes; the writer copies a page before changing it. The exception
/// is a version its owner streams (<see cref="StreamDirtyPagesSince"/>): it is then read only
/// through that stream, and pages behind it are written in place.</para>
/// <para>Lifetime: call <see cref="Release"/> (or Dispose) once. Reads that are in progress on other
/// threads finish safely: each read holds a lease, and the pages go back to the pool only after
/// the last lease ends. A read that starts after Release throws <see cref="ObjectDisposedException"/>.
/// A frozen version stays readable after its store is disposed.</para>
/// </remarks>
public sealed class FrozenVersion : IFrozenPageSource, IDisposable
{
    // The frozen page table, kept as its root and its scalar shape. The root is handed to the shell
    // before the barrier (HintRoot), so that Activate stores a reference only when the hint went
    // stale: on a cold path a reference store runs the GC's write barrier, and the barrier path's
    // five of them were half of its pause (perf/README.md, "What is left", the cold barrier).
    private PageTableNode? _root;
    private Shape _shape;
    private readonly FrameMemory _memory;
    private readonly IndexGeometry _geometry;
    private readonly VersionRegistry _registry;
    // The store's: the last release makes the next barrier's shell. It keeps the store object, not
    // its frames, reachable while this version is.
    private readonly Action _prepareNextShell;
    private readonly StreamState _stream; // made with the shell, so Freeze allocates nothing
    private int _leases = 1; // the owner's; Release drops it
    private int _released;
    private uint _version; // Epoch.None until Activate publishes it, last, once the root and shape are set (see IsActivatedAs)

    /// <summary>
    /// Creates an inactive shell; <see cref="Activate"/> makes it a version. The store allocates the
    /// shell for the next barrier ahead of time (on the write before it), so Freeze allocates nothing
    /// after a write: an allocation can land on a never-touched heap page, a ~10 µs fault on these
    /// VMs, and may trigger a GC inside the barrier. The last release of a version makes the shell
    /// too, through <paramref name="prepareNextShell"/>, for barriers that no write precedes.
    /// </summary>
    internal FrozenVersion(FrameMemory memory, IndexGeometry geometry, VersionRegistry registry, Action prepareNextShell)
    {
        _memory = memory;
        _geometry = geometry;
        _registry = registry;
        _prepareNextShell = prepareNextShell;
        _stream = new StreamState(this);
    }

    /// <summary>
    /// The live root as it is now, which the next freeze will most likely capture. Before the shell
    /// is activated only: by the thread that makes the shell, then by the writer thread.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void HintRoot(PageTableNode root)
    {
        Debug.Assert(Version == Epoch.None, "only an inactive shell takes a hint");
        KeepRoot(root);
    }

    /// <summary>Stores <paramref name="root"/> only if it is not the one held: a reference store runs the GC's write barrier.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void KeepRoot(PageTableNode root)
    {
        if (!ReferenceEquals(_root, root))
        {
            _root = root;
        }
    }

    /// <summary>Turns the shell into the frozen version of <paramref name="snapshot"/>. Writer thread, once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // on the barrier's path, too rare to tier up
    internal void Activate(PageTableSnapshot snapshot)
    {
        Debug.Assert(Version == Epoch.None, "a shell is activated once");
        KeepRoot(snapshot.Root); // stores only if the hint went stale, or none was given
        _shape = new Shape(snapshot.Height, snapshot.PageCount, snapshot.ConfirmedAtFreeze);
        Volatile.Write(ref _version, snapshot.Version.Value); // last: after it, the root and shape are complete
    }

    /// <summary>
    /// True once this shell is the activated version <paramref name="version"/>. The registry lists
    /// a version before the barrier activates its shell (the copy-on-write rule must see it first),
    /// so a lookup from another thread checks this before it hands the version out.
    /// </summary>
    internal bool IsActivatedAs(Epoch version) => Volatile.Read(ref _version) == version.Value;

    private PageTableSnapshot Snapshot => new(_root!, _shape.Height, _shape.PageCount, Version, _shape.ConfirmedAtFreeze);

    public Epoch Version => new(Volatile.Read(ref _version));

    public Epoch ConfirmedAtFreeze => _shape.ConfirmedAtFreeze;

    public int PageSize => _geometry.PageSize;

    public int GranuleSize => _geometry.PageSize / 64;

    public int MaxParallelism => _geometry.MaxParallelism;

    public uint PageCount => _shape.PageCount;

    public bool IsReleased => Volatile.Read(ref _released) != 0;

    /// <summary>True once <see cref="StreamDirtyPagesSince"/> began; the version is then read only through its stream.</summary>
    public bool IsStreamed => _stream.Started;

    internal StreamState Stream => _stream;

    public bool TryGet(ReadOnlySpan<byte> key, Span<byte> destination, out int valueLength)
    {
        StateStore.ValidateKey(key);
        using Lease lease = new(this);
        return Reader().TryGet(key, destination, out valueLength);
    }

    public bool TryGetValueLength(ReadOnlySpan<byte> key, out int valueLength)
    {
        StateStore.ValidateKey(key);
        using Lease lease = new(this);
        return Reader().TryGetLength(key, out valueLength);
    }

    /// <summary>The value as a new array, or null when the key is absent (allocates; for tools and tests).</summary>
    public byte[]? Get(ReadOnlySpan<byte> key)
    {
        StateStore.ValidateKey(key);
        using Lease lease = new(this);
        IndexReader<FrozenPages> reader = Reader();
        if (!reader.TryGetLength(key, out int length))
        {
            return null;
        }

        byte[] value = new byte[length];
        reader.TryGet(key, value, out _);
        return value;
    }

    public long Count
    {
        get
        {
            using Lease lease = new(this);
            return Reader().Count();
        }
    }

    /// <summary>Every entry, optionally only of key groups [from, to). Holds a lease until disposed.</summary>
    public EntryEnumerator GetEntries(int fromKeyGroup = 0, int toKeyGroup = int.MaxValue)
    {
        IndexReader<FrozenPages> reader = Reader(); // throws before a lease is taken
        AcquireLease();
        return new EntryEnumerator(new EntryCursor<FrozenPages>(reader, fromKeyGroup, toKeyGroup, LeaseReleaser), null);
    }

    /// <summary>
    /// Pages written after <paramref name="baseVersion"/>, in page-id order, with what changed in
    /// each. The listing holds a lease while it is enumerated (foreach disposes it).
    /// </summary>
    public IEnumerable<DirtyPage> DirtyPagesSince(Epoch baseVersion)
    {
        ValidateListing(baseVersion);
        return WalkDirtyPages(baseVersion);
    }

    /// <summary>
    /// <see cref="DirtyPagesSince"/> for the version's single consumer (a checkpoint writer), which
    /// lets the writer skip copies: once the stream has moved past a page, and for every page it
    /// never lists, the live version writes the shared frame in place instead of copying it.
    /// </summary>
    /// <remarks>
    /// The contract, which the version enforces: one stream per version; from its start, only
    /// <see cref="CopyPage(PageId, int, Span{byte})"/> reads this version, and only pages the
    /// stream lists: the one it listed last, or later ones. Moving to the next page (MoveNext) declares the consumer
    /// done with every page before it. Every other read (TryGet, GetEntries, Count, another
    /// listing) throws <see cref="InvalidOperationException"/>, because the pages behind the
    /// stream may already hold newer bytes. Start the stream only when no other read of the
    /// version is in progress (the owner of a version it never handed out, as a checkpoint writer,
    /// knows that). Use <see cref="DirtyPagesSince"/> to keep the version whole for other readers.
    /// </remarks>
    public IEnumerable<DirtyPage> StreamDirtyPagesSince(Epoch baseVersion)
    {
        ValidateListing(baseVersion);
        if (!_stream.TryStart(baseVersion))
        {
            ThrowHelper.ThrowVersionStreamed(Version);
        }

        return WalkStreamed(baseVersion);
    }

    private IEnumerable<DirtyPage> WalkStreamed(Epoch baseVersion)
    {
        AcquireLease();
        try
        {
            // The walk runs StreamLookahead pages ahead of the consumer and prefetches each page's
            // header line and first dirty line as it is listed: a stream's pages are scattered
            // over the mapping, and reading them one cold miss after another is most of its time.
            // Pages in the lookahead are above the watermark, so they stay protected.
            var walker = new DirtyPageWalker(Snapshot, baseVersion);
            var ahead = new DirtyPage[StreamLookahead];
            int granuleShift = System.Numerics.BitOperations.Log2((uint)GranuleSize);
            int next = 0;
            int count = 0;
            while (true)
            {
                while (count < StreamLookahead && walker.MoveNext())
                {
                    DirtyPage listed = walker.Current;
                    _memory.Prefetch(walker.CurrentFrame, 0);
                    _memory.Prefetch(walker.CurrentFrame, FirstDirtyOffset(listed.Region, granuleShift));
                    ahead[(next + count) % StreamLookahead] = listed;
                    count++;
                }

                if (count == 0)
                {
                    break;
                }

                DirtyPage page = ahead[next];
                next = (next + 1) % StreamLookahead;
                count--;
                yield return page;
                _stream.Advance(page.Page.Value + 1); // resumed: the consumer is done with this page
            }

            _stream.Advance(PageCount);
        }
        finally
        {
            ReleaseLease();
        }
    }

    private const int StreamLookahead = 8;

    private static int FirstDirtyOffset(in DirtyRegion region, int granuleShift) =>
        region.HasExactExtents ? region.Extent(0).Offset
        : region.IsEmpty ? 0
        : System.Numerics.BitOperations.TrailingZeroCount(region.Granules) << granuleShift;

    private IEnumerable<DirtyPage> WalkDirtyPages(Epoch baseVersion)
    {
        AcquireLease();
        try
        {
            var walker = new DirtyPageWalker(Snapshot, baseVersion);
            while (walker.MoveNext())
            {
                yield return walker.Current;
            }
        }
        finally
        {
            ReleaseLease();
        }
    }

    public void CopyPage(PageId page, Span<byte> destination) => CopyPage(page, 0, destination[..PageSize]);

    public void CopyPage(PageId page, int offset, Span<byte> destination)
    {
        if (page.Value >= PageCount)
        {
            ThrowHelper.ThrowPageOutOfRange(page, PageCount);
        }

        using Lease lease = new(this);
        ref readonly PageEntry entry = ref Snapshot.Entry(page);
        if (!_stream.Needs(page, entry.Written)) // always true before a stream starts
        {
            // Behind the stream, or a page it never lists: either may already hold newer bytes.
            ThrowHelper.ThrowPageNotInStream(Version, page, _stream.Watermark);
        }

        _memory.Frame(entry.Frame).Slice(offset, destination.Length).CopyTo(destination);
    }

    /// <summary>Releases this version. Idempotent; pages go back to the pool after the last in-flight read.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            ReleaseLease();
        }
    }

    public void Dispose() => Release();

    public override string ToString() => $"frozen {Version} ({PageCount} pages{(IsReleased ? ", released" : "")})";

    /// <summary>A listing needs a live, unstreamed version and a base no older than the one confirmed at the freeze.</summary>
    private void ValidateListing(Epoch baseVersion)
    {
        ThrowIfReleased();
        ThrowIfStreamed();
        if (baseVersion != Epoch.None && baseVersion < ConfirmedAtFreeze)
        {
            ThrowHelper.ThrowBaseTooOld(baseVersion, ConfirmedAtFreeze);
        }
    }

    private void ThrowIfStreamed()
    {
        if (_stream.Started)
        {
            ThrowHelper.ThrowVersionStreamed(Version);
        }
    }

    private void ThrowIfReleased()
    {
        if (IsReleased)
        {
            ThrowHelper.ThrowVersionReleased(Version);
        }
    }

    private IndexReader<FrozenPages> Reader()
    {
        ThrowIfStreamed();
        return new(new FrozenPages(Snapshot, _memory), _geometry);
    }

    private Action LeaseReleaser => ReleaseLease;

    private void AcquireLease()
    {
        int current = Volatile.Read(ref _leases);
        while (true)
        {
            if (current == 0 || IsReleased)
            {
                ThrowHelper.ThrowVersionReleased(Version);
            }

            int seen = Interlocked.CompareExchange(ref _leases, current + 1, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private void ReleaseLease()
    {
        if (Interlocked.Decrement(ref _leases) == 0)
        {
            // Last reader gone: frames only this version used become reclaimable by the writer.
            // The next shell is made before this version's memory reference goes (see
            // StateStore.PrepareFrozenShell), and the reference goes even if making it throws.
            _registry.Remove(Version);
            try
            {
                _prepareNextShell();
            }
            finally
            {
                _memory.ReleaseReference();
            }
        }
    }

    private readonly ref struct Lease
    {
        private readonly FrozenVersion _owner;

        public Lease(FrozenVersion owner)
        {
            owner.AcquireLease();
            _owner = owner;
        }

        public void Dispose() => _owner.ReleaseLease();
    }

    /// <summary>A frozen page table's scalars: no reference, so storing them needs no write barrier.</summary>
    private readonly record struct Shape(int Height, uint PageCount, Epoch ConfirmedAtFreeze);

    /// <summary>A frozen tree's pages: a tree walk per page, from any thread.</summary>
    private readonly struct FrozenPages(PageTableSnapshot snapshot, FrameMemory memory) : IPageSource
    {
        public ReadOnlySpan<byte> Read(PageId page) => memory.Frame(snapshot.Entry(page).Frame);

        public void PrefetchForWrite(PageId page)
        {
        }

        public BucketMap? Buckets => null;
    }
}
