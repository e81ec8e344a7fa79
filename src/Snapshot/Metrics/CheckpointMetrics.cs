using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Store;

namespace Snapshot.Metrics;

/// <summary>
/// The checkpoint instruments, on the meter "Store.Snapshot" (dotnet-counters: <c>--counters Store.Snapshot</c>;
/// OpenTelemetry: <c>AddMeter("Store.Snapshot")</c>). Every measurement carries the tag <c>shard</c>;
/// checkpoint measurements also carry <c>kind</c> (full or incremental).
/// </summary>
/// <remarks>
/// <code>
/// store.checkpoint.sync_duration   histogram µs   barrier's synchronous part
/// store.checkpoint.async_duration  histogram ms   barrier to committed catalog
/// store.checkpoint.bytes           histogram By   data file size
/// store.checkpoint.pages           histogram      page records written
/// store.checkpoint.granules        histogram      granules written
/// store.restore.duration           histogram ms   a restore, read to usable store
/// store.copy_on_write.copies       counter        pages copied because a frozen version held them
/// store.frozen_versions            gauge          frozen versions alive
/// </code>
/// </remarks>
internal static class CheckpointMetrics
{
    public const string MeterName = "Store.Snapshot";

    private static readonly Meter Meter = new(MeterName, "1.0");
    private static readonly ConcurrentDictionary<Checkpointer, string> Live = new();

    public static readonly Histogram<double> SyncDuration = Meter.CreateHistogram<double>("store.checkpoint.sync_duration", "us", "The barrier's synchronous part.");
    public static readonly Histogram<double> AsyncDuration = Meter.CreateHistogram<double>("store.checkpoint.async_duration", "ms", "From the barrier to the committed catalog.");
    public static readonly Histogram<long> Bytes = Meter.CreateHistogram<long>("store.checkpoint.bytes", "By", "Bytes of a checkpoint's data file.");
    public static readonly Histogram<long> Pages = Meter.CreateHistogram<long>("store.checkpoint.pages", "{page}", "Page records a checkpoint wrote.");
    public static readonly Histogram<long> Granules = Meter.CreateHistogram<long>("store.checkpoint.granules", "{granule}", "Granules a checkpoint wrote.");
    public static readonly Histogram<double> RestoreDuration = Meter.CreateHistogram<double>("store.restore.duration", "ms", "A restore, from reading the catalog to a usable store.");

    static CheckpointMetrics()
    {
        Meter.CreateObservableCounter("store.copy_on_write.copies", () => Observe(s => s.CopyOnWriteCount), "{page}",
            "Pages copied because a frozen version still held them.");
        Meter.CreateObservableGauge("store.frozen_versions", () => Observe(s => (long)s.FrozenVersionsAlive), "{version}",
            "Frozen versions alive.");
    }

    public static void Register(Checkpointer checkpointer, string shard) => Live[checkpointer] = shard;

    public static void Unregister(Checkpointer checkpointer) => Live.TryRemove(checkpointer, out _);

    public static void RecordCheckpoint(string shard, CheckpointResult result)
    {
        var tags = new TagList { { "shard", shard }, { "kind", result.Kind == CheckpointKind.Full ? "full" : "incremental" } };
        SyncDuration.Record(result.SyncDuration.TotalMicroseconds, tags);
        AsyncDuration.Record(result.AsyncDuration.TotalMilliseconds, tags);
        Bytes.Record(result.Bytes, tags);
        Pages.Record(result.Pages, tags);
        Granules.Record(result.Granules, tags);
    }

    public static void RecordRestore(string shard, TimeSpan duration) =>
        RestoreDuration.Record(duration.TotalMilliseconds, new KeyValuePair<string, object?>("shard", shard));

    private static IEnumerable<Measurement<long>> Observe(Func<StoreStatistics, long> select)
    {
        foreach ((Checkpointer checkpointer, string shard) in Live)
        {
            // Statistics are plain reads of writer-owned counters: a metrics snapshot may be a write behind.
            if (checkpointer.TryReadStatistics(out StoreStatistics statistics))
            {
                yield return new Measurement<long>(select(statistics), new KeyValuePair<string, object?>("shard", shard));
            }
        }
    }
}
