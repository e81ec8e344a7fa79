using Snapshot.Catalog;
using Snapshot.Diagnostics;
using Snapshot.Reading;
using Snapshot.Tests.TestInfrastructure;
using Store;
using Store.Diagnostics;

namespace Snapshot.Tests.Lifecycle;

/// <summary>Barrier, Confirm and Abort while a data file is being written, held at a fault point.</summary>
[Collection(FaultPointCollection.Name)]
public sealed class CheckpointerLifecycleTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ManualResetEventSlim _release = new();
    private readonly ManualResetEventSlim _held = new();

    public CheckpointerLifecycleTests()
    {
        FaultPoints.Hook = name =>
        {
            if (name == FaultPoints.DataWritten)
            {
                _held.Set();
                _release.Wait(TimeSpan.FromSeconds(30));
            }
        };
    }

    public void Dispose()
    {
        FaultPoints.Hook = null;
        _release.Set();
        _dir.Dispose();
    }

    private (StateStore Store, Checkpointer Checkpoints) Open(int maxFrozenVersions = 2)
    {
        StateStore store = StateStore.Open(new StoreOptions { MaxFrozenVersions = maxFrozenVersions });
        for (long k = 0; k < 500; k++)
        {
            store.Put(Keys.Key(k), Keys.Value(k, 1, 32));
        }

        return (store, Checkpointer.Open(store, new CheckpointOptions { Directory = _dir.Path }));
    }

    [Fact]
    public async Task ConfirmingACheckpointStillBeingWrittenIsRefused()
    {
        (StateStore store, Checkpointer checkpoints) = Open();
        using (store)
        using (checkpoints)
        {
            Task<CheckpointResult> task = checkpoints.Barrier(new CheckpointId(1));
            Assert.True(_held.Wait(TimeSpan.FromSeconds(30)));

            var e = Assert.Throws<InvalidOperationException>(() => checkpoints.Confirm(new CheckpointId(1)));
            Assert.Contains("still being written", e.Message);
            _release.Set();
            await task;
            checkpoints.Confirm(new CheckpointId(1));
            Assert.True(checkpoints.Catalog.Checkpoint(new CheckpointId(1))!.Confirmed);
        }
    }

    [Fact]
    public async Task AbortingACheckpointInFlightCancelsItsTaskAndDeletesItsFile()
    {
        (StateStore store, Checkpointer checkpoints) = Open();
        using (store)
        using (checkpoints)
        {
            Task<CheckpointResult> task = checkpoints.Barrier(new CheckpointId(1));
            Assert.True(_held.Wait(TimeSpan.FromSeconds(30)));
            checkpoints.Abort(new CheckpointId(1));
            _release.Set();

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
            Assert.Empty(checkpoints.Catalog.Checkpoints);
            Assert.Empty(checkpoints.Catalog.Files);
            Assert.Equal(0, store.FrozenVersionsAlive);
            var files = new ShardFiles(_dir.Path, "store");
            Assert.All(files.DataFilesOnDisk(), id => Assert.Equal(0, new FileInfo(files.DataPath(id)).Length)); // only the empty spare
        }
    }

    [Fact]
    public async Task ABarrierPastTheFrozenVersionCapIsRefusedAndCanBeRetried()
    {
        (StateStore store, Checkpointer checkpoints) = Open(maxFrozenVersions: 1);
        using (store)
        using (checkpoints)
        {
            Task<CheckpointResult> first = checkpoints.Barrier(new CheckpointId(1));
            Assert.True(_held.Wait(TimeSpan.FromSeconds(30)));

            Assert.Throws<FrozenVersionLimitException>(() => { _ = checkpoints.Barrier(new CheckpointId(2)); });
            _release.Set();
            await first;
            checkpoints.Confirm(new CheckpointId(1));
            Assert.Equal(CheckpointKind.Incremental, (await checkpoints.Barrier(new CheckpointId(2))).Kind);
        }
    }

    [Fact]
    public async Task AFailedWriteFaultsOnlyItsCheckpointAndLosesNoChanges()
    {
        FaultPoints.Hook = null;
        (StateStore store, Checkpointer checkpoints) = Open();
        using (store)
        using (checkpoints)
        {
            await checkpoints.Barrier(new CheckpointId(1));
            checkpoints.Confirm(new CheckpointId(1));
            store.Put(Keys.Key(7), Keys.Value(7, 9, 32));

            FaultPoints.Hook = name =>
            {
                if (name == FaultPoints.DataWritten)
                {
                    throw new IOException("simulated: No space left on device");
                }
            };
            IOException failure = await Assert.ThrowsAsync<IOException>(() => checkpoints.Barrier(new CheckpointId(2)));
            Assert.Contains("No space", failure.Message);
            FaultPoints.Hook = null;
            Assert.Null(checkpoints.Catalog.Checkpoint(new CheckpointId(2)));
            Assert.Equal(0, store.FrozenVersionsAlive);

            CheckpointResult next = await checkpoints.Barrier(new CheckpointId(3));
            Assert.Equal((CheckpointKind.Incremental, new CheckpointId(1)), (next.Kind, next.Base)); // the failed one never became a base
            checkpoints.Confirm(new CheckpointId(3));
            using StateStore restored = CheckpointRestorer.Restore(new ShardFiles(_dir.Path, "store"), new StoreOptions());
            Assert.Equal(Keys.Value(7, 9, 32), restored.Get(Keys.Key(7)));
        }
    }
}
