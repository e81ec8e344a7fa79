namespace Snapshot;

/// <summary>Where and how a shard's checkpoints are kept. The defaults are safe for a first deployment.</summary>
public sealed record CheckpointOptions
{
    /// <summary>The checkpoint directory; several shards (stores) may share it.</summary>
    public required string Directory { get; init; }

    /// <summary>This store's name inside the directory: 1–64 of [A-Za-z0-9_-]. Each shard is written by one process at a time.</summary>
    public string Shard { get; init; } = "store";

    /// <summary>Confirmed checkpoints kept (1 to 16); older ones are deleted once nothing newer needs their files.</summary>
    public int RetainedCheckpoints { get; init; } = 2;

    /// <summary>
    /// Most data files a restore reads (1 to 64): a full checkpoint plus MaxChainLength − 1 deltas.
    /// A barrier that would make the chain longer writes a full checkpoint. 1 makes every checkpoint full.
    /// </summary>
    /// <remarks>
    /// Why 32: a forced full checkpoint rewrites the whole state, so with small deltas it is most
    /// of what checkpoints write, and while it is in flight the next barrier waits. At 10M keys
    /// and 1% uniform updates per checkpoint (perf/HISTORY.md, main job), a bound of 8 made Store
    /// write 35× the logical change overall and cost a third of its update throughput, while each
    /// delta adds about 20–30 ms to a restore of 0.3 s. At 32 the worst restore of that workload
    /// is about 1.1 s, and MaxDeltaRatio still bounds the bytes a restore reads.
    /// </remarks>
    public int MaxChainLength { get; init; } = 32;

    /// <summary>
    /// When the deltas of the base's chain add up to more than this many times its full checkpoint's
    /// bytes, the next checkpoint is full: a restore then never reads much more than the state.
    /// </summary>
    public double MaxDeltaRatio { get; init; } = 1.0;

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Directory, nameof(Directory));
        Catalog.ShardFiles.ValidateShard(Shard);
        if (RetainedCheckpoints is < 1 or > 16)
        {
            throw new ArgumentOutOfRangeException(nameof(RetainedCheckpoints), RetainedCheckpoints, "CheckpointOptions.RetainedCheckpoints must be from 1 to 16.");
        }

        if (MaxChainLength is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxChainLength), MaxChainLength, "CheckpointOptions.MaxChainLength must be from 1 to 64.");
        }

        if (!(MaxDeltaRatio > 0) || double.IsInfinity(MaxDeltaRatio))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDeltaRatio), MaxDeltaRatio, "CheckpointOptions.MaxDeltaRatio must be a positive finite number.");
        }
    }
}
