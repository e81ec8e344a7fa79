using Snapshot.Catalog;
using Snapshot.Reading;
using Snapshot.Tests.TestInfrastructure;
using Store;
using Xunit.Abstractions;

namespace Snapshot.Tests;

/// <summary>
/// Hundreds of checkpoints against a dictionary model: random puts (small and blob-sized values)
/// and deletes, two checkpoints in flight, confirms, aborts (before and after the write), forced
/// full checkpoints and restarts from the newest confirmed checkpoint. Every retained checkpoint
/// is restored after every confirm and compared with the model at its barrier.
/// </summary>
public sealed class CheckpointModelTests(ITestOutputHelper output)
{
    private const int Seed = 20261123;
    private const int KeySpace = 2000;

    [Fact]
    [Trait("Category", "Stress")]
    public async Task EveryRetainedCheckpointRestoresToTheModelAtItsBarrier()
    {
        output.WriteLine($"seed {Seed}");
        var random = new Random(Seed);
        using var dir = new TempDirectory();
        var options = new CheckpointOptions { Directory = dir.Path, RetainedCheckpoints = 2, MaxChainLength = 4 };
        var storeOptions = new StoreOptions { MaxFrozenVersions = 2 };
        var model = new Dictionary<long, byte[]>();
        var atBarrier = new Dictionary<CheckpointId, Dictionary<long, byte[]>>();
        var pending = new Queue<(CheckpointId Id, Task<CheckpointResult> Task)>();
        StateStore store = StateStore.Open(storeOptions);
        Checkpointer checkpoints = Checkpointer.Open(store, options);
        long revision = 0;
        int confirms = 0, aborts = 0, fulls = 0, restarts = 0, restores = 0;
        try
        {
            for (long id = 1; id <= 300; id++)
            {
                int operations = random.Next(0, 150);
                for (int i = 0; i < operations; i++)
                {
                    long key = random.Next(KeySpace);
                    if (random.Next(5) == 0)
                    {
                        Assert.Equal(model.Remove(key), store.Delete(Keys.Key(key)));
                    }
                    else
                    {
                        int length = random.Next(50) == 0 ? random.Next(3000, 12000) : random.Next(1, 200);
                        byte[] value = Keys.Value(key, ++revision, Math.Max(8, length));
                        model[key] = value;
                        store.Put(Keys.Key(key), value);
                    }
                }

                if (pending.Count == storeOptions.MaxFrozenVersions)
                {
                    (confirms, aborts) = await Resolve(pending.Dequeue(), checkpoints, random, confirms, aborts);
                }

                var checkpointId = new CheckpointId(id);
                bool forceFull = random.Next(20) == 0;
                Task<CheckpointResult> task = checkpoints.Barrier(checkpointId, forceFull);
                atBarrier[checkpointId] = new Dictionary<long, byte[]>(model);
                pending.Enqueue((checkpointId, task));
                if (random.Next(10) == 0)
                {
                    checkpoints.Abort(checkpointId); // in flight: its write is cancelled or, if already done, dropped
                }

                if (random.Next(2) == 0 && pending.Count > 0)
                {
                    (int c, int a) = (confirms, aborts);
                    (confirms, aborts) = await Resolve(pending.Dequeue(), checkpoints, random, confirms, aborts);
                    if (confirms > c)
                    {
                        restores += AssertRetainedCheckpointsRestore(options, storeOptions, atBarrier, checkpoints.Catalog);
                    }
                }

                fulls += forceFull ? 1 : 0;
                if (pending.Count == 0)
                {
                    AssertDirectoryHoldsExactlyTheReferencedFiles(options, checkpoints.Catalog);
                }

                if (id % 45 == 0 && checkpoints.Catalog.NewestConfirmed is not null)
                {
                    // A failover: drop the live state and whatever is in flight, continue from the newest confirmed checkpoint.
                    checkpoints.Dispose();
                    store.Dispose();
                    pending.Clear();
                    RestoredCheckpoint restored = Checkpointer.Restore(options, storeOptions);
                    (store, checkpoints) = (restored.Store, restored.Checkpointer);
                    model = new Dictionary<long, byte[]>(atBarrier[restored.Id]);
                    Keys.AssertEqual(model, store, $"restart from {restored.Id}");
                    restarts++;
                }
            }

            while (pending.Count > 0)
            {
                (confirms, aborts) = await Resolve(pending.Dequeue(), checkpoints, random, confirms, aborts);
            }

            restores += AssertRetainedCheckpointsRestore(options, storeOptions, atBarrier, checkpoints.Catalog);
            AssertDirectoryHoldsExactlyTheReferencedFiles(options, checkpoints.Catalog);
        }
        finally
        {
            checkpoints.Dispose();
            store.Dispose();
        }

        output.WriteLine($"{confirms} confirmed, {aborts} aborted, {fulls} forced full, {restarts} restarts, {restores} restores compared");
        Assert.True(confirms > 100 && aborts > 20 && restarts >= 5, "the random mix exercised every path");
    }

