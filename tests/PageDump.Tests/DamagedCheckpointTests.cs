using System.Buffers.Binary;
using PageDump.Tests.TestInfrastructure;
using Snapshot.Catalog;
using Snapshot.Format;

namespace PageDump.Tests;

/// <summary>
/// Every verb on damaged checkpoints: bit flips in a record, a data file header and the catalog,
/// a truncated file, a missing file. Each reports the damage (exit code 3, the file named) and
/// prints what it could, without a stack trace.
/// </summary>
public sealed class DamagedCheckpointTests
{
    public static TheoryData<string, string> Cases()
    {
        var cases = new TheoryData<string, string>();
        foreach (string damage in new[] { "record", "header", "truncated", "missing", "catalog", "both catalog slots" })
        {
            foreach (string verb in new[] { "list", "manifest", "pages", "page", "verify", "diff", "heatmap" })
            {
                cases.Add(damage, verb);
            }
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryVerbReportsTheDamageWithoutCrashing(string damage, string verb)
    {
        using TempDirectory dir = Scenario.Chain.Copy();
        var files = new ShardFiles(dir.Path, Scenario.Shard);
        string full = Scenario.Chain.DataFileOf(1, dir.Path), delta = Scenario.Chain.DataFileOf(2, dir.Path);
        (long offset, uint page) = Corrupt.NthRecord(delta, 3);
        string named = Path.GetFileName(delta);
        long newestSlot = CatalogReader.Read(files).Catalog.Revision % 2 * CatalogCodec.SlotSize;
        switch (damage)
        {
            case "record":
                Corrupt.FlipBit(delta, offset + PageRecordHeader.Size + 7);
                break;
            case "header":
                Corrupt.FlipBit(delta, DataFileHeader.BaseIdOffset);
                break;
            case "truncated":
                Corrupt.Truncate(delta, 1000);
                break;
            case "missing":
                File.Delete(full);
                named = Path.GetFileName(full);
                break;
            case "catalog":
                Corrupt.FlipBit(files.CatalogPath, newestSlot + CatalogCodec.HeaderSize + 30);
                named = "store.catalog";
                break;
            default:
                Corrupt.FlipBit(files.CatalogPath, CatalogCodec.HeaderSize + 30);
                Corrupt.FlipBit(files.CatalogPath, CatalogCodec.SlotSize + CatalogCodec.HeaderSize + 30);
                named = "store.catalog";
                break;
        }

        string[] args = verb switch
        {
            "list" => ["list", dir.Path],
            "manifest" => ["manifest", dir.Path, "2"],
            "pages" => ["pages", dir.Path, "2"],
            "page" => ["page", dir.Path, "2", page.ToString(), "--records", "--hex"],
            "verify" => ["verify", dir.Path],
            "diff" => ["diff", dir.Path, "1", "2"],
            _ => ["heatmap", dir.Path, "--out", Path.Combine(dir.Path, "heat.svg")],
        };

        ToolResult result = Tool.Run(args);

        Assert.True(result.HasNoStackTrace, result.ToString());
        if (verb == "list" && damage == "record")
        {
            // list reads headers and trailers only; record checksums are verify's (and the other verbs') to check.
            Assert.True(result.Exit == 0, result.ToString());
            return;
        }

        Assert.True(result.Exit == 3, result.ToString());
        Assert.Contains(named, result.Out + result.Err);
        if (damage == "record" && verb is "verify" or "pages" or "page" or "manifest")
        {
            Assert.Contains($"page {page}", result.Err + result.Out.Replace("│ " + page + " ", $"page {page}", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void ADamagedRecordIsListedAsBadByPagesAndSkippedByPage()
    {
        using TempDirectory dir = Scenario.Chain.Copy();
        string delta = Scenario.Chain.DataFileOf(2, dir.Path);
        (long offset, uint page) = Corrupt.NthRecord(delta, 3);
        Corrupt.FlipBit(delta, offset + PageRecordHeader.Size + 7);

        ToolResult pages = Tool.Run("pages", dir.Path, "2", "--json");
        ToolResult one = Tool.Run("page", dir.Path, "2", page.ToString(), "--json");

        Assert.Equal(3, pages.Exit);
        var bad = pages.Json.GetProperty("rows").EnumerateArray().Single(r => r.GetProperty("checksum").GetString() == "bad");
        Assert.Equal(page, bad.GetProperty("page").GetUInt32());
        Assert.Equal(offset, bad.GetProperty("offset").GetInt64());
        Assert.Equal(Scenario.Chain.Catalog().Checkpoint(new Snapshot.CheckpointId(2))!.Pages, pages.Json.GetProperty("rows").GetArrayLength());
        Assert.Equal(3, one.Exit);
        Assert.Equal("bad", one.Json.GetProperty("checksum").GetString());
        Assert.Equal(["ok", "bad"], one.Json.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("checksum").GetString()));
    }

    [Fact]
    public void ACatalogFromANewerFormatGetsOneSentenceAndExitCodeOne()
    {
        using TempDirectory dir = Scenario.Chain.Copy();
        var files = new ShardFiles(dir.Path, Scenario.Shard);
        byte[] catalog = File.ReadAllBytes(files.CatalogPath);
        for (int slot = 0; slot < 2; slot++)
        {
            Span<byte> s = catalog.AsSpan(slot * CatalogCodec.SlotSize, CatalogCodec.SlotSize);
            BinaryPrimitives.WriteUInt32LittleEndian(s[8..], 2);
            int length = BinaryPrimitives.ReadInt32LittleEndian(s[CatalogCodec.PayloadLengthOffset..]);
            var hash = new System.IO.Hashing.XxHash3();
            hash.Append(s[..CatalogCodec.ChecksumOffset]);
            hash.Append(s.Slice(CatalogCodec.HeaderSize, length));
            BinaryPrimitives.WriteUInt64LittleEndian(s[CatalogCodec.ChecksumOffset..], hash.GetCurrentHashAsUInt64());
        }

        File.WriteAllBytes(files.CatalogPath, catalog);

        foreach (string[] args in new[] { new[] { "manifest", dir.Path, "2" }, ["verify", dir.Path], ["list", dir.Path] })
        {
            ToolResult result = Tool.Run(args);
            Assert.True(result.Exit == 1, result.ToString());
            Assert.True(result.HasNoStackTrace, result.ToString());
            Assert.Contains("format version 2", result.Err);
            Assert.Single(result.Err.Trim().Split('\n'));
        }
    }

    [Fact]
    public void ADataFileFromANewerFormatGetsOneSentenceAndExitCodeOne()
    {
        using TempDirectory dir = Scenario.Chain.Copy();
        string path = Scenario.Chain.DataFileOf(2, dir.Path);
        Corrupt.WithNewerFormatVersion(path);

        ToolResult page = Tool.Run("page", dir.Path, "2", "1");
        ToolResult verify = Tool.Run("verify", dir.Path, "2");

        Assert.True(page.Exit == 1, page.ToString());
        uint newer = DataFileHeader.FormatVersion + 1;
        Assert.Equal($"pagedump: '{path}' was written in checkpoint format version {newer}, but this pagedump reads version {DataFileHeader.FormatVersion}: use a newer pagedump.", page.Err.Trim());
        Assert.True(verify.Exit == 1, verify.ToString());
        Assert.Contains($"format version {newer}", verify.Err);
    }
}
