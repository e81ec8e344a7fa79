using Snapshot.Catalog;
using Snapshot.Reading;
using Snapshot.Tests.TestInfrastructure;
using Store;

namespace Snapshot.Tests;

public sealed class CheckpointRoundTripTests
{
    [Fact]
    public async Task AFullCheckpointRestoresEveryKeyAndValue()
    {
        using var dir = new TempDirectory();
        var model = new Dictionary<long, byte[]>();
        using (StateStore store = StateStore.Open())
        using (Checkpointer checkpoints = Checkpointer.Open(store, new CheckpointOptions { Directory = dir.Path }))
        {
            Keys.PutAll(store, model, Keys.Ids(0, 5000), revision: 1, k => 8 + (int)(k % 300));

            CheckpointResult result = await checkpoints.Barrier(new CheckpointId(1));
            Assert.Equal(CheckpointKind.Full, result.Kind);
            checkpoints.Confirm(new CheckpointId(1));
        }

        RestoredCheckpoint restored = Checkpointer.Restore(new CheckpointOptions { Directory = dir.Path }, new StoreOptions());
        using (restored.Store)
        using (restored.Checkpointer)
        {
            Assert.Equal(new CheckpointId(1), restored.Id);
            Keys.AssertEqual(model, restored.Store, "restored full checkpoint");
        }
    }

    [Fact]
    public async Task AnIncrementalCheckpointHoldsOnlyTheChangedBytesAndRestoresExactly()
    {
        using var dir = new TempDirectory();
        var model = new Dictionary<long, byte[]>();
        using StateStore store = StateStore.Open();
        using Checkpointer checkpoints = Checkpointer.Open(store, new CheckpointOptions { Directory = dir.Path });
        Keys.PutAll(store, model, Keys.Ids(0, 20_000), revision: 1, _ => 24);

        CheckpointResult full = await checkpoints.Barrier(new CheckpointId(1));
        checkpoints.Confirm(new CheckpointId(1));
        Keys.PutAll(store, model, Keys.Ids(0, 20_000, step: 100), revision: 2, _ => 24);

        CheckpointResult delta = await checkpoints.Barrier(new CheckpointId(2));
        Assert.Equal(CheckpointKind.Incremental, delta.Kind);
        Assert.Equal(new CheckpointId(1), delta.Base);
        Assert.Equal(2, delta.ChainLength);
        // 200 values of 24 bytes changed: the delta is a few KiB, the full checkpoint a few hundred.
        Assert.True(delta.Bytes < 200 * 24 * 3 + 128, $"delta wrote {delta.Bytes} bytes for 4,800 changed bytes");
        Assert.True(full.Bytes > 50 * delta.Bytes, $"full {full.Bytes} vs delta {delta.Bytes}");
        checkpoints.Confirm(new CheckpointId(2));

        using StateStore restored = CheckpointRestorer.Restore(new ShardFiles(dir.Path, "store"), new StoreOptions());
        Keys.AssertEqual(model, restored, "restored incremental checkpoint");
    }

    [Fact]
    public async Task ARestoreOfAChainOfSeveralChunksEqualsTheStoreAtItsBarrier()
    {
        using var dir = new TempDirectory();
        var model = new Dictionary<long, byte[]>();
        using (StateStore store = StateStore.Open())
        using (Checkpointer checkpoints = Checkpointer.Open(store, new CheckpointOptions { Directory = dir.Path }))
        {
            Keys.PutAll(store, model, Keys.Ids(0, 40_000), revision: 1, k => 8 + (int)(k % 200));

            await checkpoints.Barrier(new CheckpointId(1));
            checkpoints.Confirm(new CheckpointId(1));
            Keys.PutAll(store, model, Keys.Ids(0, 40_000, step: 7), revision: 2, k => 8 + (int)(k % 200));

            await checkpoints.Barrier(new CheckpointId(2));
            checkpoints.Confirm(new CheckpointId(2));
        }

        using StateStore restored = CheckpointRestorer.Restore(new ShardFiles(dir.Path, "store"), new StoreOptions());
        Keys.AssertEqual(model, restored, "restore of several 1 MiB chunks, read ahead");
    }

