using Store.Pages;

namespace Store.Diagnostics;

/// <summary>
/// The one exception type for corruption: a checksum mismatch, a truncated file or a structure
/// that violates its own layout. It always says where: the file, the byte offset in it, and the
/// logical page when one is involved. Never thrown for API misuse.
/// </summary>
public sealed class StoreCorruptedException : Exception
{
    public StoreCorruptedException(string detail, string? file, long offset, PageId? page, Exception? inner = null)
        : base(Format(detail, file, offset, page), inner)
    {
        Detail = detail;
        File = file;
        Offset = offset;
        Page = page;
    }

    public string Detail { get; }

    /// <summary>The file that holds the damage, or null for damage found in memory.</summary>
    public string? File { get; }

    /// <summary>Byte offset of the damaged structure inside <see cref="File"/> (or inside the page).</summary>
    public long Offset { get; }

    public PageId? Page { get; }

    private static string Format(string detail, string? file, long offset, PageId? page)
    {
        string where = file is null ? "in memory" : $"in '{file}'";
        string pageText = page is { } p ? $", {p}" : "";
        return $"Corruption {where} at offset {offset}{pageText}: {detail}";
    }
}
