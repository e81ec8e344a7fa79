using PageDump.Tests.TestInfrastructure;

namespace PageDump.Tests;

/// <summary>Mistakes on the command line get one clear sentence and exit code 2, never a stack trace.</summary>
public sealed class UsageTests
{
    private static void AssertUsage(ToolResult result, string expected)
    {
        Assert.True(result.Exit == 2, result.ToString());
        Assert.Contains(expected, result.Err);
        Assert.True(result.HasNoStackTrace, result.ToString());
        Assert.Equal("", result.Out);
    }

    [Fact]
    public void NoVerbIsAUsageError() => AssertUsage(Tool.Run(), "Required command was not provided");

    [Fact]
    public void AnUnknownVerbIsAUsageError() => AssertUsage(Tool.Run("dump", Scenario.Chain.Directory), "pagedump --help");

    [Fact]
    public void AnUnknownOptionIsAUsageError() => AssertUsage(Tool.Run("list", Scenario.Chain.Directory, "--colour"), "--colour");

    [Fact]
    public void AMissingArgumentIsAUsageError() => AssertUsage(Tool.Run("manifest", Scenario.Chain.Directory), "Run 'pagedump manifest --help' for usage.");

    [Fact]
    public void ADirectoryThatDoesNotExistIsAUsageError() =>
        AssertUsage(Tool.Run("list", "/no/such/checkpoints"), "Directory '/no/such/checkpoints' does not exist.");

    [Fact]
    public void AnEmptyDirectoryIsAUsageError()
    {
        using var dir = new TempDirectory();
        AssertUsage(Tool.Run("list", dir.Path), $"Directory '{dir.Path}' is empty: it holds no checkpoints.");
    }

    [Fact]
    public void ADirectoryWithoutCatalogsIsAUsageError()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "notes.txt"), "not a checkpoint");

        foreach (string verb in new[] { "list", "verify" })
        {
            AssertUsage(Tool.Run(verb, dir.Path), "holds no checkpoints: there is no shard catalog");
        }
    }

    [Fact]
    public void AFileGivenAsTheDirectoryIsAUsageError()
    {
        string file = Directory.EnumerateFiles(Scenario.Chain.Directory, "*.catalog").First();
        AssertUsage(Tool.Run("list", file), "is a file, not a checkpoint directory");
    }

    [Theory]
    [InlineData("manifest")]
    [InlineData("pages")]
    [InlineData("verify")]
    public void AnUnknownCheckpointIdIsAUsageErrorNamingTheOnesThatExist(string verb) =>
        AssertUsage(Tool.Run(verb, Scenario.Chain.Directory, "9"), "checkpoints 1, 2, 3, 4 (unconfirmed)");

    [Fact]
    public void AnIdThatIsNotANumberIsAUsageError() =>
        AssertUsage(Tool.Run("manifest", Scenario.Chain.Directory, "three"), "'three' is not a checkpoint id");

    [Fact]
    public void AnUnknownIdInEitherPlaceOfADiffIsAUsageError()
    {
        AssertUsage(Tool.Run("diff", Scenario.Chain.Directory, "1", "12"), "has no checkpoint 12");
        AssertUsage(Tool.Run("diff", Scenario.Chain.Directory, "12", "1"), "has no checkpoint 12");
        AssertUsage(Tool.Run("pages", Scenario.Chain.Directory, "3", "--changed-since", "12"), "has no checkpoint 12");
    }

    [Fact]
    public void APageBeyondTheCheckpointIsAUsageError()
    {
        uint pages = Scenario.Chain.Catalog().Checkpoint(new Snapshot.CheckpointId(2))!.PageCount;
        AssertUsage(Tool.Run("page", Scenario.Chain.Directory, "2", pages.ToString()), $"Checkpoint 2 has {pages} pages (0 to {pages - 1})");
        AssertUsage(Tool.Run("page", Scenario.Chain.Directory, "2", "-1"), "");
    }

    [Fact]
    public void SeveralShardsWithoutShardIsAUsageErrorListingThem()
    {
        foreach (string[] args in new[] { new[] { "manifest", Scenario.TwoShards.Directory, "1" }, ["heatmap", Scenario.TwoShards.Directory, "--out", "x.svg"] })
        {
            AssertUsage(Tool.Run(args), "holds 2 shards ('alpha', 'beta'); choose one with --shard.");
        }
    }

    [Fact]
    public void AShardThatIsNotThereIsAUsageErrorListingTheOnesThatAre() =>
        AssertUsage(Tool.Run("pages", Scenario.TwoShards.Directory, "1", "--shard", "gamma"), "has no shard 'gamma'; its shards are 'alpha', 'beta'.");

    [Fact]
    public void AShardOptionPicksOneOfSeveral()
    {
        ToolResult result = Tool.Run("manifest", Scenario.TwoShards.Directory, "2", "--shard", "beta", "--json");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Equal("beta", result.Json.GetProperty("shard").GetString());
    }

    [Fact]
    public void AKeyGroupOutsideTheShardIsAUsageError()
    {
        AssertUsage(Tool.Run("pages", Scenario.Chain.Directory, "2", "--key-group", "128"), "has key groups 0 to 127");
        AssertUsage(Tool.Run("pages", Scenario.Chain.Directory, "2", "--key-group", "9-3"), "is not a key group or a range");
    }

    [Fact]
    public void AHeatmapIntoADirectoryThatDoesNotExistIsAUsageError() =>
        AssertUsage(Tool.Run("heatmap", Scenario.Chain.Directory, "--out", "/no/such/dir/heat.svg"), "directory '/no/such/dir' does not exist");

    [Fact]
    public void AnIdOnAShardWithoutCheckpointsIsAUsageError()
    {
        using var dir = new TempDirectory();
        using (var store = Store.StateStore.Open())
        using (Snapshot.Checkpointer.Open(store, new Snapshot.CheckpointOptions { Directory = dir.Path }))
        {
        }

        AssertUsage(Tool.Run("manifest", dir.Path, "1"), "Shard 'store' has no checkpoints yet.");
        AssertUsage(Tool.Run("heatmap", dir.Path, "--out", Path.Combine(dir.Path, "h.svg")), "has no checkpoints yet");
    }

    [Fact]
    public void HelpExitsZeroAndNamesEveryVerb()
    {
        ToolResult result = Tool.Run("--help");

        Assert.Equal(0, result.Exit);
        foreach (string verb in new[] { "list", "manifest", "pages", "page", "verify", "diff", "heatmap" })
        {
            Assert.Contains($"  {verb} <DIR>", result.Out);
        }
    }
}
