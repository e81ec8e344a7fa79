using System.Collections.Immutable;
using Snapshot.Catalog;
using Snapshot.Format;
using Snapshot.Reading;
using Snapshot.Tests.TestInfrastructure;
using Store;
using Store.Diagnostics;

namespace Snapshot.Tests.Inspection;

/// <summary>A catalog that checksums fine but disagrees with its data files is caught, naming the file and field.</summary>
public sealed class ManifestVerifierTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ShardFiles _files;

    public ManifestVerifierTests()
    {
        _files = new ShardFiles(_dir.Path, "store");
        using StateStore store = StateStore.Open();
        using Checkpointer checkpoints = Checkpointer.Open(store, new CheckpointOptions { Directory = _dir.Path, RetainedCheckpoints = 4 });
        for (int id = 1; id <= 3; id++)
        {
            for (long k = 0; k < 1000; k += id)
            {
                store.Put(Keys.Key(k), Keys.Value(k, id, 24));
            }

            checkpoints.Barrier(new CheckpointId(id)).GetAwaiter().GetResult();
            checkpoints.Confirm(new CheckpointId(id));
        }
    }

    public void Dispose() => _dir.Dispose();

    private ShardCatalog Catalog => CatalogReader.Read(_files).Catalog;

    /// <summary>Commits <paramref name="change"/> of the catalog as the next revision, as a buggy writer would.</summary>
    private void Commit(Func<ShardCatalog, ShardCatalog> change)
    {
        ShardCatalog next = change(Catalog) with { Revision = Catalog.Revision + 1 };
        Assert.Null(next.Validate());
        byte[] slot = new byte[CatalogCodec.SlotSize];
        CatalogCodec.Encode(next, slot);
        using FileStream stream = File.Open(_files.CatalogPath, FileMode.Open, FileAccess.Write);
        stream.Position = next.Revision % 2 * CatalogCodec.SlotSize;
        stream.Write(slot);
    }

    private static ImmutableArray<CheckpointEntry> Replace(ShardCatalog catalog, long id, Func<CheckpointEntry, CheckpointEntry> change) =>
        [.. catalog.Checkpoints.Select(c => c.Id.Value == id ? change(c) : c)];

    [Fact]
    public void AConsistentShardHasNoReferenceProblems()
    {
        Assert.Empty(ManifestVerifier.Verify(_files, Catalog));
        Assert.Empty(ManifestVerifier.Verify(_files, Catalog, new CheckpointId(2)));
    }

    [Fact]
    public void AnEntryWhoseCountsDisagreeWithItsFilesTrailerIsNamed()
    {
        Commit(c => c with { Checkpoints = Replace(c, 2, e => e with { Pages = e.Pages + 1, Granules = e.Granules - 1 }) });

        IReadOnlyList<StoreCorruptedException> damage = ManifestVerifier.Verify(_files, Catalog);

        string path = _files.DataPath(Catalog.Checkpoint(new CheckpointId(2))!.OwnFile);
        long trailer = new FileInfo(path).Length - DataFileTrailer.Size;
        Assert.Equal([(path, trailer + DataFileTrailer.PagesOffset), (path, trailer + 24)], damage.Select(d => (d.File!, d.Offset)));
    }

    [Fact]
    public void AChainThatSkipsADeltaIsABrokenLink()
    {
        Commit(c => c with { Checkpoints = Replace(c, 3, e => e with { Chain = [e.Chain[0], e.Chain[2]] }) });

        StoreCorruptedException damage = Assert.Single(ManifestVerifier.Verify(_files, Catalog));

        Assert.Equal(_files.DataPath(Catalog.Checkpoint(new CheckpointId(3))!.OwnFile), damage.File);
        Assert.Equal(DataFileHeader.BaseIdOffset, damage.Offset);
        Assert.Contains("based on checkpoint 2, not on the file before it (checkpoint 1)", damage.Message);
    }

    [Fact]
    public void ARegistryThatForgetsANewerUserIsNamed()
    {
        Commit(c => c with { Files = [.. c.Files.Select(f => f with { LastUsedBy = f.CreatedBy })] });

        IReadOnlyList<StoreCorruptedException> damage = ManifestVerifier.Verify(_files, Catalog);

        Assert.NotEmpty(damage);
        Assert.All(damage, d => Assert.Equal(_files.CatalogPath, d.File));
        Assert.Contains(damage, d => d.Message.Contains("last used by checkpoint 1", StringComparison.Ordinal));
    }

    [Fact]
    public void AFileThatCannotBeOpenedIsLeftToTheVerifier()
    {
        File.Delete(_files.DataPath(Catalog.Checkpoint(new CheckpointId(1))!.OwnFile));

        Assert.Empty(ManifestVerifier.Verify(_files, Catalog));
        Assert.False(CheckpointVerifier.Verify(_files).IsClean);
    }
}
