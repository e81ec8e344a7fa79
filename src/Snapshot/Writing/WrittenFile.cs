namespace Snapshot.Writing;

/// <summary>What writing one data file produced.</summary>
/// <param name="Length">File length in bytes, header and trailer included.</param>
/// <param name="Pages">Pages written (a page batch carries many; see <see cref="Format.PageBatch"/>).</param>
/// <param name="Granules">Granules the records cover (a full page counts 64).</param>
internal readonly record struct WrittenFile(long Length, long Pages, long Granules);
