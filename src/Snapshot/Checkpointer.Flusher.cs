using System.Collections.Immutable;
using System.Diagnostics;
using Snapshot.Catalog;
using Snapshot.Diagnostics;
using Snapshot.Format;
using Snapshot.Metrics;
using Snapshot.Writing;
using Store.Storage;
using Store.Versioning;

namespace Snapshot;

/// <summary>
/// The background half: writes each pending checkpoint's data file and commits it to the catalog,
/// in barrier order, on one thread-pool task at a time that the <see cref="FlushPoller"/> starts.
/// </summary>
public sealed partial class Checkpointer
{
    /// <summary>Called by the poller: starts one writer task for the queue when a barrier queued work.</summary>
    void IFlushTarget.StartQueuedWrites()
    {
        if (Volatile.Read(ref _queued) == 0)
        {
            return;
        }

        lock (_writerGate)
        {
            if (_disposed || !_writer.IsCompleted)
            {
                return; // the running writer re-checks the flag before it ends
            }

            Volatile.Write(ref _queued, 0);
            _writer = Task.Run(DrainQueueAsync);
        }
    }

    /// <summary>Writes queued checkpoints in barrier order until the queue is empty.</summary>
    private async Task DrainQueueAsync()
    {
        while (true)
        {
            while (_pending.TryTakeNextActive(out PendingCheckpoint pending))
            {
                _pending.Refill(); // the next barrier's shell, made here rather than on its path
                await WriteAndCommitAsync(pending).ConfigureAwait(false);
            }

            // A barrier between the last dequeue and here set the flag; take it over instead of waiting for the poller.
            if (Interlocked.Exchange(ref _queued, 0) == 0)
            {
                return;
            }
        }
    }

    private async Task WriteAndCommitAsync(PendingCheckpoint pending)
    {
        Epoch version = pending.FrozenEpoch;
        string? path = null;
        try
        {
            // The barrier froze this version and this checkpoint owns it, so it is alive until
            // released below. Inside the try: should that ever not hold, the checkpoint fails
            // (its task faults, its base is unprotected) instead of the flusher.
            FrozenVersion frozen = _store.FindFrozen(version) ?? throw new InvalidOperationException(
                $"Invariant broken: the frozen version {version.Value} of checkpoint {pending.Id} is not alive before its checkpoint released it.");
            if (pending.IsCancelled)
            {
                frozen.Release();
                throw new OperationCanceledException();
            }

            DataFileId fileId = TakeSpareFile();
            path = _files.DataPath(fileId);
            var header = new DataFileHeader(
                pending.Id, pending.Base?.Id ?? CheckpointId.None, version.Value, frozen.PageCount,
                _store.Options.PageSize, _store.Options.MaxParallelism, pending.Kind);
            WrittenFile written;
            try
            {
                written = await DataFileWriter.WriteAsync(
                    frozen, header, pending.Base?.Version ?? Epoch.None, path, () => pending.IsCancelled).ConfigureAwait(false);
            }
            finally
            {
                // The file (or the failure) is final: the frozen pages can go back to the store now.
                frozen.Release();
            }

            CheckpointResult result;
            lock (_commitLock)
            {
                if (pending.IsCancelled)
                {
                    throw new OperationCanceledException();
                }

                result = CommitWritten(pending, fileId, written, version, frozen.PageCount);
            }

            CheckpointMetrics.RecordCheckpoint(_options.Shard, result);
            pending.Completion.SetResult(result);
        }
        catch (Exception e)
        {
            if (path is not null)
            {
                TryDelete(path);
            }

            if (e is OperationCanceledException)
            {
                FinishCancelled(pending);
            }
            else
            {
                _pending.Remove(pending);
                pending.Completion.SetException(e);
            }
        }

        if (!_disposed)
        {
            TryPrepareSpareFile();
        }
    }

