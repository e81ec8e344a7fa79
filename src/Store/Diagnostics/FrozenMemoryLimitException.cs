namespace Store.Diagnostics;

/// <summary>
/// A write needed to copy a page that a frozen version still holds, but the memory held only by
/// frozen versions has reached <see cref="StoreOptions.MaxFrozenBytes"/>. Nothing was modified.
/// Wait for <see cref="StateStore.WhenFrozenVersionReleased"/> (or release a version) and retry.
/// </summary>
public sealed class FrozenMemoryLimitException(long heldBytes, long limitBytes)
    : InvalidOperationException(
        $"Frozen versions hold {heldBytes} bytes of copied pages, at or over the limit of {limitBytes} " +
        $"(StoreOptions.MaxFrozenBytes). The write was not applied; release a frozen version and retry.")
{
    public long HeldBytes { get; } = heldBytes;
    public long LimitBytes { get; } = limitBytes;
}
