using Store.Diagnostics;

namespace PageDump;

/// <summary>One damaged structure as every verb reports it (JSON: file, offset, page, detail).</summary>
/// <param name="Page">The page involved, or null (a header, a trailer, the catalog, a whole file).</param>
internal sealed record Damage(string? File, long Offset, uint? Page, string Detail)
{
    public static Damage From(StoreCorruptedException e) => new(e.File, e.Offset, e.Page?.Value, e.Detail);

    public static IReadOnlyList<Damage> From(IEnumerable<StoreCorruptedException> all) => [.. all.Select(From)];

    /// <summary>Damage rows for a table: file, offset, page, problem.</summary>
    public static Spectre.Console.Table Table(IEnumerable<Damage> damage)
    {
        Spectre.Console.Table table = Session.Table("file", "offset", "page", "problem");
        foreach (Damage d in damage)
        {
            Session.Row(table, d.File is null ? "-" : Path.GetFileName(d.File), Fmt.Inv(d.Offset), d.Page is { } p ? Fmt.Inv(p) : "-", d.Detail);
        }

        return table;
    }
}
