using System.Collections.Immutable;
using System.Diagnostics;
using Snapshot.Catalog;
using Snapshot.Diagnostics;
using Store.Versioning;

namespace Snapshot;

/// <summary>Confirm, Abort and retention: the catalog changes that decide which files live.</summary>
public sealed partial class Checkpointer
{
    /// <summary>
    /// Records that checkpoint <paramref name="id"/> completed globally. Returns once that is
    /// durable. The next incremental is based on it; older unconfirmed checkpoints are subsumed
    /// (dropped), and confirmed ones beyond RetainedCheckpoints are deleted with every file that
    /// no retained checkpoint references. Confirming twice, or confirming a checkpoint already
    /// retired by a newer confirmation, does nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">The checkpoint's data is still being written (confirm after its task completes), or it was never taken.</exception>
    public void Confirm(CheckpointId id)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_commitLock)
        {
            CheckpointEntry? entry = _catalog.Checkpoint(id);
            if (entry is null)
            {
                ThrowIfInFlight(id, "confirmed");
                if (_catalog.NewestConfirmed is { } newest && id < newest.Id)
                {
                    return; // retired or subsumed by a newer confirmation already
                }

                throw new InvalidOperationException($"Shard '{_options.Shard}' has no {id} to confirm (it was aborted, failed, or never taken).");
            }

            if (entry.Confirmed)
            {
                return;
            }

            ShardCatalog confirmed = WithConfirmed(id);
            bool ours = _epochs.TryGetValue(id, out Epoch version);
            if (ours)
            {
                // Published before the commit, so retention below may already drop the previous base
                // (a barrier that read it is in flight and keeps it), and before the store's version is
                // confirmed (see Barrier). Should the commit fail, later deltas based on this checkpoint
                // are still exact: its file stays registered for as long as they reference it.
                PublishBase(BaseCheckpoint.From(entry, version, _catalog));
            }

            CommitRetained(confirmed);
            if (ours)
            {
                _store.ConfirmVersion(version);
            }
        }
    }

    /// <summary>
    /// Drops checkpoint <paramref name="id"/> (Flink's notifyCheckpointAborted): a checkpoint still
    /// being written is cancelled and its task ends cancelled; a written one is removed with its
    /// file. Unknown ids are ignored. The next incremental still starts from the last confirmed
    /// checkpoint, so nothing the aborted one held is lost.
    /// </summary>
    /// <exception cref="InvalidOperationException">The checkpoint is already confirmed.</exception>
    public void Abort(CheckpointId id)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_commitLock)
        {
            // Under the commit lock the flusher cannot be between its cancellation check and its
            // commit, so the checkpoint is either still pending (and will see the flag) or committed.
            if (_pending.FindInFlight(id) is { } pending)
            {
                pending.Cancel();
                return;
            }

            CheckpointEntry? entry = _catalog.Checkpoint(id);
            if (entry is null)
            {
                return;
            }

            if (entry.Confirmed)
            {
                throw new InvalidOperationException($"{id} of shard '{_options.Shard}' is confirmed; a confirmed checkpoint cannot be aborted.");
            }

            CommitRetained(_catalog with { Checkpoints = _catalog.Checkpoints.Remove(entry) });
        }
    }

    /// <summary>Makes the restored checkpoint this store's base (its content is the store's confirmed version 1).</summary>
    private void AdoptRestored(CheckpointEntry entry)
    {
        lock (_commitLock)
        {
            _epochs[entry.Id] = Epoch.First;
            PublishBase(BaseCheckpoint.From(entry, Epoch.First, _catalog));
            if (!entry.Confirmed)
            {
                CommitRetained(WithConfirmed(entry.Id));
            }
        }
    }

    private void PublishBase(BaseCheckpoint next) => _pending.PublishBase(next);

    /// <summary>The catalog with <paramref name="id"/> confirmed and the unconfirmed checkpoints older than it subsumed (dropped).</summary>
    private ShardCatalog WithConfirmed(CheckpointId id) => _catalog with
    {
        Checkpoints = _catalog.Checkpoints
            .Where(c => c.Id >= id || c.Confirmed)
            .Select(c => c.Id == id ? c with { Confirmed = true } : c)
            .ToImmutableArray(),
    };

    /// <summary>
    /// Applies retention to <paramref name="changed"/>, commits it, then deletes the files it no
    /// longer references. The order is the safety argument: a file leaves the disk only after a
    /// durable catalog stops naming it, so a crash in between leaks it until the next open (which
    /// sweeps it), never loses it. Under _commitLock.
    /// </summary>
    private void CommitRetained(ShardCatalog changed)
    {
        ImmutableArray<CheckpointEntry> checkpoints = changed.Checkpoints;
        CheckpointEntry[] confirmed = checkpoints.Where(c => c.Confirmed).ToArray();
        if (confirmed.Length > _options.RetainedCheckpoints)
        {
            // A checkpoint being written, or prepared for the next barrier, needs its base's chain
            // when it commits; so does the current base. Those stay until a retention after they
            // stop being needed (one checkpoint more than asked, briefly). See PendingCheckpoints.
            HashSet<CheckpointId> bases = _pending.ProtectedBases();
            CheckpointId oldestKept = confirmed[^_options.RetainedCheckpoints].Id;
            checkpoints = checkpoints.RemoveAll(c => c.Confirmed && c.Id < oldestKept && !bases.Contains(c.Id));
        }

        var referenced = new HashSet<DataFileId>(checkpoints.SelectMany(c => c.Chain));
        ImmutableArray<DataFileEntry> kept = changed.Files.RemoveAll(f => !referenced.Contains(f.Id));
        List<DataFileEntry> obsolete = changed.Files.Where(f => !referenced.Contains(f.Id)).ToList();
        ShardCatalog next = changed with { Revision = _catalog.Revision + 1, Checkpoints = checkpoints, Files = kept };
        Debug.Assert(next.Validate() is null, "a committed catalog is consistent: " + next.Validate());
        _catalogFile.Commit(next);
        _catalog = next;
        FaultPoints.Hit(FaultPoints.CatalogCommitted);
        foreach (CheckpointId gone in _epochs.Keys.Where(k => next.Checkpoint(k) is null).ToList())
        {
            _epochs.Remove(gone);
        }

        foreach (DataFileEntry file in obsolete)
        {
            FaultPoints.Hit(FaultPoints.RetentionDelete);
            TryDelete(_files.DataPath(file.Id));
        }
    }

    private void ThrowIfInFlight(CheckpointId id, string action)
    {
        if (_pending.FindInFlight(id) is not null)
        {
            throw new InvalidOperationException(
                $"{id} of shard '{_options.Shard}' is still being written and cannot be {action} yet; wait for the task Barrier returned.");
        }
    }
}
