namespace Store.Pages;

/// <summary>
/// A logical page number. Page ids are dense (allocated from a high-water mark) and never
/// disappear from the page table: a page the index no longer needs is recycled through a
/// key group's free list, so a checkpoint never has to express "page deleted".
/// </summary>
public readonly record struct PageId(uint Value) : IComparable<PageId>
{
    /// <summary>Page 0 is the meta page, so 0 doubles as "no page" in on-page links.</summary>
    public static PageId None => default;

    public bool IsNone => Value == 0;

    public int CompareTo(PageId other) => Value.CompareTo(other.Value);

    public override string ToString() => $"page {Value}";
}
