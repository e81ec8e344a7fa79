using System.Collections.Immutable;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Snapshot.Catalog;
using Snapshot.Metrics;
using Snapshot.Reading;
using Snapshot.Writing;
using Store;
using Store.Diagnostics;
using Store.Storage;
using Store.Versioning;

namespace Snapshot;

/// <summary>
/// Incremental checkpoints of one store (a shard) into a checkpoint directory, for a stream
/// operator: <see cref="Barrier"/> at each checkpoint barrier, <see cref="Confirm"/> when the
/// checkpoint is globally complete (Flink's notifyCheckpointComplete), <see cref="Abort"/> when it
/// is not; <see cref="Restore"/> after a failure.
/// </summary>
/// <remarks>
/// <para><b>Threading.</b> Barrier runs on the store's writer thread (it freezes the store).
/// Confirm, Abort and the result tasks may be used from any thread. Data files are written by one
/// background task, in barrier order.</para>
/// <para><b>Durability.</b> A checkpoint's task completes after its data file and the catalog
/// entry naming it are both fsynced (two fsyncs; the file's directory entry was made durable
/// before the barrier). Confirm returns after the confirmation is fsynced. A crash at any instant
/// therefore loses no confirmed checkpoint.</para>
/// <para><b>Bases.</b> An incremental checkpoint holds the bytes written since the last checkpoint
/// confirmed <i>before its barrier</i>: an aborted or unconfirmed checkpoint never becomes a base,
/// so nothing it held is lost. The chain a restore reads is bounded by MaxChainLength and
/// MaxDeltaRatio, or by <c>forceFull</c>.</para>
/// <para><b>Files.</b> Exactly the files referenced by retained checkpoints (the newest
/// RetainedCheckpoints confirmed ones, plus written ones newer than them) are kept. A file is
/// deleted only after a committed catalog stops referencing it; files a crash left unreferenced are
/// deleted when the shard is next opened.</para>
/// </remarks>
public sealed partial class Checkpointer : IFlushTarget, IDisposable
{
    private readonly StateStore _store;
    private readonly CheckpointOptions _options;
    private readonly ShardFiles _files;
    private readonly FileStream _shardLock;
    private readonly CatalogFile _catalogFile;

    /// <summary>Guards the catalog and its commits (held across fsyncs; the barrier never takes it).</summary>
    private readonly Lock _commitLock = new();

    private readonly PendingCheckpoints _pending;
    private readonly Dictionary<CheckpointId, Epoch> _epochs = new(); // checkpoints this store instance froze (under _commitLock)
    private readonly Lock _writerGate = new(); // guards _writer
    private Task _writer = Task.CompletedTask;  // the running drain of the queue, if any
    private int _queued;                        // 1 after a barrier until the poller starts the writer
    private ShardCatalog _catalog;
    private CheckpointId _lastBarrier;
    private long _nextFileId;
    private DataFileId? _spare;
    private volatile bool _disposed;

    private Checkpointer(StateStore store, CheckpointOptions options, FileStream shardLock, CatalogFile catalogFile, ShardCatalog catalog)
    {
        _store = store;
        _options = options;
        _files = new ShardFiles(options.Directory, options.Shard);
        _shardLock = shardLock;
        _catalogFile = catalogFile;
        _catalog = catalog;
        _pending = new PendingCheckpoints(options);
        _pending.Refill();
        _lastBarrier = catalog.Checkpoints.IsEmpty ? CheckpointId.None : catalog.Checkpoints[^1].Id;
        _nextFileId = catalog.NextFileId;
        DeleteUnreferencedFiles();
        PrepareSpareFile();
        FlushPoller.Register(this);
        CheckpointMetrics.Register(this, options.Shard);
    }

