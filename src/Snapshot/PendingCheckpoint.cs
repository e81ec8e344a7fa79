using System.Diagnostics;
using System.Runtime.CompilerServices;
using Store.Versioning;

namespace Snapshot;

/// <summary>
/// A checkpoint from its barrier to its committed catalog entry (or its abort). It is prepared
/// before the barrier, off its path, with the base already chosen (see <see cref="PendingCheckpoints"/>),
/// so the barrier only fills in a few fields of one object and flips its state.
/// </summary>
internal sealed class PendingCheckpoint
{
    public const int Prepared = 0; // registered, waiting for a barrier
    public const int Active = 1;   // a barrier filled it in; waiting for the writer
    public const int Writing = 2;  // the writer took it

    private int _state;
    private int _cancelled;

    public PendingCheckpoint(BaseCheckpoint? preparedBase, CheckpointKind preparedKind)
    {
        PreparedBase = preparedBase;
        PreparedKind = preparedKind;
        Completion = new TaskCompletionSource<CheckpointResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        ResultTask = Completion.Task;
    }

    /// <summary>The base a barrier taking this shell uses, unless it forces a full checkpoint.</summary>
    public BaseCheckpoint? PreparedBase { get; }

    public CheckpointKind PreparedKind { get; }

    public int State => Volatile.Read(ref _state);

    public CheckpointId Id { get; private set; }

    /// <summary>
    /// The frozen version's epoch. The barrier keeps the epoch, not the version that Freeze returned:
    /// storing a reference would run the GC's write barrier, on a cold barrier about 1 µs
    /// (perf/README.md, "What is left", the cold barrier). The writer finds the version by it.
    /// </summary>
    public Epoch FrozenEpoch { get; private set; }

    public CheckpointKind Kind { get; private set; }

    /// <summary>Null for a full checkpoint.</summary>
    public BaseCheckpoint? Base => Kind == CheckpointKind.Full ? null : PreparedBase;

    public long BarrierTimestamp { get; private set; }

    /// <summary>When the barrier returned (a raw <see cref="Stopwatch"/> timestamp; see <see cref="SyncDuration"/>).</summary>
    public long SyncEndTimestamp { get; set; }

    /// <summary>
    /// The barrier's synchronous part, computed off the barrier: converting timestamps to a
    /// TimeSpan inside it was a call into code that runs too rarely to be warm (0.2–2.9 µs of the
    /// first barriers' pause, perf/HISTORY.md "The barrier's cold lines").
    /// </summary>
    public TimeSpan SyncDuration => Stopwatch.GetElapsedTime(BarrierTimestamp, SyncEndTimestamp);

    public TaskCompletionSource<CheckpointResult> Completion { get; }

    /// <summary>
    /// <see cref="Completion"/>'s task, kept in this object so the barrier returns it without
    /// loading the completion source and the task (two more cold cache lines).
    /// </summary>
    public Task<CheckpointResult> ResultTask { get; }

    public bool IsCancelled => Volatile.Read(ref _cancelled) != 0;

    /// <summary>The barrier's part: fill in the fields. Nothing reads them before <see cref="Publish"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // on the barrier's path, too rare to tier up
    public void Activate(CheckpointId id, Epoch frozen, bool forceFull, long barrierTimestamp)
    {
        Debug.Assert(_state == Prepared, "a shell is activated once");
        (Id, FrozenEpoch, BarrierTimestamp) = (id, frozen, barrierTimestamp);
        Kind = forceFull ? CheckpointKind.Full : PreparedKind;
    }

    /// <summary>Hands the filled-in checkpoint to the writer; the state write releases every field written before it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // on the barrier's path, too rare to tier up
    public void Publish() => Volatile.Write(ref _state, Active);

    public void MarkWriting() => Volatile.Write(ref _state, Writing);

    public void Cancel() => Volatile.Write(ref _cancelled, 1);
}
