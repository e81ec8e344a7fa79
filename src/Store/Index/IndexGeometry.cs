using Store.Pages;

namespace Store.Index;

/// <summary>The fixed shape of a store's index, derived from its page size and key-group count.</summary>
internal sealed class IndexGeometry
{
    public IndexGeometry(int pageSize, int maxParallelism)
    {
        PageSize = pageSize;
        MaxParallelism = maxParallelism;
        GroupTableEntriesPerPage = GroupPages.GroupTableEntriesPerPage(pageSize);
        GroupTablePages = (maxParallelism + GroupTableEntriesPerPage - 1) / GroupTableEntriesPerPage;
        DirectoryEntriesPerPage = GroupPages.DirectoryEntriesPerPage(pageSize);
        InlineValueLimit = pageSize / 8;
        BlobPayload = BlobPage.PayloadCapacity(pageSize);
    }

    public int PageSize { get; }

    public int MaxParallelism { get; }

    public PageId GroupTableFirst => new(1);

    public int GroupTablePages { get; }

    public int GroupTableEntriesPerPage { get; }

    public int DirectoryEntriesPerPage { get; }

    /// <summary>Values up to this many bytes live inside the bucket record; longer ones in blob pages.</summary>
    public int InlineValueLimit { get; }

    public int BlobPayload { get; }

    public (PageId Page, int Offset) GroupTableSlot(int keyGroup) =>
        (new PageId(GroupTableFirst.Value + (uint)(keyGroup / GroupTableEntriesPerPage)),
         PageHeader.Size + ((keyGroup % GroupTableEntriesPerPage) * 4));

    public int StoredLength(int valueLength) => valueLength <= InlineValueLimit ? valueLength : 4;
}
