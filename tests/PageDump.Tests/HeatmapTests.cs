using System.Text.Json;
using System.Xml.Linq;
using PageDump.Tests.TestInfrastructure;
using Snapshot.Format;

namespace PageDump.Tests;

public sealed class HeatmapTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static XElement[] Cells(string path) =>
        [.. XDocument.Parse(File.ReadAllText(path)).Descendants(Svg + "rect").Where(r => (string?)r.Attribute("class") == "cell")];

    [Fact]
    public void TheHeatmapIsWellFormedSvgWithOneCellPerPagePerCheckpoint()
    {
        using var dir = new TempDirectory();
        string svg = Path.Combine(dir.Path, "heat.svg");

        ToolResult result = Tool.Run("heatmap", Scenario.Chain.Directory, "--out", svg, "--json");

        Assert.True(result.Exit == 0, result.ToString());
        uint pages = Scenario.Chain.Catalog().Checkpoints.Max(c => c.PageCount);
        Assert.Equal("page", result.Json.GetProperty("rows").GetString());
        Assert.Equal(pages * 4, (uint)Cells(svg).Length);
        Assert.Equal((int)pages * 4, result.Json.GetProperty("cells").GetInt32());
        Assert.Equal("svg", XDocument.Parse(File.ReadAllText(svg)).Root!.Name.LocalName);
    }

    [Fact]
    public void TheCellsOfAFullCheckpointAreTheDarkest()
    {
        using var dir = new TempDirectory();
        string svg = Path.Combine(dir.Path, "heat.svg");

        Tool.Run("heatmap", Scenario.Chain.Directory, "--out", svg);

        XElement[] cells = Cells(svg);
        Assert.Contains(cells, c => c.Element(Svg + "title")!.Value.StartsWith($"page 1, checkpoint 1: {4096 + Snapshot.Format.PageRecordHeader.Size:N0} bytes", StringComparison.InvariantCulture));
        Assert.Contains(cells, c => c.Element(Svg + "title")!.Value.EndsWith(": 0 bytes", StringComparison.Ordinal) && (string?)c.Attribute("fill") == "#eeeeee");
    }

    [Fact]
    public void TooManyPagesGiveWayToKeyGroupsAndTheToolSaysSo()
    {
        using var dir = new TempDirectory();
        string svg = Path.Combine(dir.Path, "heat.svg");

        ToolResult table = Tool.Run("heatmap", Scenario.Chain.Directory, "--out", svg, "--max-rows", "200");
        ToolResult json = Tool.Run("heatmap", Scenario.Chain.Directory, "--out", svg, "--max-rows", "200", "--json");

        Assert.True(table.Exit == 0, table.ToString());
        Assert.Contains("rows are key groups", table.Out);
        Assert.Equal("keyGroup", json.Json.GetProperty("rows").GetString());
        Assert.Equal(129 * 4, Cells(svg).Length); // 128 key groups and the store-wide row, per checkpoint
    }

    [Fact]
    public void KeyGroupsAreMergedIntoRangesWhenTheyAreTooManyToo()
    {
        using var dir = new TempDirectory();
        string svg = Path.Combine(dir.Path, "heat.svg");

        ToolResult result = Tool.Run("heatmap", Scenario.Chain.Directory, "--out", svg, "--by", "key-group", "--max-rows", "33", "--json");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Equal(4, result.Json.GetProperty("keyGroupsPerRow").GetInt32());
        Assert.Equal(33 * 4, Cells(svg).Length);
    }

    [Fact]
    public void AHeatmapOfADamagedCheckpointIsStillDrawnAndExitsThree()
    {
        using TempDirectory dir = Scenario.Chain.Copy();
        string path = Scenario.Chain.DataFileOf(2, dir.Path);
        Corrupt.FlipBit(path, Corrupt.NthRecord(path, 0).Offset + PageRecordHeader.Size);
        Corrupt.Truncate(Scenario.Chain.DataFileOf(3, dir.Path), 10);
        string svg = Path.Combine(dir.Path, "heat.svg");

        ToolResult result = Tool.Run("heatmap", dir.Path, "--out", svg, "--json");

        Assert.True(result.Exit == 3, result.ToString());
        Assert.True(result.HasNoStackTrace, result.ToString());
        Assert.Equal([false, true, true, false], result.Json.GetProperty("checkpoints").EnumerateArray().Select(c => c.GetProperty("damaged").GetBoolean()));
        Assert.Equal(result.Json.GetProperty("cells").GetInt32(), Cells(svg).Length);
    }

    [Fact]
    public void TheHeatmapNeedsAnOutputFile()
    {
        ToolResult result = Tool.Run("heatmap", Scenario.Chain.Directory);

        Assert.Equal(2, result.Exit);
        Assert.Contains("--out", result.Err);
    }
}
