using System.Text.Json;
using PageDump.Tests.TestInfrastructure;
using Snapshot;
using Store;

namespace PageDump.Tests;

public sealed class ListTests
{
    [Fact]
    public void ListShowsEveryCheckpointWithKindBaseAndConfirmation()
    {
        ToolResult result = Tool.Run("list", Scenario.Chain.Directory);

        Assert.True(result.Exit == 0, result.ToString());
        string[] rows = [.. result.Out.Split('\n').Where(l => l.Contains("│ store", StringComparison.Ordinal))];
        Assert.Equal(4, rows.Length);
        Assert.Contains("full", rows[0]);
        Assert.Contains("incremental", rows[3]);
        Assert.Contains("no", rows[3].Split('│')[5]);
    }

    [Fact]
    public void ListJsonCarriesTheCatalogEntryOfEachCheckpoint()
    {
        ToolResult result = Tool.Run("list", Scenario.Chain.Directory, "--json");

        Assert.True(result.Exit == 0, result.ToString());
        JsonElement shard = Assert.Single(result.Json.GetProperty("shards").EnumerateArray());
        Assert.Equal("store", shard.GetProperty("shard").GetString());
        Assert.Equal(4096, shard.GetProperty("pageSize").GetInt32());
        JsonElement[] checkpoints = [.. shard.GetProperty("checkpoints").EnumerateArray()];
        Assert.Equal([1L, 2, 3, 4], checkpoints.Select(c => c.GetProperty("id").GetInt64()));
        Assert.Equal(["full", "incremental", "incremental", "incremental"], checkpoints.Select(c => c.GetProperty("kind").GetString()));
        Assert.Equal(JsonValueKind.Null, checkpoints[0].GetProperty("baseId").ValueKind);
        Assert.Equal(3, checkpoints[3].GetProperty("baseId").GetInt64());
        Assert.Equal([true, true, true, false], checkpoints.Select(c => c.GetProperty("confirmed").GetBoolean()));
        var catalog = Scenario.Chain.Catalog();
        foreach (JsonElement c in checkpoints)
        {
            var entry = catalog.Checkpoint(new CheckpointId(c.GetProperty("id").GetInt64()))!;
            Assert.Equal(entry.Pages, c.GetProperty("pages").GetInt64());
            Assert.Equal(entry.Granules, c.GetProperty("granules").GetInt64());
            Assert.Equal(entry.Bytes, c.GetProperty("bytes").GetInt64());
            Assert.Equal(entry.Created, c.GetProperty("created").GetDateTimeOffset());
            Assert.Equal((int)Snapshot.Format.DataFileHeader.FormatVersion, c.GetProperty("formatVersion").GetInt32());
            Assert.Equal("ok", c.GetProperty("fileStatus").GetString());
        }
    }

    [Fact]
    public void ListCoversEveryShardInTheDirectory()
    {
        ToolResult result = Tool.Run("list", Scenario.TwoShards.Directory, "--json");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Equal(["alpha", "beta"], result.Json.GetProperty("shards").EnumerateArray().Select(s => s.GetProperty("shard").GetString()));
        Assert.Equal(4, result.Json.GetProperty("shards").EnumerateArray().Sum(s => s.GetProperty("checkpoints").GetArrayLength()));
    }

    [Fact]
    public void ListOfOneShardLeavesTheOthersOut()
    {
        ToolResult result = Tool.Run("list", Scenario.TwoShards.Directory, "--shard", "beta");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Contains("│ beta", result.Out);
        Assert.DoesNotContain("alpha", result.Out);
    }

    [Fact]
    public void AShardWithoutCheckpointsIsListedAsSuch()
    {
        using var dir = new TempDirectory();
        using (StateStore store = StateStore.Open())
        using (Checkpointer.Open(store, new CheckpointOptions { Directory = dir.Path, Shard = "fresh" }))
        {
        }

        ToolResult result = Tool.Run("list", dir.Path);

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Contains("Shard 'fresh' has no checkpoints yet.", result.Out);
    }
}
