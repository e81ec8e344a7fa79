namespace Snapshot.Catalog;

/// <summary>
/// A data file's sequence number within its shard. File names carry it, not the checkpoint id,
/// so the next file can be created (and its directory entry made durable) before the barrier that
/// fills it: that keeps the directory fsync off a checkpoint's critical path.
/// </summary>
public readonly record struct DataFileId(long Value) : IComparable<DataFileId>
{
    public int CompareTo(DataFileId other) => Value.CompareTo(other.Value);

    public override string ToString() => $"data file {Value}";
}
