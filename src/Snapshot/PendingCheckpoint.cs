using System.Diagnostics;
using Store.Versioning;

namespace Snapshot;

/// <summary>
/// A checkpoint between its barrier and its committed catalog entry (or its abort). Created as an
/// empty shell off the barrier's path and filled in by <see cref="Activate"/>, so the barrier
/// allocates nothing itself (an allocation can land on a never-touched heap page, a ~10 µs fault
/// here, or start a GC inside the pause).
/// </summary>
internal sealed class PendingCheckpoint
{
    private int _cancelled;

    public CheckpointId Id { get; private set; }

    public FrozenVersion Frozen { get; private set; } = null!;

    public CheckpointKind Kind { get; private set; }

    public BaseCheckpoint? Base { get; private set; }

    public long BarrierTimestamp { get; private set; }

    public TimeSpan SyncDuration { get; set; }

    public TaskCompletionSource<CheckpointResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsCancelled => Volatile.Read(ref _cancelled) != 0;

    public void Activate(CheckpointId id, FrozenVersion frozen, CheckpointKind kind, BaseCheckpoint? baseCheckpoint, long barrierTimestamp)
    {
        Debug.Assert(Frozen is null, "a shell is activated once");
        (Id, Frozen, Kind, Base, BarrierTimestamp) = (id, frozen, kind, baseCheckpoint, barrierTimestamp);
    }

    public void Cancel() => Volatile.Write(ref _cancelled, 1);
}
