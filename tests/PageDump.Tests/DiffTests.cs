using System.Text;
using System.Text.Json;
using PageDump.Tests.TestInfrastructure;
using Snapshot.Format;
using Store.Index;

namespace PageDump.Tests;

public sealed class DiffTests
{
    private static (HashSet<string> Added, HashSet<string> Removed, HashSet<string> Changed) Expected(long a, long b)
    {
        Dictionary<string, byte[]> before = Scenario.Chain.Models[a], after = Scenario.Chain.Models[b];
        return (
            [.. after.Keys.Where(k => !before.ContainsKey(k))],
            [.. before.Keys.Where(k => !after.ContainsKey(k))],
            [.. after.Keys.Where(k => before.TryGetValue(k, out byte[]? old) && !old.AsSpan().SequenceEqual(after[k]))]);
    }

    private static HashSet<string> Keys(JsonElement json, string change) =>
        [.. json.GetProperty("keys").EnumerateArray().Where(k => k.GetProperty("change").GetString() == change).Select(k => k.GetProperty("keyText").GetString()!)];

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 3)]
    [InlineData(1, 4)]
    public void DiffListsExactlyTheKeysAddedRemovedAndChanged(long a, long b)
    {
        ToolResult result = Tool.Run("diff", Scenario.Chain.Directory, a.ToString(), b.ToString(), "--json");

        Assert.True(result.Exit == 0, result.ToString());
        (HashSet<string> added, HashSet<string> removed, HashSet<string> changed) = Expected(a, b);
        Assert.Equal(added, Keys(result.Json, "added"));
        Assert.Equal(removed, Keys(result.Json, "removed"));
        Assert.Equal(changed, Keys(result.Json, "changed"));
        JsonElement summary = result.Json.GetProperty("summary");
        Assert.Equal(added.Count, summary.GetProperty("keysAdded").GetInt32());
        Assert.Equal(changed.Count, summary.GetProperty("keysChanged").GetInt32());
        Assert.True(summary.GetProperty("pagesChanged").GetInt32() > 0);
    }

    [Fact]
    public void AChangedKeyCarriesBothValues()
    {
        ToolResult result = Tool.Run("diff", Scenario.Chain.Directory, "1", "2", "--json");

        JsonElement key = result.Json.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("keyText").GetString() == Scenario.Key(14));
        Assert.Equal(Scenario.Value(14, 1), Convert.FromHexString(key.GetProperty("before").GetString()!));
        Assert.Equal(Scenario.Value(14, 2), Convert.FromHexString(key.GetProperty("after").GetString()!));
        Assert.Equal(KeyHash.Of(Encoding.ASCII.GetBytes(Scenario.Key(14))).KeyGroup(128), key.GetProperty("keyGroup").GetInt32());
    }

    [Fact]
    public void DiffWithAKeyGroupFilterKeepsOnlyThatGroup()
    {
        ToolResult all = Tool.Run("diff", Scenario.Chain.Directory, "2", "3", "--json");
        ToolResult some = Tool.Run("diff", Scenario.Chain.Directory, "2", "3", "--key-group", "3-4", "--json");

        Assert.True(some.Exit == 0, some.ToString());
        Assert.Equal(
            all.Json.GetProperty("keys").EnumerateArray().Where(k => k.GetProperty("keyGroup").GetInt32() is 3 or 4).Select(k => k.GetProperty("key").GetString()),
            some.Json.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("key").GetString()));
        Assert.All(some.Json.GetProperty("pages").EnumerateArray(), p => Assert.InRange(p.GetProperty("keyGroup").GetInt32(), 3, 4));
    }

    [Fact]
    public void ACheckpointDoesNotDifferFromItself()
    {
        ToolResult result = Tool.Run("diff", Scenario.Chain.Directory, "3", "3");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Contains("keys: 0 added, 0 removed, 0 changed.", result.Out);
        Assert.Contains("pages: 0 differ", result.Out);
    }

    [Fact]
    public void TheDiffTableIsCutAtTheLimitAndSaysSo()
    {
        ToolResult result = Tool.Run("diff", Scenario.Chain.Directory, "1", "2", "--limit", "3");

        Assert.True(result.Exit == 0, result.ToString());
        Assert.Contains("more key(s) (--limit, or --json for all)", result.Out);
        Assert.Contains("more page(s) (--limit, or --json for all)", result.Out);
    }

    [Fact]
    public void DiffOfADamagedCheckpointStillComparesThePagesAndExitsThree()
    {
        using TempDirectory dir = Scenario.Chain.Copy();
        string path = Scenario.Chain.DataFileOf(3, dir.Path);
        (long offset, uint page) = Corrupt.NthRecord(path, 2);
        Corrupt.FlipBit(path, offset + PageRecordHeader.Size + 1);

        ToolResult result = Tool.Run("diff", dir.Path, "2", "3");

        Assert.True(result.Exit == 3, result.ToString());
        Assert.True(result.HasNoStackTrace, result.ToString());
        Assert.Contains("keys: not compared", result.Out);
        Assert.Contains("pages:", result.Out);
        Assert.Contains(Path.GetFileName(path), result.Err);
        Assert.Contains($"page {page}", result.Err);
    }
}
