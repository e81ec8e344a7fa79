using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Snapshot.Tests.TestInfrastructure;
using Store;

namespace Snapshot.Tests.Metrics;

public sealed class CheckpointMetricsTests
{
    [Fact]
    public async Task CheckpointsAndRestoresPublishTheirMeasurementsTaggedWithTheShard()
    {
        string shard = "metrics-" + Guid.NewGuid().ToString("N")[..8]; // other tests' checkpointers publish too
        var seen = new ConcurrentDictionary<string, List<(double Value, string? Kind)>>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Store.Snapshot")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? tagShard = null, kind = null;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                (tagShard, kind) = tag.Key switch { "shard" => ((string?)tag.Value, kind), "kind" => (tagShard, (string?)tag.Value), _ => (tagShard, kind) };
            }

            if (tagShard == shard)
            {
                List<(double, string?)> list = seen.GetOrAdd(instrument.Name, _ => []);
                lock (list)
                {
                    list.Add((value, kind));
                }
            }
        }

        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<int>((i, v, t, _) => Record(i, v, t));
        listener.Start();

        using var dir = new TempDirectory();
        var options = new CheckpointOptions { Directory = dir.Path, Shard = shard };
        using (StateStore store = StateStore.Open())
        using (Checkpointer checkpoints = Checkpointer.Open(store, options))
        {
            for (long k = 0; k < 1000; k++)
            {
                store.Put(Keys.Key(k), Keys.Value(k, 1, 16));
            }

            CheckpointResult full = await checkpoints.Barrier(new CheckpointId(1));
            checkpoints.Confirm(full.Id);
            FrozenCopies(store);
            CheckpointResult delta = await checkpoints.Barrier(new CheckpointId(2));
            checkpoints.Confirm(delta.Id);
            listener.RecordObservableInstruments();

            Assert.Equal([(full.Bytes, "full"), (delta.Bytes, "incremental")],
                seen["store.checkpoint.bytes"].Select(m => ((long)m.Value, m.Kind)));
            Assert.Equal([full.Pages, delta.Pages], seen["store.checkpoint.pages"].Select(m => (long)m.Value));
            Assert.Equal([full.Granules, delta.Granules], seen["store.checkpoint.granules"].Select(m => (long)m.Value));
            Assert.Equal(2, seen["store.checkpoint.sync_duration"].Count);
            Assert.All(seen["store.checkpoint.async_duration"], m => Assert.True(m.Value > 0));
            Assert.True(seen["store.copy_on_write.copies"].Last().Value >= 1, "the write after a freeze copied a page");
            Assert.Equal(0, seen["store.frozen_versions"].Last().Value);
        }

        RestoredCheckpoint restored = Checkpointer.Restore(options, new StoreOptions());
        restored.Store.Dispose();
        restored.Checkpointer.Dispose();
        Assert.Equal(restored.Duration.TotalMilliseconds, Assert.Single(seen["store.restore.duration"]).Value, 3);
    }

    /// <summary>Writes to pages a frozen version still holds, so copy-on-write happens.</summary>
    private static void FrozenCopies(StateStore store)
    {
        using Store.Versioning.FrozenVersion frozen = store.Freeze();
        store.Put(Keys.Key(1), Keys.Value(1, 2, 16));
    }
}
