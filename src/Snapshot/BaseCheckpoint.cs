using System.Collections.Immutable;
using Snapshot.Catalog;
using Store.Versioning;

namespace Snapshot;

/// <summary>
/// The confirmed checkpoint that the next incremental is based on, as this store instance knows
/// it: its id, the store epoch it froze, and its chain with sizes (for the chain bounds). Immutable,
/// so the barrier reads it with one volatile load.
/// </summary>
internal sealed record BaseCheckpoint(CheckpointId Id, Epoch Version, ImmutableArray<DataFileId> Chain, long FullBytes, long DeltaBytes)
{
    public static BaseCheckpoint From(CheckpointEntry entry, Epoch version, ShardCatalog catalog)
    {
        long full = catalog.File(entry.Chain[0])?.Length ?? 0;
        return new BaseCheckpoint(entry.Id, version, entry.Chain, full, entry.ChainBytes(catalog) - full);
    }
}
