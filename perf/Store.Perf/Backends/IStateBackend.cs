namespace Store.Perf.Backends;

/// <summary>
/// One store under the main job's workload, driven the way a stream operator drives its state:
/// one thread, keys are ids, values start with an 8-byte counter. The harness owns the timing.
/// </summary>
internal interface IStateBackend : IDisposable
{
    /// <summary>The name on the command line (--stores) and in the results.</summary>
    string Name { get; }

    /// <summary>Loading: sets the key's value.</summary>
    void Put(long key, ReadOnlySpan<byte> value);

    /// <summary>An update: reads the value, increments its first 8 bytes, writes it back.</summary>
    void Increment(long key);

    /// <summary>
    /// The checkpoint barrier. Returns once its synchronous part is done, with that part's
    /// duration measured around the store's own call only (so adapter glue is not counted against
    /// any store), and a task that completes when the checkpoint is durable.
    /// </summary>
    BarrierOutcome Barrier(long checkpointId);

    /// <summary>The global checkpoint completed (Flink's notifyCheckpointComplete).</summary>
    void Confirm(long checkpointId);

    /// <summary>Recovers the newest confirmed checkpoint into a fresh instance, after this one is disposed.</summary>
    IRecoveredState Recover();
}

/// <summary>The barrier's synchronous pause, and the checkpoint's completion.</summary>
internal readonly record struct BarrierOutcome(TimeSpan Pause, Task<CheckpointOutcome> Durable);

/// <summary>What one checkpoint wrote, and how long its asynchronous part took.</summary>
internal readonly record struct CheckpointOutcome(long Bytes, bool Incremental, TimeSpan Durable);

/// <summary>A recovered instance, read back key by key for verification.</summary>
internal interface IRecoveredState : IDisposable
{
    /// <summary>The checkpoint the state came from.</summary>
    long CheckpointId { get; }

    /// <summary>The counter (first 8 bytes of the value) of <paramref name="key"/>, or false when the key is missing.</summary>
    bool TryGetCounter(long key, out long counter);
}