    [Fact]
    public async Task DeltasPatchingTheSamePagesAndPagesPastTheFullFileRestoreInChainOrder()
    {
        // The restore folds each delta into the full file's pass, batch by batch of pages. The chain
        // here makes that order matter: three deltas rewrite the same keys (so the same bytes of the
        // same pages) with different values, delete some, and the store grows past the full file's
        // pages, which only the deltas hold.
        using var dir = new TempDirectory();
        var model = new Dictionary<long, byte[]>();
        var files = new ShardFiles(dir.Path, "store");
        using (StateStore store = StateStore.Open())
        using (Checkpointer checkpoints = Checkpointer.Open(store, new CheckpointOptions { Directory = dir.Path, MaxDeltaRatio = 10 }))
        {
            Keys.PutAll(store, model, Keys.Ids(0, 30_000), revision: 1, _ => 16);
            await checkpoints.Barrier(new CheckpointId(1));
            checkpoints.Confirm(new CheckpointId(1));

            for (int revision = 2; revision <= 4; revision++)
            {
                Keys.PutAll(store, model, Keys.Ids(0, 30_000, step: 3), revision, _ => 16);
                Keys.PutAll(store, model, Keys.Ids(30_000 + ((revision - 2) * 10_000), 40_000 + ((revision - 2) * 10_000)), revision, k => 8 + (int)(k % 50));
                foreach (long id in Keys.Ids(revision, 30_000, step: 101))
                {
                    store.Delete(Keys.Key(id));
                    model.Remove(id);
                }

                CheckpointResult delta = await checkpoints.Barrier(new CheckpointId(revision));
                Assert.Equal(CheckpointKind.Incremental, delta.Kind);
                checkpoints.Confirm(new CheckpointId(revision));
            }
        }

        ShardCatalog catalog = CatalogReader.Read(files).Catalog;
        CheckpointEntry newest = catalog.NewestConfirmed!;
        Assert.Equal(4, newest.Chain.Length);
        using (DataFileReader full = DataFileReader.Open(files.DataPath(newest.Chain[0])))
        {
            // Several of the restore's 64-page batches, and pages past them that only the deltas hold.
            Assert.True(full.Header.PageCount > 4 * 64 && full.Header.PageCount < newest.PageCount,
                $"the full file holds {full.Header.PageCount} of the checkpoint's {newest.PageCount} pages");
        }

        using StateStore restored = CheckpointRestorer.Restore(files, new StoreOptions());
        Keys.AssertEqual(model, restored, "restore of a full file and three overlapping deltas");
    }

    [Fact]
    public async Task ARestoreIntoAFileBackedStoreEqualsTheStoreAtItsBarrier()
    {
        // The restored pages are then a shared mapping of the new store's frame file: the full
        // file's scatter reads and the background pre-faulting go through the page cache.
        using var dir = new TempDirectory();
        using var frames = new TempDirectory();
        var model = new Dictionary<long, byte[]>();
        using (StateStore store = StateStore.Open())
        using (Checkpointer checkpoints = Checkpointer.Open(store, new CheckpointOptions { Directory = dir.Path }))
        {
            Keys.PutAll(store, model, Keys.Ids(0, 20_000), revision: 1, k => 8 + (int)(k % 100));

            await checkpoints.Barrier(new CheckpointId(1));
            checkpoints.Confirm(new CheckpointId(1));
        }

        using StateStore restored = CheckpointRestorer.Restore(new ShardFiles(dir.Path, "store"), new StoreOptions { Directory = frames.Path });
        Keys.AssertEqual(model, restored, "restore into a file-backed store");
        restored.Put(Keys.Key(1), "after"u8);
        Assert.Equal("after"u8.ToArray(), restored.Get(Keys.Key(1)));
    }
}
