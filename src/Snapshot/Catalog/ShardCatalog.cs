using System.Collections.Immutable;

namespace Snapshot.Catalog;

/// <summary>
/// Everything durable about one shard's checkpoints: the checkpoints (written or confirmed) and
/// the registry of data files they reference. Immutable; a change is a new catalog committed as
/// the next revision.
/// </summary>
/// <remarks>
/// Invariants, checked by <see cref="Validate"/>: ids are unique and ascending; every chain file is
/// registered; every registered file is in some chain (no leak); a chain starts with a full
/// checkpoint's file and ends with the checkpoint's own file.
/// </remarks>
public sealed record ShardCatalog(
    string Shard,
    long Revision,
    int PageSize,
    int MaxParallelism,
    long NextFileId,
    ImmutableArray<CheckpointEntry> Checkpoints,
    ImmutableArray<DataFileEntry> Files)
{
    public static ShardCatalog Empty(string shard) => new(shard, 0, 0, 0, 1, [], []);

    public CheckpointEntry? Checkpoint(CheckpointId id)
    {
        foreach (CheckpointEntry entry in Checkpoints)
        {
            if (entry.Id == id)
            {
                return entry;
            }
        }

        return null;
    }

    public DataFileEntry? File(DataFileId id)
    {
        foreach (DataFileEntry entry in Files)
        {
            if (entry.Id == id)
            {
                return entry;
            }
        }

        return null;
    }

    /// <summary>The newest confirmed checkpoint, or null.</summary>
    public CheckpointEntry? NewestConfirmed
    {
        get
        {
            for (int i = Checkpoints.Length - 1; i >= 0; i--)
            {
                if (Checkpoints[i].Confirmed)
                {
                    return Checkpoints[i];
                }
            }

            return null;
        }
    }

    /// <summary>Returns a description of the first broken invariant, or null when the catalog is consistent.</summary>
    public string? Validate()
    {
        var registered = new HashSet<DataFileId>();
        foreach (DataFileEntry file in Files)
        {
            if (!registered.Add(file.Id))
            {
                return $"{file.Id} is registered twice";
            }

            if (file.Id.Value >= NextFileId)
            {
                return $"{file.Id} is not below the next file id {NextFileId}";
            }
        }

        var referenced = new HashSet<DataFileId>();
        CheckpointId previous = CheckpointId.None;
        foreach (CheckpointEntry entry in Checkpoints)
        {
            if (entry.Id <= previous)
            {
                return $"{entry.Id} does not follow {previous} in ascending order";
            }

            previous = entry.Id;
            if (entry.Chain.IsDefaultOrEmpty)
            {
                return $"{entry.Id} has an empty chain";
            }

            if ((entry.Kind == CheckpointKind.Full) != (entry.Chain.Length == 1))
            {
                return $"{entry.Id} is {entry.Kind} with a chain of {entry.Chain.Length} files";
            }

            foreach (DataFileId file in entry.Chain)
            {
                if (!registered.Contains(file))
                {
                    return $"{entry.Id} references {file}, which is not registered";
                }

                referenced.Add(file);
            }
        }

        foreach (DataFileEntry file in Files)
        {
            if (!referenced.Contains(file.Id))
            {
                return $"{file.Id} is registered but no checkpoint references it";
            }
        }

        return null;
    }
}