    /// <summary>
    /// Starts checkpointing <paramref name="store"/> into the options' directory. Existing
    /// checkpoints of the shard are kept (and retained as usual), but this store's first checkpoint
    /// is full: its state has no known relation to them. To continue from a checkpoint, use <see cref="Restore"/>.
    /// </summary>
    public static Checkpointer Open(StateStore store, CheckpointOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        (FileStream shardLock, CatalogFile catalogFile, ShardCatalog catalog) = OpenShard(options);
        try
        {
            if (catalog.PageSize != 0 &&
                (catalog.PageSize != store.Options.PageSize || catalog.MaxParallelism != store.Options.MaxParallelism))
            {
                throw new ArgumentException(
                    $"Shard '{options.Shard}' in '{options.Directory}' holds checkpoints of a store with PageSize {catalog.PageSize} and " +
                    $"MaxParallelism {catalog.MaxParallelism}; this store has {store.Options.PageSize} and {store.Options.MaxParallelism}. " +
                    "Use another shard name or directory, or the same options.", nameof(store));
            }

            return new Checkpointer(store, options, shardLock, catalogFile, catalog);
        }
        catch
        {
            catalogFile.Dispose();
            shardLock.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Restores the shard into a new store, from <paramref name="id"/> or else the newest confirmed
    /// checkpoint, verifying every checksum, and returns it with a checkpointer whose next
    /// incremental is based on the restored checkpoint. Restoring a written but unconfirmed
    /// checkpoint by id confirms it (the caller knows it completed globally).
    /// </summary>
    /// <param name="fallBackToOlder">
    /// When the chosen checkpoint is damaged, try older confirmed ones instead of failing. Off by
    /// default: silently restoring older state would break exactly-once.
    /// </param>
    public static RestoredCheckpoint Restore(CheckpointOptions options, StoreOptions storeOptions, CheckpointId? id = null, bool fallBackToOlder = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(storeOptions);
        options.Validate();
        long started = Stopwatch.GetTimestamp();
        (FileStream shardLock, CatalogFile catalogFile, ShardCatalog catalog) = OpenShard(options);
        StateStore? store = null;
        try
        {
            var files = new ShardFiles(options.Directory, options.Shard);
            CheckpointEntry entry = CheckpointRestorer.Select(catalog, id);
            var skipped = new List<StoreCorruptedException>();
            while (true)
            {
                try
                {
                    store = CheckpointRestorer.Restore(files, catalog, entry, storeOptions);
                    break;
                }
                catch (StoreCorruptedException e) when (fallBackToOlder)
                {
                    skipped.Add(e);
                    entry = catalog.Checkpoints.LastOrDefault(c => c.Confirmed && c.Id < entry.Id)
                        ?? throw new CheckpointNotFoundException(
                            $"Every retained checkpoint of shard '{options.Shard}' failed to restore; the first failure was: {skipped[0].Message}");
                }
            }

            var checkpointer = new Checkpointer(store, options, shardLock, catalogFile, catalog);
            checkpointer.AdoptRestored(entry);
            TimeSpan duration = Stopwatch.GetElapsedTime(started);
            CheckpointMetrics.RecordRestore(options.Shard, duration);
            return new RestoredCheckpoint(store, checkpointer, entry.Id, duration, skipped);
        }
        catch
        {
            store?.Dispose();
            catalogFile.Dispose();
            shardLock.Dispose();
            throw;
        }
    }

    public StateStore Store => _store;

    public CheckpointOptions Options => _options;

    /// <summary>The committed catalog as of now (immutable).</summary>
    public ShardCatalog Catalog
    {
        get
        {
            lock (_commitLock)
            {
                return _catalog;
            }
        }
    }

    /// <summary>
    /// The checkpoint barrier. Synchronously freezes the store (O(1)) and returns a task that
    /// completes when the checkpoint is durable and committed, with what it wrote. Ids must increase.
    /// Past the store's MaxFrozenVersions this throws <see cref="FrozenVersionLimitException"/>
    /// (decline the checkpoint, or wait for an earlier one).
    /// </summary>
    /// <param name="forceFull">Write every page, starting a new chain.</param>
    /// <remarks>
    /// Every method on the barrier's path, down to the store's freeze, is compiled fully optimized
    /// on first use (AggressiveOptimization). A barrier runs once per checkpoint, far too rarely
    /// for tiered compilation to promote it (30 calls, then a background re-compile), so it would
    /// otherwise run as unoptimized tier-0 code for the first 30 checkpoints at least, where each
    /// property access is a call through a counting stub. That doubled the main job's pause
    /// (p50 5.0–5.9 µs against 2.1–2.6 µs, perf/HISTORY.md "The barrier as tier-0 code").
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Task<CheckpointResult> Barrier(CheckpointId id, bool forceFull = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (id.Value <= _lastBarrier.Value)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id.Value,
                $"Checkpoint ids must increase; {_lastBarrier} was already taken by shard '{_options.Shard}'.");
        }

        long started = Stopwatch.GetTimestamp();
        _pending.Warm();
        FrozenVersion frozen = _store.Freeze();
        // Taken after the freeze, so its base is never older than the freeze's confirmed version
        // (see PendingCheckpoints). The prepared shell is the only object the barrier touches.
        PendingCheckpoint pending = _pending.TakePrepared() ?? _pending.PrepareNow();
        pending.Activate(id, frozen.Version, forceFull, started);
        Task<CheckpointResult> result = pending.ResultTask;
        _lastBarrier = id;
        pending.SyncEndTimestamp = Stopwatch.GetTimestamp();
        pending.Publish();
        Volatile.Write(ref _queued, 1); // no wake-up here: the poller notices within a millisecond (see FlushPoller)
        return result;
    }

