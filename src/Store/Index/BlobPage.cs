namespace Store.Index;

/// <summary>
/// Overflow pages for values longer than the inline limit, chained through the header's next field.
/// <code>
/// 0  16  PageHeader   kind Blob, next = next blob page (0 = last), fieldA = payload bytes in this page
/// 16 ..  payload
/// </code>
/// Rewriting a value reuses its chain page by page, so a change to a few bytes of a 1 MiB value
/// dirties only those bytes.
/// </summary>
internal static class BlobPage
{
    public const int PayloadOffset = PageHeader.Size;

    public static int PayloadCapacity(int pageSize) => pageSize - PayloadOffset;

    public static int PagesFor(long valueLength, int pageSize) => (int)((valueLength + PayloadCapacity(pageSize) - 1) / PayloadCapacity(pageSize));
}
