using System.Numerics;
using Store.Diagnostics;

namespace Store;

/// <summary>Everything a store can be tuned by. The defaults are safe for a first deployment.</summary>
public sealed record StoreOptions
{
    /// <summary>
    /// Directory for the frame file and lock file. With a directory, state is a shared mapping of a
    /// scratch file and may exceed RAM (the kernel pages it). Null keeps state in anonymous memory.
    /// The frame file is scratch, not a recovery source: durable state lives in checkpoints.
    /// </summary>
    public string? Directory { get; init; }

    /// <summary>Bytes per page: a power of two from 4 KiB to 64 KiB. Dirty granules are PageSize / 64.</summary>
    public int PageSize { get; init; } = 4096;

    /// <summary>Number of key groups (Flink's max parallelism): the unit of rescaling. 1 to 32768.</summary>
    public int MaxParallelism { get; init; } = 128;

    /// <summary>How many frozen versions may be alive at once (1 to 64); Freeze past it is refused.</summary>
    public int MaxFrozenVersions { get; init; } = 2;

    /// <summary>
    /// Cap on memory held only by frozen versions (pages and page-table nodes the live version has
    /// copied away from). A write that would copy past it throws <see cref="FrozenMemoryLimitException"/>.
    /// </summary>
    public long MaxFrozenBytes { get; init; } = 1L << 30;

    /// <summary>Values longer than this are refused (at least 1 MiB, at most 1 GiB).</summary>
    public int MaxValueLength { get; init; } = 64 << 20;

    /// <summary>
    /// Frame memory grows by segments of this many bytes (power of two, at least 64 pages). The
    /// segments lie in one range of address space that the store reserves when it opens (no
    /// memory): 1 TiB, or up to 65,536 segments if that is less. That bounds the store's size.
    /// </summary>
    public long SegmentBytes { get; init; } = 32L << 20;

    internal void Validate()
    {
        if (PageSize is < 4096 or > 65536 || !BitOperations.IsPow2(PageSize))
        {
            ThrowHelper.ThrowInvalidOption(nameof(PageSize), "must be a power of two from 4096 to 65536", PageSize);
        }

        if (MaxParallelism is < 1 or > 32768)
        {
            ThrowHelper.ThrowInvalidOption(nameof(MaxParallelism), "must be from 1 to 32768", MaxParallelism);
        }

        if (MaxFrozenVersions is < 1 or > 64)
        {
            ThrowHelper.ThrowInvalidOption(nameof(MaxFrozenVersions), "must be from 1 to 64", MaxFrozenVersions);
        }

        if (MaxFrozenBytes < PageSize)
        {
            ThrowHelper.ThrowInvalidOption(nameof(MaxFrozenBytes), "must hold at least one page", MaxFrozenBytes);
        }

        if (MaxValueLength is < (1 << 20) or > (1 << 30))
        {
            ThrowHelper.ThrowInvalidOption(nameof(MaxValueLength), "must be from 1 MiB to 1 GiB", MaxValueLength);
        }

        if (SegmentBytes < 64L * PageSize || !BitOperations.IsPow2(SegmentBytes))
        {
            ThrowHelper.ThrowInvalidOption(nameof(SegmentBytes), "must be a power of two of at least 64 pages", SegmentBytes);
        }
    }
}
