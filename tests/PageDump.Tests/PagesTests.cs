using System.Text.Json;
using PageDump.Tests.TestInfrastructure;
using Snapshot;
using Snapshot.Reading;

namespace PageDump.Tests;

public sealed class PagesTests
{
    private static List<(uint Page, int KeyGroup, ulong Mask, int Bytes)> RecordsOf(long checkpoint)
    {
        var records = new List<(uint, int, ulong, int)>();
        using DataFileReader reader = DataFileReader.Open(Scenario.Chain.DataFileOf(checkpoint));
        while (reader.MoveNext())
        {
            records.Add((reader.Current.Page.Value, reader.Current.KeyGroup, reader.Current.GranuleMask, reader.Current.PayloadLength));
        }

        return records;
    }

    [Fact]
    public void PagesListsOneRowPerRecordOfTheCheckpointsOwnFile()
    {
        ToolResult result = Tool.Run("pages", Scenario.Chain.Directory, "2", "--json");

        Assert.True(result.Exit == 0, result.ToString());
        JsonElement[] rows = [.. result.Json.GetProperty("rows").EnumerateArray()];
        Assert.Equal(RecordsOf(2).Select(r => (r.Page, r.Mask.ToString("x16"), r.Bytes)),
            rows.Select(r => (r.GetProperty("page").GetUInt32(), r.GetProperty("granuleMask").GetString()!, r.GetProperty("bytes").GetInt32())));
        Assert.All(rows, r => Assert.Equal(64, r.GetProperty("maskBar").GetString()!.Length));
        Assert.All(rows, r => Assert.Equal("ok", r.GetProperty("checksum").GetString()));
        Assert.Equal(2u, rows[0].GetProperty("version").GetUInt32());
    }

    [Fact]
    public void PagesOfAFullCheckpointAreAllWholePages()
    {
        ToolResult result = Tool.Run("pages", Scenario.Chain.Directory, "1", "--json");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.All(result.Json.GetProperty("rows").EnumerateArray(), r =>
        {
            Assert.Equal("full", r.GetProperty("kind").GetString());
            Assert.Equal(new string('#', 64), r.GetProperty("maskBar").GetString());
            Assert.Equal(4096, r.GetProperty("bytes").GetInt32());
        });
    }

    [Fact]
    public void AKeyGroupFilterKeepsOnlyThatGroupsPages()
    {
        ToolResult result = Tool.Run("pages", Scenario.Chain.Directory, "3", "--key-group", "5", "--json");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Equal(RecordsOf(3).Where(r => r.KeyGroup == 5).Select(r => r.Page),
            result.Json.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("page").GetUInt32()));
        Assert.NotEmpty(result.Json.GetProperty("rows").EnumerateArray());
    }

    [Fact]
    public void AKeyGroupRangeKeepsEveryGroupInIt()
    {
        ToolResult result = Tool.Run("pages", Scenario.Chain.Directory, "3", "--key-group", "10-19", "--json");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Equal(RecordsOf(3).Count(r => r.KeyGroup is >= 10 and <= 19), result.Json.GetProperty("rows").GetArrayLength());
    }

    [Fact]
    public void ChangedSinceAnAncestorListsThePagesItsDeltasWrote()
    {
        ToolResult result = Tool.Run("pages", Scenario.Chain.Directory, "3", "--changed-since", "2", "--json");

        Assert.True(result.Exit == 0, result.ToString());
        JsonElement[] rows = [.. result.Json.GetProperty("rows").EnumerateArray()];
        Assert.NotEmpty(rows);
        var written = RecordsOf(3).ToDictionary(r => r.Page);
        foreach (JsonElement row in rows)
        {
            uint page = row.GetProperty("page").GetUInt32();
            Assert.True(written.ContainsKey(page), $"page {page} changed but checkpoint 3 wrote no record of it");
            ulong changed = Convert.ToUInt64(row.GetProperty("granuleMask").GetString(), 16);
            Assert.Equal(0UL, changed & ~written[page].Mask); // only granules the delta carried can differ
            Assert.Equal("changed", row.GetProperty("change").GetString());
            Assert.True(row.GetProperty("changedBytes").GetInt32() > 0);
        }
    }

    [Fact]
    public void ChangedSinceItselfIsEmpty()
    {
        ToolResult result = Tool.Run("pages", Scenario.Chain.Directory, "2", "--changed-since", "2", "--json");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Equal(0, result.Json.GetProperty("rows").GetArrayLength());
    }

    [Fact]
    public void ChangedSinceWithAKeyGroupFilterCombinesBoth()
    {
        ToolResult all = Tool.Run("pages", Scenario.Chain.Directory, "4", "--changed-since", "1", "--json");
        ToolResult some = Tool.Run("pages", Scenario.Chain.Directory, "4", "--changed-since", "1", "--key-group", "7", "--json");

        Assert.True(some.Exit == 0, some.ToString());
        Assert.Equal(
            all.Json.GetProperty("rows").EnumerateArray().Where(r => r.GetProperty("keyGroup").ValueKind == JsonValueKind.Number && r.GetProperty("keyGroup").GetInt32() == 7)
                .Select(r => r.GetProperty("page").GetUInt32()),
            some.Json.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("page").GetUInt32()));
    }

    [Fact]
    public void ThePagesTableDrawsTheMaskAsABarOfAtMost64Characters()
    {
        ToolResult result = Tool.Run("pages", Scenario.Chain.Directory, "1");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Contains(new string('█', 32), result.Out);
        Assert.DoesNotContain(new string('█', 65), result.Out);
        Assert.Contains($"{Scenario.Chain.Catalog().Checkpoint(new CheckpointId(1))!.Pages} record(s)", result.Out);
    }
}
