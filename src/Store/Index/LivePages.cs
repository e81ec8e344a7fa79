using Store.Pages;

namespace Store.Index;

/// <summary>The live version's pages, as the writer sees them.</summary>
internal readonly struct LivePages(PageTable.PageTable table) : IPageSource
{
    public ReadOnlySpan<byte> Read(PageId page) => table.Read(page);

    public void PrefetchForWrite(PageId page) => table.PrefetchEntry(page);
}
