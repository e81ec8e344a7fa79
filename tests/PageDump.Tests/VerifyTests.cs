using System.Collections.Immutable;
using System.Text.Json;
using PageDump.Tests.TestInfrastructure;
using Snapshot.Catalog;
using Snapshot.Format;

namespace PageDump.Tests;

public sealed class VerifyTests
{
    [Fact]
    public void VerifyOfIntactCheckpointsExitsZero()
    {
        ToolResult result = Tool.Run("verify", Scenario.Chain.Directory);

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Contains("Clean", result.Out);
    }

    [Fact]
    public void TheWritersEmptySpareFileIsNotReportedAsALeftover()
    {
        // A checkpointer pre-creates its next data file; whether one is left depends on when it was
        // disposed, so this test makes one explicitly.
        using TempDirectory copy = Scenario.Chain.Copy();
        var files = new ShardFiles(copy.Path, ShardFiles.ShardsIn(copy.Path).Single());
        ShardCatalog catalog = CatalogReader.Read(files).Catalog;
        File.WriteAllBytes(files.DataPath(new DataFileId(catalog.NextFileId + 5)), []);

        ToolResult result = Tool.Run("verify", copy.Path);

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Contains("empty file for its next checkpoint", result.Out);
    }

    [Fact]
    public void VerifyDeepRebuildsEveryPageOfEveryCheckpoint()
    {
        ToolResult result = Tool.Run("verify", Scenario.Chain.Directory, "--deep", "--json");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.True(result.Json.GetProperty("clean").GetBoolean());
        JsonElement shard = Assert.Single(result.Json.GetProperty("shards").EnumerateArray());
        Assert.Equal([1L, 2, 3, 4], shard.GetProperty("checkpoints").EnumerateArray().Select(c => c.GetInt64()));
        Assert.Equal(4, shard.GetProperty("files").GetInt32());
    }

    [Fact]
    public void VerifyExitsThreeAndNamesEachBadPage()
    {
        using TempDirectory dir = Scenario.Chain.Copy();
        string full = Scenario.Chain.DataFileOf(1, dir.Path), delta = Scenario.Chain.DataFileOf(3, dir.Path);
        (long offsetA, uint pageA) = Corrupt.NthRecord(full, 5);
        (long offsetB, uint pageB) = Corrupt.NthRecord(full, 77);
        (long offsetC, uint pageC) = Corrupt.NthRecord(delta, 3);
        Corrupt.FlipBit(full, offsetA + PageRecordHeader.Size + 100);
        Corrupt.FlipBit(full, offsetB + PageRecordHeader.Size + 4000);
        Corrupt.FlipBit(delta, offsetC + PageRecordHeader.Size);

        ToolResult result = Tool.Run("verify", dir.Path);
        ToolResult json = Tool.Run("verify", dir.Path, "--json");

        Assert.True(result.Exit == 3, result.ToString());
        foreach ((string file, long offset, uint page) in new[] { (full, offsetA, pageA), (full, offsetB, pageB), (delta, offsetC, pageC) })
        {
            Assert.Contains(result.Out.Split('\n'), line =>
                line.Contains(Path.GetFileName(file), StringComparison.Ordinal) && line.Contains($"│ {offset} ", StringComparison.Ordinal) &&
                line.Contains($"│ {page} ", StringComparison.Ordinal) && line.Contains("checksum", StringComparison.Ordinal));
        }

        Assert.Equal(3, json.Exit);
        Assert.False(json.Json.GetProperty("clean").GetBoolean());
        JsonElement[] damage = [.. Assert.Single(json.Json.GetProperty("shards").EnumerateArray()).GetProperty("damage").EnumerateArray()];
        Assert.Equal(
            [(full, offsetA, pageA), (full, offsetB, pageB), (delta, offsetC, pageC)],
            damage.Select(d => (d.GetProperty("file").GetString()!, d.GetProperty("offset").GetInt64(), d.GetProperty("page").GetUInt32())));
    }

    [Fact]
    public void VerifyOfOneCheckpointReadsOnlyItsChain()
    {
        using TempDirectory dir = Scenario.Chain.Copy();
        string delta4 = Scenario.Chain.DataFileOf(4, dir.Path);
        Corrupt.FlipBit(delta4, Corrupt.NthRecord(delta4, 0).Offset + PageRecordHeader.Size);

        Assert.Equal(0, Tool.Run("verify", dir.Path, "2").Exit);
        Assert.Equal(3, Tool.Run("verify", dir.Path, "4").Exit);
    }

    [Fact]
    public void VerifyFlagsADamagedCatalogSlot()
    {
        using TempDirectory dir = Scenario.Chain.Copy();
        var files = new ShardFiles(dir.Path, Scenario.Shard);
        long newest = CatalogReader.Read(files).Catalog.Revision % 2 * CatalogCodec.SlotSize;
        Corrupt.FlipBit(files.CatalogPath, newest + CatalogCodec.HeaderSize + 40);

        ToolResult result = Tool.Run("verify", dir.Path);

        Assert.True(result.Exit == 3, result.ToString());
        Assert.Contains("store.catalog", result.Out);
        Assert.Contains($"│ {newest + CatalogCodec.ChecksumOffset} ", result.Out);
    }

