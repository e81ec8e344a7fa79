using Store.Versioning;

namespace Snapshot;

/// <summary>A checkpoint between its barrier and its committed catalog entry (or its abort).</summary>
internal sealed class PendingCheckpoint(CheckpointId id, FrozenVersion frozen, CheckpointKind kind, BaseCheckpoint? baseCheckpoint, long barrierTimestamp)
{
    private int _cancelled;

    public CheckpointId Id { get; } = id;

    public FrozenVersion Frozen { get; } = frozen;

    public CheckpointKind Kind { get; } = kind;

    public BaseCheckpoint? Base { get; } = baseCheckpoint;

    public long BarrierTimestamp { get; } = barrierTimestamp;

    public TimeSpan SyncDuration { get; set; }

    public TaskCompletionSource<CheckpointResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsCancelled => Volatile.Read(ref _cancelled) != 0;

    public void Cancel() => Volatile.Write(ref _cancelled, 1);
}
