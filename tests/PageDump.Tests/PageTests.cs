using System.Text;
using System.Text.Json;
using PageDump.Tests.TestInfrastructure;
using Snapshot;
using Snapshot.Catalog;
using Snapshot.Reading;
using Store.Index;

namespace PageDump.Tests;

public sealed class PageTests
{
    /// <summary>The page that holds <paramref name="key"/> at checkpoint <paramref name="checkpoint"/>, found with Snapshot's reader.</summary>
    private static uint PageHolding(string key, long checkpoint)
    {
        ShardCatalog catalog = Scenario.Chain.Catalog();
        using CheckpointPageReader reader = CheckpointPageReader.Open(new ShardFiles(Scenario.Chain.Directory, Scenario.Shard), catalog,
            catalog.Checkpoint(new CheckpointId(checkpoint))!);
        while (reader.MoveNext())
        {
            if (PageDecoder.BucketRecords(reader.CurrentBytes, catalog.MaxParallelism).Any(r => Encoding.ASCII.GetString(r.Key) == key))
            {
                return reader.CurrentPage.Value;
            }
        }

        throw new InvalidOperationException($"no page holds {key}");
    }

    [Fact]
    public void PageDecodesTheKeysAndValuesAsRestoredAtTheCheckpoint()
    {
        uint page = PageHolding(Scenario.Key(7), 2); // rewritten by checkpoint 2: the page needs the full and the delta

        ToolResult result = Tool.Run("page", Scenario.Chain.Directory, "2", page.ToString(), "--records", "--json");

        Assert.True(result.Exit == 0, result.ToString());
        JsonElement json = result.Json;
        Assert.Equal("bucket", json.GetProperty("header").GetProperty("kind").GetString());
        int pageGroup = json.GetProperty("header").GetProperty("keyGroup").GetInt32();
        JsonElement[] entries = [.. json.GetProperty("entries").EnumerateArray()];
        Assert.NotEmpty(entries);
        Dictionary<string, byte[]> model = Scenario.Chain.Models[2];
        foreach (JsonElement entry in entries)
        {
            string key = entry.GetProperty("keyText").GetString()!;
            Assert.Equal(model[key], Convert.FromHexString(entry.GetProperty("value").GetString()!));
            Assert.Equal(pageGroup, entry.GetProperty("keyGroup").GetInt32());
            Assert.True(entry.GetProperty("keyGroupMatchesPage").GetBoolean());
        }

        Assert.Contains(entries, e => e.GetProperty("keyText").GetString() == Scenario.Key(7));
        JsonElement[] records = [.. json.GetProperty("records").EnumerateArray()];
        Assert.Equal([1L, 2L], records.Select(r => r.GetProperty("writtenBy").GetInt64()));
        Assert.Equal("full", records[0].GetProperty("kind").GetString());
        Assert.NotEqual("full", records[1].GetProperty("kind").GetString());
        Assert.Equal("ok", json.GetProperty("checksum").GetString());
    }

    [Fact]
    public void APageAtAnOlderCheckpointShowsTheOlderValues()
    {
        uint page = PageHolding(Scenario.Key(7), 2);

        ToolResult result = Tool.Run("page", Scenario.Chain.Directory, "1", page.ToString(), "--records");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Contains("\"rev1:user-7:", result.Out);
        Assert.DoesNotContain("\"rev2:user-7:", result.Out);
        Assert.Contains("Bucket", result.Out);
    }

    [Fact]
    public void TheHexDumpShowsThePageBytes()
    {
        uint page = PageHolding(Scenario.Key(7), 2);

        ToolResult result = Tool.Run("page", Scenario.Chain.Directory, "2", page.ToString(), "--hex");
        ToolResult json = Tool.Run("page", Scenario.Chain.Directory, "2", page.ToString(), "--hex", "--json");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Contains("00000  05 01", result.Out); // kind 5 (bucket), layout version 1
        Assert.Contains(Convert.ToHexStringLower(Scenario.Value(7, 2)), json.Json.GetProperty("hex").GetString());
        Assert.Equal(4096 * 2, json.Json.GetProperty("hex").GetString()!.Length);
    }

    [Fact]
    public void TheMetaPageIsStoreWide()
    {
        ToolResult result = Tool.Run("page", Scenario.Chain.Directory, "3", "0", "--json");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Equal("meta", result.Json.GetProperty("header").GetProperty("kind").GetString());
        Assert.Equal(JsonValueKind.Null, result.Json.GetProperty("header").GetProperty("keyGroup").ValueKind);
        Assert.Equal(new string('#', 64), result.Json.GetProperty("maskBar").GetString());
    }

    [Fact]
    public void RecordsOfAPageWithoutKeysSaySo()
    {
        ToolResult result = Tool.Run("page", Scenario.Chain.Directory, "3", "0", "--records");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Contains("A Meta page holds no key/value records.", result.Out);
    }
}
