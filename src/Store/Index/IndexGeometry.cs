using Store.Pages;

namespace Store.Index;

/// <summary>The fixed shape of a store's index, derived from its page size and key-group count.</summary>
internal sealed class IndexGeometry
{
    private readonly UInt32Divisor _groupTableDivisor;
    private readonly UInt32Divisor _directoryDivisor;

    public IndexGeometry(int pageSize, int maxParallelism)
    {
        PageSize = pageSize;
        MaxParallelism = maxParallelism;
        GroupTableEntriesPerPage = GroupPages.GroupTableEntriesPerPage(pageSize);
        GroupTablePages = (maxParallelism + GroupTableEntriesPerPage - 1) / GroupTableEntriesPerPage;
        DirectoryEntriesPerPage = GroupPages.DirectoryEntriesPerPage(pageSize);
        _groupTableDivisor = new UInt32Divisor((uint)GroupTableEntriesPerPage);
        _directoryDivisor = new UInt32Divisor((uint)DirectoryEntriesPerPage);
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

    public (PageId Page, int Offset) GroupTableSlot(int keyGroup)
    {
        uint tablePage = _groupTableDivisor.Divide((uint)keyGroup, out uint entry);
        return (new PageId(GroupTableFirst.Value + tablePage), PageHeader.Size + ((int)entry * 4));
    }

    /// <summary>Where bucket <paramref name="bucket"/>'s page id is: the index of its directory page in the root, and its entry there.</summary>
    public (int DirectoryIndex, int Entry) DirectorySlot(uint bucket)
    {
        uint directoryIndex = _directoryDivisor.Divide(bucket, out uint entry);
        return ((int)directoryIndex, (int)entry);
    }

    public int StoredLength(int valueLength) => valueLength <= InlineValueLimit ? valueLength : 4;
}
