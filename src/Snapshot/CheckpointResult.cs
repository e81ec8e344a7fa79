namespace Snapshot;

/// <summary>What one checkpoint wrote, reported when its data is durable and committed.</summary>
/// <param name="Base">The confirmed checkpoint this one is a delta of; None for a full checkpoint.</param>
/// <param name="ChainLength">Data files a restore of this checkpoint reads.</param>
/// <param name="Pages">Pages written (a page batch holds many; see FORMAT.md).</param>
/// <param name="Granules">Granules those records cover (a whole page counts 64).</param>
/// <param name="Bytes">Bytes of the data file.</param>
/// <param name="SyncDuration">The barrier's synchronous part (the store's freeze and the hand-off).</param>
/// <param name="AsyncDuration">From the barrier to the committed catalog: writing, both fsyncs, and waiting behind earlier checkpoints.</param>
public sealed record CheckpointResult(
    CheckpointId Id,
    CheckpointKind Kind,
    CheckpointId Base,
    int ChainLength,
    long Pages,
    long Granules,
    long Bytes,
    TimeSpan SyncDuration,
    TimeSpan AsyncDuration);
