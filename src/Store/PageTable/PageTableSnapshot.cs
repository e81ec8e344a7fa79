using Store.Pages;
using Store.Versioning;

namespace Store.PageTable;

/// <summary>
/// What a freeze captures: the root of the version's tree and its page count. Nothing reachable
/// from <see cref="Root"/> changes while the version is alive.
/// </summary>
/// <param name="ConfirmedAtFreeze">The confirmed version when this one froze: the oldest base its
/// granule history can answer for (see <see cref="PageEntry"/>).</param>
internal readonly record struct PageTableSnapshot(
    PageTableNode Root, int Height, uint PageCount, Epoch Version, Epoch ConfirmedAtFreeze)
{
    public ref readonly PageEntry Entry(PageId page) => ref PageTable.Lookup(Root, Height, page);
}
