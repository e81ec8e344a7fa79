using System.Text.Json;
using PageDump.Tests.TestInfrastructure;
using Snapshot;
using Snapshot.Catalog;
using Snapshot.Reading;

namespace PageDump.Tests;

public sealed class ManifestTests
{
    [Fact]
    public void ManifestListsTheChainWithItsRegistryEntries()
    {
        ToolResult result = Tool.Run("manifest", Scenario.Chain.Directory, "3", "--json");

        Assert.True(result.Exit == 0, result.ToString());
        ShardCatalog catalog = Scenario.Chain.Catalog();
        CheckpointEntry entry = catalog.Checkpoint(new CheckpointId(3))!;
        JsonElement json = result.Json;
        Assert.Equal(3, json.GetProperty("checkpoint").GetProperty("id").GetInt64());
        Assert.Equal(2, json.GetProperty("checkpoint").GetProperty("baseId").GetInt64());
        Assert.Equal(entry.Chain.Select(f => f.Value), json.GetProperty("checkpoint").GetProperty("chain").EnumerateArray().Select(f => f.GetInt64()));
        JsonElement[] files = [.. json.GetProperty("files").EnumerateArray()];
        Assert.Equal(3, files.Length);
        for (int i = 0; i < files.Length; i++)
        {
            DataFileEntry registered = catalog.File(entry.Chain[i])!;
            Assert.Equal(i, files[i].GetProperty("position").GetInt32());
            Assert.Equal(registered.CreatedBy.Value, files[i].GetProperty("createdBy").GetInt64());
            Assert.Equal(registered.LastUsedBy.Value, files[i].GetProperty("lastUsedBy").GetInt64());
            Assert.Equal(registered.Length, files[i].GetProperty("length").GetInt64());
            Assert.Equal("ok", files[i].GetProperty("status").GetString());
            Assert.Equal(i == 0 ? "full" : "incremental", files[i].GetProperty("header").GetProperty("kind").GetString());
        }
    }

    [Fact]
    public void ManifestPageIndexHasEveryRecordOfTheChain()
    {
        ToolResult result = Tool.Run("manifest", Scenario.Chain.Directory, "4", "--json");

        Assert.True(result.Exit == 0, result.ToString());
        ShardCatalog catalog = Scenario.Chain.Catalog();
        CheckpointEntry entry = catalog.Checkpoint(new CheckpointId(4))!;
        var expected = new List<(uint, long, long, int)>();
        foreach (DataFileId file in entry.Chain)
        {
            using DataFileReader reader = DataFileReader.Open(new ShardFiles(Scenario.Chain.Directory, Scenario.Shard).DataPath(file));
            while (reader.MoveNext())
            {
                expected.Add((reader.Current.Page.Value, file.Value, reader.CurrentOffset, reader.Current.PayloadLength));
            }
        }

        Assert.Equal(expected, result.Json.GetProperty("pageIndex").EnumerateArray().Select(r =>
            (r.GetProperty("page").GetUInt32(), r.GetProperty("file").GetInt64(), r.GetProperty("offset").GetInt64(), r.GetProperty("bytes").GetInt32())));
        Assert.All(result.Json.GetProperty("pageIndex").EnumerateArray(), r => Assert.Equal("ok", r.GetProperty("checksum").GetString()));
    }

    [Fact]
    public void ManifestKeyGroupRangesComeFromTheTrailersAndTheRecords()
    {
        ToolResult result = Tool.Run("manifest", Scenario.Chain.Directory, "2", "--json");

        Assert.True(result.Exit == 0, result.ToString());
        foreach (JsonElement file in result.Json.GetProperty("files").EnumerateArray())
        {
            JsonElement trailer = file.GetProperty("trailer"), records = file.GetProperty("records");
            Assert.Equal(trailer.GetProperty("minKeyGroup").GetInt32(), records.GetProperty("minKeyGroup").GetInt32());
            Assert.Equal(trailer.GetProperty("maxKeyGroup").GetInt32(), records.GetProperty("maxKeyGroup").GetInt32());
            Assert.Equal(trailer.GetProperty("pages").GetInt64(), records.GetProperty("count").GetInt64());
        }

        JsonElement groups = result.Json.GetProperty("keyGroups");
        Assert.Equal(0, groups.GetProperty("min").GetInt32());
        Assert.Equal(127, groups.GetProperty("max").GetInt32());
        Assert.True(groups.GetProperty("storeWideRecords").GetInt32() > 0, "the meta page is a store-wide page");
    }

    [Fact]
    public void ManifestTableSummarisesThePageIndexAndFullListsIt()
    {
        ToolResult summary = Tool.Run("manifest", Scenario.Chain.Directory, "2");
        ToolResult full = Tool.Run("manifest", Scenario.Chain.Directory, "2", "--full");

        Assert.True(summary.Exit == 0, summary.ToString());
        Assert.Contains("Page index:", summary.Out);
        Assert.Contains("store.000000000002.ckd", summary.Out);
        int records = (int)(Scenario.Chain.Catalog().Checkpoint(new CheckpointId(1))!.Pages + Scenario.Chain.Catalog().Checkpoint(new CheckpointId(2))!.Pages);
        Assert.True(full.Out.Split('\n').Length > summary.Out.Split('\n').Length + records - 1, full.ToString());
    }

    [Fact]
    public void LatestNamesTheNewestConfirmedCheckpoint()
    {
        ToolResult result = Tool.Run("manifest", Scenario.Chain.Directory, "latest", "--json");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Equal(3, result.Json.GetProperty("checkpoint").GetProperty("id").GetInt64());
    }
}