    [Fact]
    public void VerifyOfACatalogWithBothSlotsDamagedExitsThree()
    {
        using TempDirectory dir = Scenario.Chain.Copy();
        var files = new ShardFiles(dir.Path, Scenario.Shard);
        Corrupt.FlipBit(files.CatalogPath, CatalogCodec.HeaderSize + 3);
        Corrupt.FlipBit(files.CatalogPath, CatalogCodec.SlotSize + CatalogCodec.HeaderSize + 3);

        ToolResult result = Tool.Run("verify", dir.Path);

        Assert.True(result.Exit == 3, result.ToString());
        Assert.Contains("neither catalog slot is readable", result.Out);
    }

    [Fact]
    public void VerifyFlagsADamagedDataFileHeader()
    {
        using TempDirectory dir = Scenario.Chain.Copy();
        string path = Scenario.Chain.DataFileOf(2, dir.Path);
        Corrupt.FlipBit(path, DataFileHeader.PageCountOffset);

        ToolResult result = Tool.Run("verify", dir.Path);

        Assert.True(result.Exit == 3, result.ToString());
        Assert.Contains(result.Out.Split('\n'), l => l.Contains(Path.GetFileName(path), StringComparison.Ordinal) && l.Contains("header checksum", StringComparison.Ordinal));
    }

    [Fact]
    public void VerifyFlagsATruncatedDataFile()
    {
        using TempDirectory dir = Scenario.Chain.Copy();
        string path = Scenario.Chain.DataFileOf(3, dir.Path);
        Corrupt.Truncate(path, 100);

        ToolResult result = Tool.Run("verify", dir.Path, "--json");

        Assert.True(result.Exit == 3, result.ToString());
        Assert.Contains("truncated", result.Out);
        Assert.Contains(Path.GetFileName(path), result.Out);
    }

    [Fact]
    public void VerifyFlagsAMissingDataFile()
    {
        using TempDirectory dir = Scenario.Chain.Copy();
        string path = Scenario.Chain.DataFileOf(1, dir.Path);
        File.Delete(path);

        ToolResult result = Tool.Run("verify", dir.Path);

        Assert.True(result.Exit == 3, result.ToString());
        Assert.Contains(result.Out.Split('\n'), l => l.Contains(Path.GetFileName(path), StringComparison.Ordinal) && l.Contains("missing", StringComparison.Ordinal));
    }

    [Fact]
    public void VerifyFlagsACatalogEntryThatDisagreesWithItsFile()
    {
        using TempDirectory dir = Scenario.Chain.Copy();
        var files = new ShardFiles(dir.Path, Scenario.Shard);
        ShardCatalog catalog = CatalogReader.Read(files).Catalog;
        // A consistent, correctly checksummed catalog revision whose entry for checkpoint 2 claims one record too many.
        ShardCatalog lying = catalog with
        {
            Revision = catalog.Revision + 1,
            Checkpoints = catalog.Checkpoints.Select(c => c.Id.Value == 2 ? c with { Pages = c.Pages + 1 } : c).ToImmutableArray(),
        };
        byte[] slot = new byte[CatalogCodec.SlotSize];
        CatalogCodec.Encode(lying, slot);
        using (FileStream stream = File.Open(files.CatalogPath, FileMode.Open, FileAccess.Write))
        {
            stream.Position = lying.Revision % 2 * CatalogCodec.SlotSize;
            stream.Write(slot);
        }

        ToolResult result = Tool.Run("verify", dir.Path);

        Assert.True(result.Exit == 3, result.ToString());
        Assert.Contains("pages, its file's trailer", result.Out);
    }

    [Fact]
    public void VerifyReportsProgressOnStandardError()
    {
        ToolResult result = Tool.Run("verify", Scenario.Chain.Directory, "--progress");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Contains("pagedump: verifying shard 'store':", result.Err);
        Assert.Contains("(100%)", result.Err);
        Assert.DoesNotContain("verifying", result.Out);
    }

    [Fact]
    public void VerifyChecksEveryShardAndNamesTheDamagedOne()
    {
        using TempDirectory dir = Scenario.TwoShards.Copy();
        string path = Scenario.TwoShards.DataFileOf(2, dir.Path, "beta");
        Corrupt.FlipBit(path, Corrupt.NthRecord(path, 1).Offset + PageRecordHeader.Size + 2);

        ToolResult result = Tool.Run("verify", dir.Path, "--json");

        Assert.True(result.Exit == 3, result.ToString());
        JsonElement[] shards = [.. result.Json.GetProperty("shards").EnumerateArray()];
        Assert.True(shards.Single(s => s.GetProperty("shard").GetString() == "alpha").GetProperty("clean").GetBoolean());
        Assert.False(shards.Single(s => s.GetProperty("shard").GetString() == "beta").GetProperty("clean").GetBoolean());
    }
}
