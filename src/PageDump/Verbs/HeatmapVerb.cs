using System.CommandLine;
using System.Globalization;
using System.Xml.Linq;
using Snapshot;
using Snapshot.Catalog;
using Snapshot.Reading;
using Store.Diagnostics;

namespace PageDump.Verbs;

/// <summary>
/// <c>pagedump heatmap DIR --out FILE.svg</c>: bytes each checkpoint's own file wrote, per page (or
/// per key group when the pages are too many) and checkpoint, as an SVG. Above the cells, each
/// checkpoint's own bytes and the bytes a restore of it reads (its chain), so a bloating delta
/// chain shows as a growing outline that drops back at each full checkpoint.
/// </summary>
internal static class HeatmapVerb
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    public static Command Create(Session session)
    {
        Argument<string> dir = Common.Directory();
        Option<string> output = new("--out") { Description = "The SVG file to write.", Required = true, HelpName = "FILE.svg" };
        Option<string?> shard = Common.Shard();
        Option<string> by = new("--by") { Description = "Rows: 'page', 'key-group', or 'auto' (pages unless there are more than --max-rows).", DefaultValueFactory = _ => "auto" };
        by.AcceptOnlyFromAmong("auto", "page", "key-group");
        Option<int> maxRows = new("--max-rows") { Description = "Most rows drawn: above it, pages give way to key groups, and key groups are merged into ranges.", DefaultValueFactory = _ => 512, HelpName = "N" };
        Option<bool> json = Common.Json();
        var command = new Command("heatmap", "An SVG of bytes written per page (or key group) and checkpoint: where the churn is, and whether a delta chain is bloating.")
        {
            dir, output, shard, by, maxRows, json,
        };
        command.SetAction(parse => PageDumpApp.Guard(session, parse, json, () => Run(
            session, parse.GetValue(dir)!, parse.GetValue(output)!, parse.GetValue(shard), parse.GetValue(by)!, parse.GetValue(maxRows))));
        return command;
    }

    private static void Run(Session session, string directory, string output, string? shardName, string by, int maxRows)
    {
        if (maxRows < 2)
        {
            throw new UsageException("--max-rows must be at least 2.");
        }

        string? parent = Path.GetDirectoryName(Path.GetFullPath(output));
        if (parent is not null && !Directory.Exists(parent))
        {
            throw new UsageException($"Cannot write '{output}': directory '{parent}' does not exist.");
        }

        ShardFiles files = Locate.Shard(directory, shardName);
        ShardCatalog catalog = Locate.Catalog(session, files);
        if (catalog.Checkpoints.IsEmpty)
        {
            throw new UsageException($"Shard '{files.Shard}' has no checkpoints yet: there is nothing to draw.");
        }

        uint pages = catalog.Checkpoints.Max(c => c.PageCount);
        bool byPage = by == "page" || (by == "auto" && pages <= maxRows);
        int perRow = byPage ? 1 : (catalog.MaxParallelism + maxRows - 2) / (maxRows - 1); // key groups per row; the last row is store-wide
        int rows = byPage ? (int)pages : (catalog.MaxParallelism + perRow - 1) / perRow + 1;
        var columns = new List<Column>();
        foreach (CheckpointEntry entry in catalog.Checkpoints)
        {
            columns.Add(ReadColumn(session, files, catalog, entry, rows, byPage, perRow));
        }

        long max = columns.Max(c => c.Cells.Length == 0 ? 0 : c.Cells.Max());
        string rowKind = byPage ? "page" : "keyGroup";
        XDocument svg = Draw(files.Shard, columns, rows, byPage, perRow, max, catalog);
        using (var writer = System.Xml.XmlWriter.Create(output, new System.Xml.XmlWriterSettings { Indent = true, Encoding = new System.Text.UTF8Encoding(false) }))
        {
            svg.Save(writer);
        }

        if (session.Json)
        {
            session.WriteJson(new
            {
                file = output,
                shard = files.Shard,
                rows = rowKind,
                rowCount = rows,
                keyGroupsPerRow = byPage ? (int?)null : perRow,
                cells = rows * columns.Count,
                maxCellBytes = max,
                checkpoints = columns.Select(c => new
                {
                    id = c.Entry.Id.Value,
                    kind = Fmt.Kind(c.Entry.Kind),
                    bytes = c.Entry.Bytes,
                    chainBytes = c.ChainBytes,
                    damaged = c.Damaged,
                }),
            });
            return;
        }

        string what = byPage ? $"{rows} pages" : perRow == 1 ? $"{rows - 1} key groups + store-wide" : $"{rows - 1} ranges of {perRow} key groups + store-wide";
        session.Line($"Wrote {output}: {what} x {columns.Count} checkpoints (rows are {(byPage ? "pages" : "key groups")}" +
            (byPage ? "" : $", because {pages} pages exceed --max-rows {maxRows}") + $"); the busiest cell holds {Fmt.Num(max)} bytes.");
        var table = Session.Table("checkpoint", "kind", "own bytes", "restore reads", "chain");
        foreach (Column c in columns)
        {
            Session.Row(table, Fmt.Inv(c.Entry.Id.Value), Fmt.Kind(c.Entry.Kind), Fmt.Num(c.Entry.Bytes), Fmt.Num(c.ChainBytes),
                $"{c.Entry.Chain.Length} file(s){(c.Damaged ? ", DAMAGED" : "")}");
        }

        session.Write(table);
    }

    private static Column ReadColumn(Session session, ShardFiles files, ShardCatalog catalog, CheckpointEntry entry, int rows, bool byPage, int perRow)
    {
        long[] cells = new long[rows];
        bool damaged = false;
        try
        {
            using DataFileReader reader = DataFileReader.Open(files.DataPath(entry.OwnFile), catalog.File(entry.OwnFile)?.Length, continuePastDamagedRecords: true);
            while (reader.MoveNext())
            {
                if (reader.CurrentDamage is { } bad)
                {
                    session.Corruption(bad, $"{entry.Id}");
                    damaged = true;
                    continue; // its page id is only claimed
                }

                var record = reader.Current;
                int row = byPage ? (int)record.Page.Value
                    : record.KeyGroup == Fmt.StoreWide ? rows - 1 : Math.Min(record.KeyGroup / perRow, rows - 2);
                if (row < rows)
                {
                    cells[row] += record.StoredLength;
                }
            }
        }
        catch (StoreCorruptedException e)
        {
            session.Corruption(e, $"{entry.Id}");
            damaged = true;
        }

        return new Column(entry, cells, entry.ChainBytes(catalog), damaged);
    }

    private static XDocument Draw(string shard, List<Column> columns, int rows, bool byPage, int perRow, long max, ShardCatalog catalog)
    {
        const int left = 110, top = 170, barHeight = 80, legendHeight = 60;
        int cellWidth = Math.Clamp(720 / columns.Count, 14, 48);
        int cellHeight = Math.Clamp(640 / rows, 1, 16);
        int width = Math.Max(left + cellWidth * columns.Count + 40, 820); // the legend lines need the room
        int height = top + cellHeight * rows + legendHeight;
        long maxChain = Math.Max(1, columns.Max(c => Math.Max(c.ChainBytes, c.Entry.Bytes)));
        var root = new XElement(Svg + "svg",
            new XAttribute("width", width), new XAttribute("height", height), new XAttribute("viewBox", $"0 0 {width} {height}"),
            new XAttribute("font-family", "sans-serif"), new XAttribute("font-size", 11));
        string rowsAre = byPage ? "pages" : perRow == 1 ? "key groups (last row: store-wide pages)" : $"key groups, {perRow} per row (last row: store-wide pages)";
        root.Add(Label(10, 18, $"Shard '{shard}': bytes written per {(byPage ? "page" : "key group")} by each checkpoint's own file", 14, "bold"));
        root.Add(Label(10, 34, $"Rows are {rowsAre}; columns are checkpoints, oldest first. Darker = more bytes; grey = nothing written."));
        root.Add(Label(10, 50, "Bars: the checkpoint's own file (blue full, orange incremental); outline: what a restore of it reads (the whole chain), x its full file."));

        int barBottom = top - 22;
        for (int c = 0; c < columns.Count; c++)
        {
            Column column = columns[c];
            int x = left + c * cellWidth;
            double chainHeight = (double)barHeight * column.ChainBytes / maxChain;
            double ownHeight = (double)barHeight * column.Entry.Bytes / maxChain;
            root.Add(new XElement(Svg + "rect", Attr("class", "chain"), Attr("x", x + 1), Attr("y", barBottom - chainHeight), Attr("width", cellWidth - 2),
                Attr("height", chainHeight), Attr("fill", "none"), Attr("stroke", "#555"), Attr("stroke-dasharray", "2,1"),
                new XElement(Svg + "title", $"checkpoint {column.Entry.Id.Value}: a restore reads {Fmt.Num(column.ChainBytes)} bytes in {column.Entry.Chain.Length} file(s)")));
            root.Add(new XElement(Svg + "rect", Attr("class", "own"), Attr("x", x + 2), Attr("y", barBottom - ownHeight), Attr("width", cellWidth - 4),
                Attr("height", ownHeight), Attr("fill", column.Entry.Kind == CheckpointKind.Full ? "#4682b4" : "#f28e2b"),
                new XElement(Svg + "title", $"checkpoint {column.Entry.Id.Value} ({Fmt.Kind(column.Entry.Kind)}): {Fmt.Num(column.Entry.Bytes)} bytes")));
            if (column.Entry.Kind == CheckpointKind.Incremental && FullBytes(column.Entry, catalog) is > 0 and var full)
            {
                // How much more than its full checkpoint a restore reads: the chain's bloat, at a glance.
                var ratio = Label(x + cellWidth / 2.0, barBottom - chainHeight - 3, string.Create(CultureInfo.InvariantCulture, $"x{(double)column.ChainBytes / full:0.00}"), 9);
                ratio.Add(Attr("text-anchor", "middle"));
                root.Add(ratio);
            }

            var id = Label(x + cellWidth / 2.0, top - 6, Fmt.Inv(column.Entry.Id.Value) + (column.Damaged ? "!" : ""), 10);
            id.Add(Attr("text-anchor", "middle"));
            if (column.Damaged)
            {
                id.Add(Attr("fill", "#c00"));
            }

            root.Add(id);
        }

        int labelEvery = Math.Max(1, (int)Math.Ceiling(12.0 / cellHeight));
        for (int r = 0; r < rows; r++)
        {
            int y = top + r * cellHeight;
            if (r % labelEvery == 0 || (!byPage && r == rows - 1))
            {
                var label = Label(left - 6, y + Math.Min(cellHeight, 12) - 2, RowName(r, rows, byPage, perRow, catalog.MaxParallelism), 10);
                label.Add(Attr("text-anchor", "end"));
                root.Add(label);
            }

            for (int c = 0; c < columns.Count; c++)
            {
                long bytes = columns[c].Cells[r];
                root.Add(new XElement(Svg + "rect", Attr("class", "cell"), Attr("x", left + c * cellWidth), Attr("y", y), Attr("width", cellWidth),
                    Attr("height", cellHeight), Attr("fill", Colour(bytes, max)),
                    new XElement(Svg + "title", $"{RowName(r, rows, byPage, perRow, catalog.MaxParallelism)}, checkpoint {columns[c].Entry.Id.Value}: {Fmt.Num(bytes)} bytes")));
            }
        }

        int legendY = top + rows * cellHeight + 20;
        root.Add(Label(left, legendY + 24, "0"));
        for (int i = 0; i <= 20; i++)
        {
            long bytes = i == 0 ? 0 : (long)Math.Round(Math.Pow(max + 1, i / 20.0)) - 1;
            root.Add(new XElement(Svg + "rect", Attr("class", "legend"), Attr("x", left + 12 + i * 10), Attr("y", legendY + 14), Attr("width", 10), Attr("height", 12),
                Attr("fill", Colour(bytes, max))));
        }

        root.Add(Label(left + 12 + 21 * 10 + 4, legendY + 24, $"{Fmt.Num(max)} bytes (log scale)"));
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root);
    }

    private static long FullBytes(CheckpointEntry entry, ShardCatalog catalog) => catalog.File(entry.Chain[0])?.Length ?? 0;

    private static string RowName(int row, int rows, bool byPage, int perRow, int maxParallelism)
    {
        if (byPage)
        {
            return $"page {row}";
        }

        if (row == rows - 1)
        {
            return "store-wide";
        }

        int from = row * perRow, to = Math.Min(maxParallelism, from + perRow) - 1;
        return from == to ? $"key group {from}" : $"key groups {from}-{to}";
    }

    /// <summary>Light grey for nothing written, then yellow to dark red on a log scale (ColorBrewer YlOrRd).</summary>
    private static string Colour(long bytes, long max)
    {
        if (bytes <= 0 || max <= 0)
        {
            return "#eeeeee";
        }

        (double R, double G, double B)[] stops = [(255, 255, 178), (254, 204, 92), (253, 141, 60), (240, 59, 32), (189, 0, 38)];
        double t = max == 1 ? 1 : Math.Log(bytes + 1) / Math.Log(max + 1);
        double scaled = Math.Clamp(t, 0, 1) * (stops.Length - 1);
        int i = Math.Min((int)scaled, stops.Length - 2);
        double f = scaled - i;
        int Mix(double a, double b) => (int)Math.Round(a + (b - a) * f);
        return string.Create(CultureInfo.InvariantCulture,
            $"#{Mix(stops[i].R, stops[i + 1].R):x2}{Mix(stops[i].G, stops[i + 1].G):x2}{Mix(stops[i].B, stops[i + 1].B):x2}");
    }

    private static XElement Label(double x, double y, string text, int size = 11, string? weight = null)
    {
        var element = new XElement(Svg + "text", Attr("x", x), Attr("y", y), Attr("font-size", size), text);
        if (weight is not null)
        {
            element.Add(Attr("font-weight", weight));
        }

        return element;
    }

    private static XAttribute Attr(string name, object value) => new(name, value is double d ? d.ToString("0.##", CultureInfo.InvariantCulture) : value);

    private sealed record Column(CheckpointEntry Entry, long[] Cells, long ChainBytes, bool Damaged);
}
