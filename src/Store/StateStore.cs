using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Store.Diagnostics;
using Store.Index;
using Store.Pages;
using Store.PageTable;
using Store.Storage;
using Store.Versioning;

namespace Store;

/// <summary>
/// Keyed state for one stream operator instance: byte-span keys and values in memory-mapped pages,
/// with O(1) freezes of consistent versions for checkpoints.
/// </summary>
/// <remarks>
/// <para><b>Threading.</b> One writer thread per store: Get, Put, Delete, ReadModifyWrite, Freeze,
/// enumeration and Dispose must all come from one thread at a time (an operator instance is
/// single-threaded). Debug builds detect a second concurrent writer and throw. Any number of other
/// threads may read <see cref="FrozenVersion"/>s while the writer goes on; <see cref="ConfirmVersion"/>
/// may be called from any thread.</para>
/// <para><b>Versions.</b> <see cref="Freeze"/> turns the live version into an immutable
/// <see cref="FrozenVersion"/> in O(1) and opens the next one. The first write to a page that a
/// frozen version still holds copies that page once (a memcpy into a pre-faulted pooled frame).</para>
/// </remarks>
public sealed class StateStore : IDisposable
{
    /// <summary>Keys are 1 to 1024 bytes.</summary>
    public const int MaxKeyLength = 1024;

    /// <summary>
    /// Retired frames and nodes one write may return to their pools. At 64 the writes right after a
    /// release paid ~2 µs each (the p99 of first writes after a freeze); 16 keeps each under ~0.5 µs.
    /// </summary>
    private const int ReclaimBudgetPerWrite = 16;

    private readonly StoreOptions _options;
    private readonly DirectoryLock? _lock;
    private readonly FrameMemory _memory;
    private readonly FramePool _frames;
    private readonly Reclaimer _reclaimer;
    private readonly VersionRegistry _versions = new();
    private readonly PageTable.PageTable _table;
    private readonly IndexGeometry _geometry;
    private readonly HashIndex _index;
    private readonly int _maxFrozenVersions; // a copy, so the barrier does not touch the options object
    private FrozenVersion? _nextFrozen; // allocated off the barrier (see FrozenVersion's constructor)
    private WriterGuard _writer;
    private long _modifications;
    private bool _disposed;
    private readonly Action _prepareFrozenShell; // cached: every shell carries it (see PrepareFrozenShell)

    private StateStore(StoreOptions options, bool format = true)
    {
        options.Validate();
        _options = options;
        _maxFrozenVersions = options.MaxFrozenVersions;
        _prepareFrozenShell = PrepareFrozenShell;
        if (options.Directory is not null)
        {
            Directory.CreateDirectory(options.Directory);
            _lock = DirectoryLock.Acquire(options.Directory);
        }

        try
        {
            _memory = new FrameMemory(options.Directory, options.PageSize, options.SegmentBytes);
            _frames = new FramePool(_memory);
            var nodes = new PageTableNodePool();
            _reclaimer = new Reclaimer(_frames, nodes, options.PageSize);
            _table = new PageTable.PageTable(_memory, _frames, nodes, _reclaimer, _versions);
            _geometry = new IndexGeometry(options.PageSize, options.MaxParallelism);
            _index = new HashIndex(_table, _frames, _geometry, format);
        }
        catch
        {
            _memory?.Dispose();
            _lock?.Dispose();
            throw;
        }
    }

    /// <summary>Creates a store. With <see cref="StoreOptions.Directory"/> set, the directory is locked for this instance.</summary>
    public static StateStore Open(StoreOptions? options = null) => new(options ?? new StoreOptions());

