using Store.Pages;

namespace Store.Index;

/// <summary>
/// Read access to the pages of one version: the live version (writer thread) or a frozen one
/// (any thread). Index reads are generic over it, so each gets a specialised, inlined copy.
/// </summary>
internal interface IPageSource
{
    ReadOnlySpan<byte> Read(PageId page);

    /// <summary>A hint that <paramref name="page"/> is about to be written (no-op for frozen versions).</summary>
    void PrefetchForWrite(PageId page);

    /// <summary>The writer's copy of the bucket directory (<see cref="BucketMap"/>), or null: frozen versions read the directory pages.</summary>
    BucketMap? Buckets { get; }
}
