using Snapshot.Catalog;
using Snapshot.Reading;
using Snapshot.Tests.TestInfrastructure;
using Store;

namespace Snapshot.Tests.Lifecycle;

public sealed class ChainAndRetentionTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static void Touch(StateStore store, long round)
    {
        for (long k = round % 5; k < 2000; k += 50)
        {
            store.Put(Keys.Key(k), Keys.Value(k, round, 32));
        }
    }

    private static StateStore Loaded()
    {
        StateStore store = StateStore.Open();
        for (long k = 0; k < 2000; k++)
        {
            store.Put(Keys.Key(k), Keys.Value(k, 0, 32));
        }

        return store;
    }

    [Fact]
    public async Task TheChainNeverExceedsMaxChainLength()
    {
        using StateStore store = Loaded();
        using Checkpointer checkpoints = Checkpointer.Open(store, new CheckpointOptions { Directory = _dir.Path, MaxChainLength = 3 });
        var kinds = new List<CheckpointKind>();
        for (long id = 1; id <= 7; id++)
        {
            Touch(store, id);
            CheckpointResult result = await checkpoints.Barrier(new CheckpointId(id));
            checkpoints.Confirm(new CheckpointId(id));
            kinds.Add(result.Kind);
            Assert.True(result.ChainLength <= 3);
        }

        Assert.Equal(
            [CheckpointKind.Full, CheckpointKind.Incremental, CheckpointKind.Incremental, CheckpointKind.Full,
             CheckpointKind.Incremental, CheckpointKind.Incremental, CheckpointKind.Full],
            kinds);
    }

    [Fact]
    public async Task DeltasOutgrowingTheirFullCheckpointStartANewChain()
    {
        // The full checkpoint is about 1.6 MB (the group table's pages) and each delta about 2.3 KB:
        // at 0.005 the ratio trips after three or four deltas, long before the (raised) length bound.
        const double ratio = 0.005;
        using StateStore store = Loaded();
        using Checkpointer checkpoints = Checkpointer.Open(store, new CheckpointOptions { Directory = _dir.Path, MaxDeltaRatio = ratio, MaxChainLength = 64 });
        CheckpointResult full = await checkpoints.Barrier(new CheckpointId(1));
        checkpoints.Confirm(full.Id);
        var kinds = new List<CheckpointKind>();
        for (long id = 2; id <= 12; id++)
        {
            Touch(store, id);
            CheckpointResult result = await checkpoints.Barrier(new CheckpointId(id));
            checkpoints.Confirm(result.Id);
            kinds.Add(result.Kind);
        }

        Assert.Contains(CheckpointKind.Full, kinds);
        ShardCatalog catalog = checkpoints.Catalog;
        foreach (CheckpointEntry entry in catalog.Checkpoints)
        {
            long full0 = catalog.File(entry.Chain[0])!.Length;
            long deltas = entry.ChainBytes(catalog) - full0;
            CheckpointEntry? last = entry.Chain.Length > 1 ? catalog.Checkpoints.Single(c => c.OwnFile == entry.Chain[^1]) : null;
            Assert.True(deltas - (last?.Bytes ?? 0) <= ratio * full0, $"{entry.Id}: deltas before the last are {deltas - (last?.Bytes ?? 0)} bytes, full {full0}");
        }
    }

    [Fact]
    public async Task AForcedFullCheckpointStartsANewChainAndRetentionDeletesTheOldOne()
    {
        using StateStore store = Loaded();
        using Checkpointer checkpoints = Checkpointer.Open(store, new CheckpointOptions { Directory = _dir.Path, RetainedCheckpoints = 1 });
        var files = new ShardFiles(_dir.Path, "store");
        for (long id = 1; id <= 3; id++)
        {
            Touch(store, id);
            await checkpoints.Barrier(new CheckpointId(id));
            checkpoints.Confirm(new CheckpointId(id));
        }

        Assert.Equal(3, checkpoints.Catalog.Checkpoint(new CheckpointId(3))!.Chain.Length);
        Touch(store, 4);
        CheckpointResult forced = await checkpoints.Barrier(new CheckpointId(4), forceFull: true);
        Assert.Equal((CheckpointKind.Full, CheckpointId.None, 1), (forced.Kind, forced.Base, forced.ChainLength));
        checkpoints.Confirm(new CheckpointId(4));

        ShardCatalog catalog = checkpoints.Catalog;
        CheckpointEntry only = Assert.Single(catalog.Checkpoints);
        Assert.Equal(new CheckpointId(4), only.Id);
        Assert.Equal(only.Chain, catalog.Files.Select(f => f.Id));
        Assert.Equal(only.Chain.Append(new DataFileId(catalog.NextFileId)).Order(), files.DataFilesOnDisk().Order()); // + the empty spare
    }

    [Fact]
    public async Task ConfirmingANewerCheckpointSubsumesOlderUnconfirmedOnes()
    {
        using StateStore store = Loaded();
        using Checkpointer checkpoints = Checkpointer.Open(store, new CheckpointOptions { Directory = _dir.Path });
        await checkpoints.Barrier(new CheckpointId(1));
        Touch(store, 2);
        await checkpoints.Barrier(new CheckpointId(2));
        Touch(store, 3);
        await checkpoints.Barrier(new CheckpointId(3));
        checkpoints.Confirm(new CheckpointId(3));

        Assert.Equal([new CheckpointId(3)], checkpoints.Catalog.Checkpoints.Select(c => c.Id));
        checkpoints.Confirm(new CheckpointId(2)); // already subsumed: a no-op, as Flink's late notifications are
        Assert.Throws<InvalidOperationException>(() => checkpoints.Confirm(new CheckpointId(9)));
        Assert.Throws<InvalidOperationException>(() => checkpoints.Abort(new CheckpointId(3)));
    }

    [Fact]
    public async Task AfterARestoreTheNextCheckpointIsADeltaOfTheRestoredOne()
    {
        var options = new CheckpointOptions { Directory = _dir.Path };
        using (StateStore store = Loaded())
        using (Checkpointer checkpoints = Checkpointer.Open(store, options))
        {
            await checkpoints.Barrier(new CheckpointId(1));
            checkpoints.Confirm(new CheckpointId(1));
        }

        RestoredCheckpoint restored = Checkpointer.Restore(options, new StoreOptions());
        using (restored.Store)
        using (restored.Checkpointer)
        {
            restored.Store.Put(Keys.Key(3), Keys.Value(3, 42, 32));
            CheckpointResult next = await restored.Checkpointer.Barrier(new CheckpointId(2));
            Assert.Equal((CheckpointKind.Incremental, new CheckpointId(1)), (next.Kind, next.Base));
            Assert.True(next.Pages <= 3, $"one changed value dirtied {next.Pages} pages");
            restored.Checkpointer.Confirm(next.Id);
        }

        using StateStore again = CheckpointRestorer.Restore(new ShardFiles(_dir.Path, "store"), new StoreOptions());
        Assert.Equal(Keys.Value(3, 42, 32), again.Get(Keys.Key(3)));
        Assert.Equal(2000, again.Count);
    }

    [Fact]
    public async Task RestoringAWrittenButUnconfirmedCheckpointByIdConfirmsIt()
    {
        var options = new CheckpointOptions { Directory = _dir.Path };
        using (StateStore store = Loaded())
        using (Checkpointer checkpoints = Checkpointer.Open(store, options))
        {
            await checkpoints.Barrier(new CheckpointId(5)); // acknowledged, but the process died before the confirmation arrived
        }

        Assert.Throws<CheckpointNotFoundException>(() => Checkpointer.Restore(options, new StoreOptions()));
        RestoredCheckpoint restored = Checkpointer.Restore(options, new StoreOptions(), new CheckpointId(5));
        using (restored.Store)
        using (restored.Checkpointer)
        {
            Assert.True(restored.Checkpointer.Catalog.Checkpoint(new CheckpointId(5))!.Confirmed);
            Assert.Equal(2000, restored.Store.Count);
        }
    }

    [Fact]
    public void OpeningAShardSweepsDataFilesNoCheckpointReferences()
    {
        var files = new ShardFiles(_dir.Path, "store");
        File.WriteAllBytes(files.DataPath(new DataFileId(77)), new byte[100]); // a crash's leftover
        File.WriteAllBytes(Path.Combine(_dir.Path, "other.000000000077.ckd"), new byte[100]); // another shard's file

        using StateStore store = StateStore.Open();
        using Checkpointer checkpoints = Checkpointer.Open(store, new CheckpointOptions { Directory = _dir.Path });

        Assert.False(File.Exists(files.DataPath(new DataFileId(77))));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "other.000000000077.ckd")));
    }

    [Fact]
    public async Task TwoShardsWriteTheirPartsOfOneCheckpointIntoOneDirectory()
    {
        using StateStore a = StateStore.Open();
        using StateStore b = StateStore.Open();
        a.Put(Keys.Key(1), Keys.Value(1, 1, 16));
        b.Put(Keys.Key(2), Keys.Value(2, 1, 16));
        using Checkpointer ca = Checkpointer.Open(a, new CheckpointOptions { Directory = _dir.Path, Shard = "op-0" });
        using Checkpointer cb = Checkpointer.Open(b, new CheckpointOptions { Directory = _dir.Path, Shard = "op-1" });
        await Task.WhenAll(ca.Barrier(new CheckpointId(1)), cb.Barrier(new CheckpointId(1)));
        ca.Confirm(new CheckpointId(1));
        cb.Confirm(new CheckpointId(1));

        Assert.Equal(["op-0", "op-1"], ShardFiles.ShardsIn(_dir.Path));
        using StateStore ra = CheckpointRestorer.Restore(new ShardFiles(_dir.Path, "op-0"), new StoreOptions());
        using StateStore rb = CheckpointRestorer.Restore(new ShardFiles(_dir.Path, "op-1"), new StoreOptions());
        Assert.Equal((1L, 1L), (ra.Count, rb.Count));
        Assert.NotNull(ra.Get(Keys.Key(1)));
        Assert.NotNull(rb.Get(Keys.Key(2)));
    }

    [Fact]
    public void AShardIsWrittenByOneCheckpointerAtATime()
    {
        using StateStore store = StateStore.Open();
        using Checkpointer first = Checkpointer.Open(store, new CheckpointOptions { Directory = _dir.Path });
        var e = Assert.Throws<InvalidOperationException>(() => Checkpointer.Open(store, new CheckpointOptions { Directory = _dir.Path }));
        Assert.Contains("already open", e.Message);
    }

    [Fact]
    public async Task CheckpointIdsMustIncrease()
    {
        using StateStore store = StateStore.Open();
        using Checkpointer checkpoints = Checkpointer.Open(store, new CheckpointOptions { Directory = _dir.Path });
        await checkpoints.Barrier(new CheckpointId(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = checkpoints.Barrier(new CheckpointId(5)); });
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = checkpoints.Barrier(new CheckpointId(4)); });
    }

    [Fact]
    public async Task AStoreWithOtherPageSizeOrKeyGroupsIsRefusedOnAShardThatHoldsCheckpoints()
    {
        using (StateStore store = Loaded())
        using (Checkpointer checkpoints = Checkpointer.Open(store, new CheckpointOptions { Directory = _dir.Path }))
        {
            await checkpoints.Barrier(new CheckpointId(1));
        }

        using StateStore other = StateStore.Open(new StoreOptions { MaxParallelism = 64 });
        var e = Assert.Throws<ArgumentException>(() => Checkpointer.Open(other, new CheckpointOptions { Directory = _dir.Path }));
        Assert.Contains("MaxParallelism 128", e.Message);
    }

    [Theory]
    [InlineData("", 2, 8)]
    [InlineData("a.b", 2, 8)]
    [InlineData("ok", 0, 8)]
    [InlineData("ok", 2, 0)]
    public void InvalidOptionsAreRefusedWithTheOptionNamed(string shard, int retained, int chain)
    {
        using StateStore store = StateStore.Open();
        var e = Assert.ThrowsAny<ArgumentException>(() =>
            Checkpointer.Open(store, new CheckpointOptions { Directory = _dir.Path, Shard = shard, RetainedCheckpoints = retained, MaxChainLength = chain }));
        Assert.Matches("Shard|RetainedCheckpoints|MaxChainLength", e.Message);
    }
}
