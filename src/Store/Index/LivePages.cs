using Store.Pages;

namespace Store.Index;

/// <summary>The live version's pages, as the writer sees them, and the writer's map of their buckets.</summary>
internal readonly struct LivePages(PageTable.PageTable table, BucketMap buckets) : IPageSource
{
    public ReadOnlySpan<byte> Read(PageId page) => table.Read(page);

    public void PrefetchForWrite(PageId page) => table.PrefetchEntry(page);

    public BucketMap? Buckets => buckets;
}
