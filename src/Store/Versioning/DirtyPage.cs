using Store.Pages;

namespace Store.Versioning;

/// <summary>A page that a frozen version holds with content newer than some base version.</summary>
/// <param name="Written">The version that last wrote the page.</param>
/// <param name="Region">Which bytes changed since the base: exact extents when known, else granules.</param>
public readonly record struct DirtyPage(PageId Page, Epoch Written, DirtyRegion Region);
