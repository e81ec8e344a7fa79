namespace Snapshot;

/// <summary>
/// A checkpoint's id, chosen by the caller (Flink's checkpoint id): positive and increasing per
/// shard. Several shards write their parts of one id into one directory.
/// </summary>
public readonly record struct CheckpointId(long Value) : IComparable<CheckpointId>
{
    public static CheckpointId None => default;

    public bool IsNone => Value == 0;

    public int CompareTo(CheckpointId other) => Value.CompareTo(other.Value);

    public static bool operator <(CheckpointId left, CheckpointId right) => left.Value < right.Value;

    public static bool operator >(CheckpointId left, CheckpointId right) => left.Value > right.Value;

    public static bool operator <=(CheckpointId left, CheckpointId right) => left.Value <= right.Value;

    public static bool operator >=(CheckpointId left, CheckpointId right) => left.Value >= right.Value;

    public override string ToString() => $"checkpoint {Value}";
}
