using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Snapshot;

/// <summary>
/// Every checkpoint between preparation and commit, and the base the next barrier builds on.
/// </summary>
/// <remarks>
/// <para>Why it looks like this: with a cold cache each distinct object a barrier touches cost it
/// 1.5–4 µs here (measured inside Barrier after 10,000 random writes: the lock, the queue and the
/// dictionary each cost that much). So the barrier touches one prepared object, taken with one
/// exchange; everything else (locks, lists, the choice of base and kind) happens before it, on
/// other threads.</para>
/// <para>Invariant (retention safety): the base of every registered checkpoint, prepared or in
/// flight, and the current base are in <see cref="ProtectedBases"/>. A barrier can only take a
/// registered shell, so there is no instant at which it holds a base retention does not see.</para>
/// <para>Invariant (base freshness): <see cref="PublishBase"/> replaces the prepared shell in the
/// same step as the base, and Confirm publishes before it confirms the store's version; a barrier
/// takes its shell after its freeze, so its base is never older than the freeze's confirmed version.</para>
/// </remarks>
internal sealed class PendingCheckpoints(CheckpointOptions options)
{
    private readonly Lock _lock = new();
    private readonly List<PendingCheckpoint> _registered = []; // barrier order among the activated ones
    private PendingCheckpoint? _prepared;
    private BaseCheckpoint? _base;

    /// <summary>
    /// Starts loading the prepared shell into cache before the freeze (it reads the shell's task
    /// field), so that cache miss overlaps the freeze's own instead of following them. A hint: the
    /// shell may still be replaced before it is taken.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // on the barrier's path, too rare to tier up
    public void Warm() => GC.KeepAlive(Volatile.Read(ref _prepared)?.ResultTask);

    /// <summary>The barrier's fast path: the prepared shell, or null when a barrier took it and it is not yet replaced.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // on the barrier's path, too rare to tier up
    public PendingCheckpoint? TakePrepared() => Interlocked.Exchange(ref _prepared, null);

    /// <summary>The barrier's slow path (a second barrier within a millisecond of the first): prepare one now.</summary>
    public PendingCheckpoint PrepareNow()
    {
        lock (_lock)
        {
            return Register(_base);
        }
    }

    /// <summary>Prepares the next shell if a barrier took it. Off the barrier's thread.</summary>
    public void Refill()
    {
        lock (_lock)
        {
            if (Volatile.Read(ref _prepared) is null)
            {
                PendingCheckpoint shell = Register(_base);
                if (Interlocked.CompareExchange(ref _prepared, shell, null) is not null)
                {
                    _registered.Remove(shell);
                }
            }
        }
    }

    /// <summary>Makes <paramref name="next"/> the base of every later barrier.</summary>
    public void PublishBase(BaseCheckpoint next)
    {
        lock (_lock)
        {
            _base = next;
            PendingCheckpoint? replaced = Interlocked.Exchange(ref _prepared, Register(next));
            if (replaced is not null)
            {
                _registered.Remove(replaced); // not taken by a barrier: never used
            }
        }
    }

    /// <summary>The oldest activated checkpoint not yet taken by the writer, now marked as taken.</summary>
    public bool TryTakeNextActive(out PendingCheckpoint pending)
    {
        lock (_lock)
        {
            PendingCheckpoint? oldest = null;
            foreach (PendingCheckpoint candidate in _registered)
            {
                if (candidate.State == PendingCheckpoint.Active && (oldest is null || candidate.Id < oldest.Id))
                {
                    oldest = candidate;
                }
            }

            oldest?.MarkWriting();
            pending = oldest!;
            return oldest is not null;
        }
    }

    /// <summary>The activated checkpoint with this id (waiting or being written), or null.</summary>
    public PendingCheckpoint? FindInFlight(CheckpointId id)
    {
        lock (_lock)
        {
            return _registered.Find(p => p.State != PendingCheckpoint.Prepared && p.Id == id);
        }
    }

    public void Remove(PendingCheckpoint pending)
    {
        lock (_lock)
        {
            bool removed = _registered.Remove(pending);
            Debug.Assert(removed, "a finished checkpoint was registered");
        }
    }

    /// <summary>Checkpoints no retention may drop now: bases of registered checkpoints and the current base.</summary>
    public HashSet<CheckpointId> ProtectedBases()
    {
        lock (_lock)
        {
            var bases = new HashSet<CheckpointId>();
            foreach (PendingCheckpoint pending in _registered)
            {
                if (pending.PreparedBase is { } b)
                {
                    bases.Add(b.Id);
                }
            }

            if (_base is not null)
            {
                bases.Add(_base.Id);
            }

            return bases;
        }
    }

    /// <summary>Cancels every activated checkpoint (for Dispose).</summary>
    public void CancelAll()
    {
        lock (_lock)
        {
            foreach (PendingCheckpoint pending in _registered)
            {
                pending.Cancel();
            }
        }
    }

    private PendingCheckpoint Register(BaseCheckpoint? baseCheckpoint)
    {
        var shell = new PendingCheckpoint(baseCheckpoint, ChooseKind(baseCheckpoint));
        _registered.Add(shell);
        return shell;
    }

    /// <summary>Full when there is no base, or when a delta would make the chain too long or too heavy.</summary>
    private CheckpointKind ChooseKind(BaseCheckpoint? baseCheckpoint)
    {
        if (baseCheckpoint is null || baseCheckpoint.Chain.Length + 1 > options.MaxChainLength)
        {
            return CheckpointKind.Full;
        }

        return baseCheckpoint.DeltaBytes > options.MaxDeltaRatio * baseCheckpoint.FullBytes
            ? CheckpointKind.Full
            : CheckpointKind.Incremental;
    }
}
