using System.Collections.Immutable;
using Snapshot.Format;

namespace Snapshot.Catalog;

/// <summary>One checkpoint of a shard as its catalog records it.</summary>
/// <param name="Chain">The data files a restore reads, in order: a full checkpoint's file first, this checkpoint's own file last.</param>
/// <param name="Confirmed">True once <see cref="Checkpointer.Confirm"/> recorded it; false while it is only written (acknowledged).</param>
/// <param name="Version">The store epoch that was frozen (informative).</param>
/// <param name="PageCount">Pages in the frozen version: the size a restore allocates.</param>
/// <param name="Bytes">Length of this checkpoint's own data file.</param>
/// <param name="Pages">Page records in its own file.</param>
/// <param name="Granules">Granules covered by those records.</param>
public sealed record CheckpointEntry(
    CheckpointId Id,
    CheckpointId Base,
    CheckpointKind Kind,
    bool Confirmed,
    uint Version,
    uint PageCount,
    DateTimeOffset Created,
    long Bytes,
    long Pages,
    long Granules,
    ImmutableArray<DataFileId> Chain)
{
    public DataFileId OwnFile => Chain[^1];

    /// <summary>Bytes a restore reads: the sum of the chain's file lengths.</summary>
    public long ChainBytes(ShardCatalog catalog)
    {
        long total = 0;
        foreach (DataFileId file in Chain)
        {
            total += catalog.File(file)?.Length ?? 0;
        }

        return total;
    }
}