    /// <summary>Adds a written checkpoint to the catalog and commits it (the second fsync). Under _commitLock.</summary>
    private CheckpointResult CommitWritten(PendingCheckpoint pending, DataFileId fileId, WrittenFile written, Epoch version, uint pageCount)
    {
        ImmutableArray<DataFileId> chain = pending.Kind == CheckpointKind.Full ? [fileId] : pending.Base!.Chain.Add(fileId);
        var entry = new CheckpointEntry(
            pending.Id, pending.Base?.Id ?? CheckpointId.None, pending.Kind, Confirmed: false, version.Value, pageCount,
            DateTimeOffset.UtcNow, written.Length, written.Pages, written.Granules, chain);
        ImmutableArray<DataFileEntry>.Builder files = ImmutableArray.CreateBuilder<DataFileEntry>(_catalog.Files.Length + 1);
        foreach (DataFileEntry file in _catalog.Files)
        {
            files.Add(chain.Contains(file.Id) ? file with { LastUsedBy = pending.Id } : file);
        }

        files.Add(new DataFileEntry(fileId, pending.Id, pending.Id, written.Length));
        ShardCatalog next = _catalog with
        {
            Revision = _catalog.Revision + 1,
            PageSize = _store.Options.PageSize,
            MaxParallelism = _store.Options.MaxParallelism,
            NextFileId = Math.Max(_catalog.NextFileId, fileId.Value + 1),
            Checkpoints = _catalog.Checkpoints.Add(entry),
            Files = files.ToImmutable(),
        };
        Debug.Assert(next.Validate() is null, "a committed catalog is consistent: " + next.Validate());
        _catalogFile.Commit(next);
        _catalog = next;
        FaultPoints.Hit(FaultPoints.CatalogCommitted);
        _epochs[pending.Id] = version;
        _pending.Remove(pending);
        return new CheckpointResult(
            pending.Id, pending.Kind, entry.Base, chain.Length, written.Pages, written.Granules, written.Length,
            pending.SyncDuration, Stopwatch.GetElapsedTime(pending.BarrierTimestamp));
    }

    private void FinishCancelled(PendingCheckpoint pending)
    {
        _pending.Remove(pending);
        pending.Completion.TrySetCanceled();
    }

    /// <summary>The pre-created data file for the next checkpoint (created now if preparing it failed earlier).</summary>
    private DataFileId TakeSpareFile()
    {
        if (_spare is null)
        {
            PrepareSpareFile();
        }

        DataFileId spare = _spare!.Value;
        _spare = null;
        return spare;
    }

    /// <summary>
    /// Creates the next data file, empty, and makes its directory entry durable. Done after a
    /// checkpoint commits rather than on the next one's critical path, which then needs only the
    /// data fsync and the catalog fsync.
    /// </summary>
    private void PrepareSpareFile()
    {
        var id = new DataFileId(_nextFileId++);
        string path = _files.DataPath(id);
        using (new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read))
        {
        }

        DirectorySync.Flush(_files.Directory);
        _spare = id;
    }

    private void TryPrepareSpareFile()
    {
        if (_spare is not null)
        {
            return; // still unused (the checkpoint before was cancelled before it took one): another would leak
        }

        try
        {
            PrepareSpareFile();
        }
        catch (IOException)
        {
            // A full disk or similar: the next checkpoint creates its file itself (and reports the error if it persists).
        }
    }

    /// <summary>Deletes this shard's data files that the catalog does not reference: leftovers of crashes, aborts and interrupted retention.</summary>
    private void DeleteUnreferencedFiles()
    {
        var referenced = new HashSet<DataFileId>(_catalog.Files.Select(f => f.Id));
        foreach (DataFileId id in _files.DataFilesOnDisk().ToList())
        {
            if (!referenced.Contains(id))
            {
                TryDelete(_files.DataPath(id));
            }

            _nextFileId = Math.Max(_nextFileId, id.Value + 1);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Left for the next open's sweep of unreferenced files.
        }
    }
}