    /// <summary>Waits for a checkpoint, then confirms it (3 in 4) or aborts it.</summary>
    private static async Task<(int Confirms, int Aborts)> Resolve(
        (CheckpointId Id, Task<CheckpointResult> Task) checkpoint, Checkpointer checkpoints, Random random, int confirms, int aborts)
    {
        CheckpointResult? result = null;
        try
        {
            result = await checkpoint.Task;
        }
        catch (OperationCanceledException)
        {
            return (confirms, aborts + 1); // aborted while in flight
        }

        Assert.True(result.ChainLength <= checkpoints.Options.MaxChainLength, $"{checkpoint.Id} has a chain of {result.ChainLength}");
        if (checkpoints.Catalog.Checkpoint(checkpoint.Id) is null)
        {
            return (confirms, aborts + 1); // aborted right after it committed
        }

        if (random.Next(4) == 0)
        {
            checkpoints.Abort(checkpoint.Id);
            Assert.Null(checkpoints.Catalog.Checkpoint(checkpoint.Id));
            return (confirms, aborts + 1);
        }

        checkpoints.Confirm(checkpoint.Id);
        return (confirms + 1, aborts);
    }

    private static int AssertRetainedCheckpointsRestore(
        CheckpointOptions options, StoreOptions storeOptions, Dictionary<CheckpointId, Dictionary<long, byte[]>> atBarrier, ShardCatalog catalog)
    {
        var files = new ShardFiles(options.Directory, options.Shard);
        Assert.True(catalog.Checkpoints.Count(c => c.Confirmed) <= options.RetainedCheckpoints + 1,
            $"retention keeps at most {options.RetainedCheckpoints} confirmed checkpoints (+1 while a write depends on it)");
        foreach (CheckpointEntry entry in catalog.Checkpoints)
        {
            Assert.True(entry.Chain.Length <= options.MaxChainLength, $"{entry.Id} has a chain of {entry.Chain.Length}");
            using StateStore restored = CheckpointRestorer.Restore(files, catalog, entry, storeOptions);
            Keys.AssertEqual(atBarrier[entry.Id], restored, $"restore of {entry.Id} ({entry.Kind}, chain {entry.Chain.Length})");
        }

        return catalog.Checkpoints.Length;
    }

    private static void AssertDirectoryHoldsExactlyTheReferencedFiles(CheckpointOptions options, ShardCatalog catalog)
    {
        var files = new ShardFiles(options.Directory, options.Shard);
        var referenced = catalog.Checkpoints.SelectMany(c => c.Chain).ToHashSet();
        Assert.Equal(referenced.Order(), catalog.Files.Select(f => f.Id).Order());
        var onDisk = files.DataFilesOnDisk().ToHashSet();
        // Besides the referenced files there is exactly one: the empty file pre-created for the next checkpoint.
        var extra = onDisk.Except(referenced).ToList();
        Assert.True(referenced.IsSubsetOf(onDisk), "every referenced file exists");
        Assert.True(extra.Count <= 1, $"unreferenced files on disk: {string.Join(", ", extra)}");
        foreach (DataFileId spare in extra)
        {
            Assert.Equal(0, new FileInfo(files.DataPath(spare)).Length);
            Assert.True(spare.Value >= catalog.NextFileId, "the spare file's id is not yet used by any checkpoint");
        }
    }
}
