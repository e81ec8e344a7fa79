namespace Store.Diagnostics;

/// <summary>
/// Freeze was called while <see cref="StoreOptions.MaxFrozenVersions"/> frozen versions were still
/// alive. The caller should release one (finish or abort a checkpoint) or decline this checkpoint,
/// as Flink declines a checkpoint beyond its max-concurrent-checkpoints.
/// </summary>
public sealed class FrozenVersionLimitException(int alive, int limit)
    : InvalidOperationException(
        $"Cannot freeze: {alive} frozen versions are alive and the limit is {limit} " +
        $"(StoreOptions.MaxFrozenVersions). Release a frozen version or decline this checkpoint.")
{
    public int Alive { get; } = alive;
    public int Limit { get; } = limit;
}
