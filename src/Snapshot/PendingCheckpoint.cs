using System.Diagnostics;
using System.Runtime.CompilerServices;
using Store.Versioning;

namespace Snapshot;

/// <summary>
/// A checkpoint from its barrier to its committed catalog entry (or its abort). It is prepared
/// before the barrier, off its path, with the base already chosen (see <see cref="PendingCheckpoints"/>),
/// so the barrier only fills in a few fields of one object and flips its state.
/// </summary>
internal sealed class PendingCheckpoint(BaseCheckpoint? preparedBase, CheckpointKind preparedKind)
{
    public const int Prepared = 0; // registered, waiting for a barrier
    public const int Active = 1;   // a barrier filled it in; waiting for the writer
    public const int Writing = 2;  // the writer took it

    private int _state;
    private int _cancelled;

    /// <summary>The base a barrier taking this shell uses, unless it forces a full checkpoint.</summary>
    public BaseCheckpoint? PreparedBase { get; } = preparedBase;

    public CheckpointKind PreparedKind { get; } = preparedKind;

    public int State => Volatile.Read(ref _state);

    public CheckpointId Id { get; private set; }

    public FrozenVersion Frozen { get; private set; } = null!;

    public CheckpointKind Kind { get; private set; }

    /// <summary>Null for a full checkpoint.</summary>
    public BaseCheckpoint? Base => Kind == CheckpointKind.Full ? null : PreparedBase;

    public long BarrierTimestamp { get; private set; }

    public TimeSpan SyncDuration { get; set; }

    public TaskCompletionSource<CheckpointResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsCancelled => Volatile.Read(ref _cancelled) != 0;

    /// <summary>The barrier's part: fill in the fields. Nothing reads them before <see cref="Publish"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // on the barrier's path, too rare to tier up
    public void Activate(CheckpointId id, FrozenVersion frozen, bool forceFull, long barrierTimestamp)
    {
        Debug.Assert(_state == Prepared, "a shell is activated once");
        (Id, Frozen, BarrierTimestamp) = (id, frozen, barrierTimestamp);
        Kind = forceFull ? CheckpointKind.Full : PreparedKind;
    }

    /// <summary>Hands the filled-in checkpoint to the writer; the state write releases every field written before it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // on the barrier's path, too rare to tier up
    public void Publish() => Volatile.Write(ref _state, Active);

    public void MarkWriting() => Volatile.Write(ref _state, Writing);

    public void Cancel() => Volatile.Write(ref _cancelled, 1);
}
