using System.Text.Json;
using PageDump.Tests.TestInfrastructure;

namespace PageDump.Tests;

/// <summary>The JSON field names are an interface (src/PageDump/README.md): renaming one fails here first.</summary>
public sealed class JsonFieldTests
{
    private static string Fields(JsonElement element) => string.Join(", ", element.EnumerateObject().Select(p => p.Name));

    private static JsonElement First(JsonElement element, string array) => element.GetProperty(array).EnumerateArray().First();

    [Fact]
    public void ListFieldsAreStable()
    {
        JsonElement json = Tool.Run("list", Scenario.Chain.Directory, "--json").Json;

        Assert.Equal("directory, shards", Fields(json));
        Assert.Equal("shard, revision, pageSize, maxParallelism, error, checkpoints", Fields(First(json, "shards")));
        Assert.Equal("shard, id, kind, baseId, confirmed, chainLength, pages, granules, bytes, pageCount, version, created, formatVersion, file, fileStatus, fileProblem",
            Fields(First(First(json, "shards"), "checkpoints")));
    }

    [Fact]
    public void ManifestFieldsAreStable()
    {
        JsonElement json = Tool.Run("manifest", Scenario.Chain.Directory, "3", "--json").Json;

        Assert.Equal("shard, catalogRevision, pageSize, maxParallelism, checkpoint, files, keyGroups, pageIndex, damage", Fields(json));
        Assert.Equal("id, kind, baseId, confirmed, version, pageCount, created, bytes, pages, granules, chainBytes, chain", Fields(json.GetProperty("checkpoint")));
        JsonElement file = First(json, "files");
        Assert.Equal("position, id, name, createdBy, lastUsedBy, length, lengthOnDisk, status, problem, header, trailer, records", Fields(file));
        Assert.Equal("checkpointId, baseId, kind, version, pageCount, pageSize, maxParallelism", Fields(file.GetProperty("header")));
        Assert.Equal("recordCount, recordBytes, granules, minKeyGroup, maxKeyGroup, pages", Fields(file.GetProperty("trailer")));
        Assert.Equal("count, full, granules, extents, damaged, minPage, maxPage, minKeyGroup, maxKeyGroup, storeWide", Fields(file.GetProperty("records")));
        Assert.Equal("min, max, distinct, storeWideRecords", Fields(json.GetProperty("keyGroups")));
        Assert.Equal("page, file, offset, kind, bytes, keyGroup, granuleMask, checksum, storedBytes", Fields(First(json, "pageIndex")));
    }

    [Fact]
    public void PagesFieldsAreStable()
    {
        JsonElement records = Tool.Run("pages", Scenario.Chain.Directory, "3", "--json").Json;
        JsonElement changed = Tool.Run("pages", Scenario.Chain.Directory, "3", "--changed-since", "1", "--json").Json;

        Assert.Equal("shard, checkpoint, file, keyGroups, changedSince, rows, damage", Fields(records));
        Assert.Equal("page, keyGroup, kind, version, granuleMask, maskBar, granules, bytes, offset, checksum, problem, storedBytes", Fields(First(records, "rows")));
        Assert.Equal("shard, checkpoint, file, keyGroups, changedSince, rows, damage", Fields(changed));
        Assert.Equal("page, keyGroup, change, version, granuleMask, maskBar, granules, changedBytes, checksum", Fields(First(changed, "rows")));
    }

    [Fact]
    public void PageFieldsAreStable()
    {
        JsonElement json = Tool.Run("page", Scenario.Chain.Directory, "3", "16", "--records", "--hex", "--json").Json;

        Assert.Equal("shard, checkpoint, page, pageSize, header, granuleMask, maskBar, checksum, records, hex, entries, problems, damage", Fields(json));
        Assert.Equal("kind, layoutVersion, keyGroup, next, fieldA, fieldB", Fields(json.GetProperty("header")));
        Assert.Equal("file, fileName, offset, writtenBy, kind, version, keyGroup, granuleMask, maskBar, bytes, checksum, problem", Fields(First(json, "records")));
        Assert.Equal("slot, offset, key, keyText, keyGroup, keyGroupMatchesPage, valueLength, value, firstBlobPage", Fields(First(json, "entries")));
    }

    [Fact]
    public void VerifyDiffAndHeatmapFieldsAreStable()
    {
        using var dir = Scenario.Chain.Copy();
        string delta = Scenario.Chain.DataFileOf(2, dir.Path);
        Corrupt.FlipBit(delta, Corrupt.NthRecord(delta, 0).Offset + 40);
        JsonElement verify = Tool.Run("verify", dir.Path, "--json").Json;
        JsonElement diff = Tool.Run("diff", Scenario.Chain.Directory, "1", "2", "--json").Json;
        JsonElement heatmap = Tool.Run("heatmap", Scenario.Chain.Directory, "--out", Path.Combine(dir.Path, "h.svg"), "--json").Json;

        Assert.Equal("directory, clean, shards", Fields(verify));
        Assert.Equal("shard, checkpoints, files, records, bytes, clean, error, damage, notes", Fields(First(verify, "shards")));
        Assert.Equal("file, offset, page, detail", Fields(First(First(verify, "shards"), "damage")));
        Assert.Equal("shard, from, to, keyGroups, summary, keys, pages, damage", Fields(diff));
        Assert.Equal("keysAdded, keysRemoved, keysChanged, pagesChanged, changedBytes", Fields(diff.GetProperty("summary")));
        Assert.Equal("key, keyText, keyGroup, change, before, beforeLength, after, afterLength", Fields(First(diff, "keys")));
        Assert.Equal("page, keyGroup, change, granuleMask, maskBar, changedBytes, checksum", Fields(First(diff, "pages")));
        Assert.Equal("file, shard, rows, rowCount, keyGroupsPerRow, cells, maxCellBytes, checkpoints", Fields(heatmap));
        Assert.Equal("id, kind, bytes, chainBytes, damaged", Fields(First(heatmap, "checkpoints")));
    }
}