    /// <summary>
    /// Starts rebuilding a store from page images (a checkpoint restore). The loader holds a new,
    /// empty store of <paramref name="pageCount"/> zeroed pages; fill them with
    /// <see cref="StoreLoader.Write"/>, then <see cref="StoreLoader.Complete"/> checks the meta page
    /// and hands the store over. The restored content is its version 1, already confirmed.
    /// </summary>
    public static StoreLoader BeginRestore(StoreOptions options, uint pageCount)
    {
        ArgumentNullException.ThrowIfNull(options);
        var store = new StateStore(options, format: false);
        try
        {
            // Every page is about to be written by the restore: its memory is pre-faulted on the
            // other core meanwhile, and the pages themselves are created as the restore reaches
            // them (AllocateRestoredPages), in time the restore would otherwise spend waiting for reads.
            store._frames.EnsureFreePrefaultingInBackground(checked((int)pageCount) + 1);
            return new StoreLoader(store, pageCount);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Creates restored pages (zeroed, not dirty) until there are <paramref name="count"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
    internal void AllocateRestoredPages(uint count)
    {
        while (_table.PageCount < count)
        {
            _table.Allocate();
        }
    }

    internal void WriteRestored(PageId page, int offset, ReadOnlySpan<byte> bytes) => _table.WriteRestored(page, offset, bytes);

    internal Memory<byte> RestoredPageMemory(PageId page) => _memory.FrameAsMemory(_table.RestoredFrame(page));

    internal void SealRestore(string? source)
    {
        _memory.WaitForPrefault();
        _table.SealRestore();
        _index.LoadRestored(source);
    }

    public StoreOptions Options => _options;

    public long Count
    {
        get
        {
            ThrowIfDisposed();
            return _index.Count;
        }
    }

    /// <summary>The version that writes go to now.</summary>
    public Epoch LiveVersion => _table.Live;

    public int FrozenVersionsAlive => _versions.AliveCount;

    /// <summary>Bytes of pages and page-table nodes held only by frozen versions (bounded by MaxFrozenBytes).</summary>
    public long FrozenBytes => _reclaimer.HeldBytes;

    /// <summary>Completes when a frozen version is next fully released: what a writer told "frozen memory is full" waits for.</summary>
    public Task WhenFrozenVersionReleased => _versions.WhenReleased;

    public StoreStatistics Statistics => new(
        _table.PageCount, _frames.InUse, _memory.MappedBytes, _table.CopyOnWriteCount, _reclaimer.HeldBytes, _versions.AliveCount);

    public bool TryGet(ReadOnlySpan<byte> key, Span<byte> destination, out int valueLength)
    {
        ValidateKey(key);
        ThrowIfDisposed();
        return _index.Reader.TryGet(key, destination, out valueLength);
    }

    public bool TryGetValueLength(ReadOnlySpan<byte> key, out int valueLength)
    {
        ValidateKey(key);
        ThrowIfDisposed();
        return _index.Reader.TryGetLength(key, out valueLength);
    }

    /// <summary>The value as a new array, or null when the key is absent (allocates; hot paths use TryGet).</summary>
    public byte[]? Get(ReadOnlySpan<byte> key)
    {
        if (!TryGetValueLength(key, out int length))
        {
            return null;
        }

        byte[] value = new byte[length];
        _index.Reader.TryGet(key, value, out _);
        return value;
    }

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        ValidateKey(key);
        if (value.IsEmpty)
        {
            ThrowHelper.ThrowEmptyValue(nameof(value));
        }

        ValidateValueLength(value.Length, _options.MaxValueLength);
        BeginWrite();
        try
        {
            _index.Put(key, value);
        }
        finally
        {
            _writer.Exit();
        }
    }

    /// <summary>Removes the key; false when it was absent.</summary>
    public bool Delete(ReadOnlySpan<byte> key)
    {
        ValidateKey(key);
        BeginWrite();
        try
        {
            return _index.Delete(key);
        }
        finally
        {
            _writer.Exit();
        }
    }

    /// <summary>
    /// Reads the key's value (if any), lets <paramref name="updater"/> compute the new one, and
    /// stores it with one lookup. A same-length update rewrites only the bytes that changed.
    /// </summary>
    public void ReadModifyWrite<TUpdater>(ReadOnlySpan<byte> key, ref TUpdater updater)
        where TUpdater : IValueUpdater, allows ref struct
    {
        ValidateKey(key);
        BeginWrite();
        try
        {
            _index.ReadModifyWrite(key, ref updater, _options.MaxValueLength);
        }
        finally
        {
            _writer.Exit();
        }
    }

    /// <summary>
    /// The checkpoint barrier: freezes the live version in O(1) and opens the next one. Throws
    /// <see cref="FrozenVersionLimitException"/> when MaxFrozenVersions are alive; see <see cref="TryFreeze"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a barrier path: see Checkpointer.Barrier's remarks
    public FrozenVersion Freeze() =>
        FreezeCore() ?? throw new FrozenVersionLimitException(_versions.AliveCount, _options.MaxFrozenVersions);

    /// <summary>Freeze that returns false instead of throwing when MaxFrozenVersions are alive.</summary>
    public bool TryFreeze([NotNullWhen(true)] out FrozenVersion? frozen)
    {
        frozen = FreezeCore();
        return frozen is not null;
    }

    /// <summary>
    /// The barrier itself; null when MaxFrozenVersions are alive. It returns the version rather than
    /// setting an out parameter, and stores no reference on its usual path (the shell's root and
    /// stream were handed over beforehand): each reference store runs the GC's write barrier, and
    /// on a cold barrier those were half of the pause (perf/README.md, "What is left", the cold barrier).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // a barrier path, too rare to tier up
    private FrozenVersion? FreezeCore()
    {
        ThrowIfDisposed();
        _writer.Enter();
        try
        {
            // Registering first makes the copy-on-write rule see the new frozen version before the
            // live version can write again (same thread, so program order suffices).
            // Taken atomically: a frozen version's last release, on any thread, may offer a shell at
            // the same time (see PrepareFrozenShell).
            FrozenVersion shell = Interlocked.Exchange(ref _nextFrozen, null) ?? NewFrozenShell();
            if (!_versions.TryAdd(_table.Live, shell.Stream, _maxFrozenVersions, out _))
            {
                OfferShell(shell);
                return null;
            }

            shell.Activate(_table.Freeze());
            _modifications++;
            return shell;
        }
        finally
        {
            _writer.Exit();
        }
    }

    /// <summary>
    /// The frozen version of <paramref name="version"/> once Freeze has returned it and until its
    /// owner releases it, or null. Any thread. A checkpointer finds its version this way instead of
    /// keeping the reference that Freeze returns, which the barrier would have to store. The version
    /// still belongs to whoever froze it: only the owner may release it.
    /// </summary>
    public FrozenVersion? FindFrozen(Epoch version) => _versions.Find(version);

    /// <summary>
    /// Records that <paramref name="version"/> is durable (its checkpoint was confirmed). Later
    /// dirty listings may use it as their base, and granule history older than it is dropped.
    /// Any thread.
    /// </summary>
    public void ConfirmVersion(Epoch version)
    {
        if (version == Epoch.None || version >= _table.Live)
        {
            throw new ArgumentOutOfRangeException(nameof(version), version.Value,
                $"Only frozen versions can be confirmed; the live version is {_table.Live.Value}.");
        }

        _table.Confirm(version);
    }

    /// <summary>Entries of the live version, optionally of key groups [from, to). Writer thread; no writes meanwhile.</summary>
    public EntryEnumerator GetEntries(int fromKeyGroup = 0, int toKeyGroup = int.MaxValue)
    {
        ThrowIfDisposed();
        long expected = _modifications;
        return new EntryEnumerator(
            new EntryCursor<LivePages>(_index.Reader, fromKeyGroup, toKeyGroup, null),
            () => !_disposed && _modifications == expected);
    }

    /// <summary>
    /// Returns to the pool, now, every page and table node that only released frozen versions held.
    /// Writes do this gradually (a bounded slice each); call this on the writer thread when idle.
    /// </summary>
    public void ReclaimReleasedPages()
    {
        ThrowIfDisposed();
        _writer.Enter();
        try
        {
            ReclaimAll();
        }
        finally
        {
            _writer.Exit();
        }
    }

    private void ReclaimAll()
    {
        // The first call finishes a pass in progress; the second judges releases that came after it began.
        _reclaimer.Reclaim(_versions, int.MaxValue);
        _reclaimer.Reclaim(_versions, int.MaxValue);
    }

    /// <summary>The key group of a key under this store's MaxParallelism.</summary>
    public int KeyGroupOf(ReadOnlySpan<byte> key) => KeyHash.Of(key).KeyGroup(_options.MaxParallelism);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _writer.Enter();
        Volatile.Write(ref _disposed, true); // before the shell is taken: see PrepareFrozenShell
        _memory.UnlinkFile();
        if (Interlocked.Exchange(ref _nextFrozen, null) is not null)
        {
            _memory.ReleaseReference(); // the unused shell's (see NewFrozenShell)
        }

        _memory.ReleaseReference();
        _lock?.Dispose();
        _writer.Exit();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void BeginWrite()
    {
        ThrowIfDisposed();
        _writer.Enter();
        _modifications++;
        if (_nextFrozen is { } next)
        {
            // The live root changes once a version, on its first write, which comes after the
            // shell was made: keep the shell's hint current, so the barrier need not store it.
            next.HintRoot(_table.Root);
        }
        else
        {
            PrepareFrozenShell();
        }
        // One volatile read when nothing was released since the last write; otherwise a bounded
        // slice of reclamation, so a release never stalls one write for long.
        _reclaimer.Reclaim(_versions, ReclaimBudgetPerWrite);
        if (_reclaimer.HeldBytes >= _options.MaxFrozenBytes)
        {
            ReclaimAll();
            if (_reclaimer.HeldBytes >= _options.MaxFrozenBytes)
            {
                _writer.Exit();
                throw new FrozenMemoryLimitException(_reclaimer.HeldBytes, _options.MaxFrozenBytes);
            }
        }
    }

    /// <summary>
    /// A shell for the next freeze. It takes its reference on the frame memory now, off the
    /// barrier: an interlocked increment on the memory's cold line cost a barrier up to 0.34 µs.
    /// A shell never activated gives its reference back when the store is disposed.
    /// </summary>
    private FrozenVersion NewFrozenShell()
    {
        _memory.AddReference();
        return new(_memory, _geometry, _versions, _prepareFrozenShell);
    }

    /// <summary>
    /// Makes the next barrier's shell if none is ready. Called by a write and, on any thread, by a
    /// frozen version's last release, so that a barrier with no write since the one before (an
    /// idle operator) finds a shell too instead of allocating one. An allocation on the barrier
    /// refills the GC's allocation context every 73 shells, which on fresh heap memory cost
    /// 4–9 µs (perf/HISTORY.md, "Idle barriers allocate nothing").
    /// </summary>
    /// <remarks>
    /// The caller holds a reference on the frame memory (the store itself, or the releasing
    /// version, which drops its own only after this returns), so the shell's reference is never
    /// the first one taken on dead memory. Ordering against <see cref="Dispose"/>: Dispose writes
    /// _disposed and then takes the shell, both with full fences; a shell offered concurrently is
    /// either taken by Dispose or seen here after the offer, through _disposed, and taken back.
    /// Either way exactly one side releases its reference.
    /// </remarks>
    private void PrepareFrozenShell()
    {
        if (Volatile.Read(ref _nextFrozen) is not null || Volatile.Read(ref _disposed))
        {
            return;
        }

        // Handed its hints before it is offered: once offered, only the writer touches it. A racy
        // read of the live root is fine here, as a stale hint only costs the barrier a store.
        FrozenVersion shell = NewFrozenShell();
        shell.HintRoot(_table.Root);
        if (OfferShell(shell))
        {
            _versions.Stage(shell.Stream);
        }

        if (Volatile.Read(ref _disposed) && Interlocked.Exchange(ref _nextFrozen, null) is not null)
        {
            _memory.ReleaseReference();
        }
    }

    /// <summary>Makes <paramref name="shell"/> the next one, or drops it (its memory reference) if another is already there.</summary>
    private bool OfferShell(FrozenVersion shell)
    {
        if (Interlocked.CompareExchange(ref _nextFrozen, shell, null) is not null)
        {
            _memory.ReleaseReference();
            return false;
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfDisposed()
    {
        if (_disposed)
        {
            ThrowHelper.ThrowStoreDisposed();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ValidateKey(ReadOnlySpan<byte> key)
    {
        if (key.IsEmpty)
        {
            ThrowHelper.ThrowEmptyKey(nameof(key));
        }

        if (key.Length > MaxKeyLength)
        {
            ThrowHelper.ThrowKeyTooLong(key.Length, MaxKeyLength, nameof(key));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ValidateValueLength(int length, int maxValueLength)
    {
        if (length <= 0)
        {
            ThrowHelper.ThrowEmptyValue("value");
        }

        if (length > maxValueLength)
        {
            ThrowHelper.ThrowValueTooLong(length, maxValueLength, "value");
        }
    }

    internal PageTable.PageTable PageTableForTests => _table;

    internal HashIndex IndexForTests => _index;

    internal FramePool FramesForTests => _frames;
}

/// <summary>A point-in-time view of a store's resource use.</summary>
/// <param name="Pages">Logical pages allocated.</param>
/// <param name="FramesInUse">Frames used by the live version, frozen versions or waiting for reclamation.</param>
/// <param name="MappedBytes">Frame memory mapped (and pre-faulted).</param>
/// <param name="CopyOnWriteCount">Pages copied because a frozen version held them, since the store opened.</param>
/// <param name="FrozenBytes">Bytes held only by frozen versions.</param>
/// <param name="FrozenVersionsAlive">Frozen versions not yet fully released.</param>
public readonly record struct StoreStatistics(
    uint Pages, int FramesInUse, long MappedBytes, long CopyOnWriteCount, long FrozenBytes, int FrozenVersionsAlive);
