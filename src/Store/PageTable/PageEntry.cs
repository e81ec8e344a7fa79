using Store.Pages;
using Store.Versioning;

namespace Store.PageTable;

/// <summary>
/// One logical page as a version sees it: where its bytes are, which version last wrote it, and
/// what that version wrote.
/// </summary>
/// <remarks>
/// Invariant (prior granules): <see cref="PriorGranules"/> ⊇ the granules written in every version
/// in (c, <see cref="PriorWritten"/>], where c was the confirmed version when this entry was
/// created, and no version in (PriorWritten, Written) wrote the page. Because the confirmed version
/// only grows and every dirty listing uses a base ≥ it, the pages dirty since base B are exactly
/// those with Written &gt; B, and their bytes are <see cref="Region"/> plus PriorGranules when
/// PriorWritten &gt; B (an aborted or not yet confirmed checkpoint in between). This is what keeps
/// an aborted checkpoint from losing dirty bytes without keeping its frames alive.
/// Layout (48 bytes): frame i32 | written u32 | priorWritten u32 | pad 4 | region 24 B | priorGranules u64.
/// </remarks>
internal struct PageEntry
{
    public FrameIndex Frame;
    public Epoch Written;
    public Epoch PriorWritten;
    public DirtyRegion Region;
    public ulong PriorGranules;

    /// <summary>Allocated pages have been written at least once (by their allocation).</summary>
    public readonly bool Exists => Written != Epoch.None;

    /// <summary>
    /// Starts a new version's record of writes to this page, folding what the previous write version
    /// did into the prior granules unless it is already covered by the confirmed version.
    /// </summary>
    public void BeginVersion(Epoch live, Epoch confirmed)
    {
        ulong prior = 0;
        if (Written > confirmed)
        {
            prior |= Region.Granules;
        }

        if (PriorWritten > confirmed)
        {
            prior |= PriorGranules;
        }

        PriorGranules = prior;
        PriorWritten = Written;
        Written = live;
        Region = default;
    }

    /// <summary>The bytes written since <paramref name="baseVersion"/>; requires Written &gt; baseVersion.</summary>
    public readonly DirtyRegion DirtySince(Epoch baseVersion)
    {
        if (PriorWritten > baseVersion && PriorGranules != 0)
        {
            return DirtyRegion.FromGranules(Region.Granules | PriorGranules);
        }

        return Region;
    }
}