    internal bool TryReadStatistics(out StoreStatistics statistics)
    {
        if (_disposed)
        {
            statistics = default;
            return false;
        }

        try
        {
            statistics = _store.Statistics;
            return true;
        }
        catch (ObjectDisposedException)
        {
            statistics = default;
            return false;
        }
    }

    /// <summary>
    /// Stops checkpointing: checkpoints still being written are cancelled (their tasks end
    /// cancelled and their files are deleted); committed ones stay. Does not dispose the store.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        FlushPoller.Unregister(this);
        CheckpointMetrics.Unregister(this);
        _pending.CancelAll();

        Task writer;
        lock (_writerGate)
        {
            writer = _writer;
        }

        writer.ContinueWith(static _ => { }, TaskScheduler.Default).Wait(); // its failures went to the checkpoints' tasks
        DrainQueueAsync().GetAwaiter().GetResult(); // whatever the poller never started: cancelled, frozen versions released
        _catalogFile.Dispose();
        _shardLock.Dispose();
    }

    private static (FileStream Lock, CatalogFile Catalog, ShardCatalog Loaded) OpenShard(CheckpointOptions options)
    {
        var files = new ShardFiles(options.Directory, options.Shard);
        System.IO.Directory.CreateDirectory(options.Directory);
        FileStream shardLock;
        try
        {
            shardLock = new FileStream(files.LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new InvalidOperationException(
                $"Shard '{options.Shard}' in '{options.Directory}' is already open in another checkpointer or process ({files.LockPath} is locked).", e);
        }

        CatalogFile? catalogFile = null;
        try
        {
            catalogFile = CatalogFile.OpenOrCreate(files);
            return (shardLock, catalogFile, catalogFile.Load());
        }
        catch
        {
            catalogFile?.Dispose();
            shardLock.Dispose();
            throw;
        }
    }
}

/// <summary>A restored store and the checkpointer that continues its chain.</summary>
/// <param name="Skipped">Damaged newer checkpoints passed over (only with fallBackToOlder).</param>
public sealed record RestoredCheckpoint(StateStore Store, Checkpointer Checkpointer, CheckpointId Id, TimeSpan Duration, IReadOnlyList<StoreCorruptedException> Skipped);
