using Store.Pages;

namespace Store.Versioning;

/// <summary>
/// What a checkpoint writer needs from a frozen version, and all it gets: the Snapshot component
/// reads frozen versions only through this interface, so Store never depends on Snapshot.
/// </summary>
/// <remarks>
/// Pages that exist (below <see cref="PageCount"/>) but are not listed by a dirty listing have the
/// content they had at the base version; a page created after the base starts as zeros, and only
/// its written bytes are listed.
/// </remarks>
public interface IFrozenPageSource
{
    Epoch Version { get; }

    /// <summary>The oldest base a dirty listing of this version can use (besides <see cref="Epoch.None"/>).</summary>
    Epoch ConfirmedAtFreeze { get; }

    int PageSize { get; }

    /// <summary>PageSize / 64: the unit of <see cref="Pages.DirtyRegion.Granules"/>.</summary>
    int GranuleSize { get; }

    uint PageCount { get; }

    /// <summary>Pages written after <paramref name="baseVersion"/>, in page-id order. Epoch.None lists every page.</summary>
    IEnumerable<DirtyPage> DirtyPagesSince(Epoch baseVersion);

    /// <summary>
    /// The same listing for the version's one consumer, which reads each listed page (CopyPage)
    /// before it moves to the next and reads nothing else: the store then writes pages behind the
    /// stream in place instead of copying them (see FrozenVersion.StreamDirtyPagesSince).
    /// </summary>
    IEnumerable<DirtyPage> StreamDirtyPagesSince(Epoch baseVersion);

    /// <summary>Copies one page as this version holds it.</summary>
    void CopyPage(PageId page, Span<byte> destination);

    /// <summary>Copies destination.Length bytes of a page from <paramref name="offset"/>: the dirty bytes of a sparse page without the rest.</summary>
    void CopyPage(PageId page, int offset, Span<byte> destination);
}
