using System.Buffers.Binary;
using System.Diagnostics;
using Snapshot;
using Store;
using Store.Perf;

// The main job: load keyed state, take a full checkpoint, then run intervals of read-modify-write
// updates, each ended by a checkpoint barrier whose data file is written in the background while
// the next interval runs. At the end it waits for every checkpoint to be durable, restores the
// newest into a fresh store and verifies every key against the model.
PerfOptions options;
try
{
    options = PerfOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

Console.Error.WriteLine($"store: {options.Keys:N0} keys, {options.ValueSize} B values, {options.Distribution}, " +
    $"{options.Checkpoints} intervals of {options.OpsPerInterval:N0} RMW, seed {options.Seed}");

string directory = options.KeepDir ?? Path.Combine(Path.GetTempPath(), $"store-perf-{Guid.NewGuid():N}");
if (options.KeepDir is not null && Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
{
    Console.Error.WriteLine($"--keep-dir {directory} is not empty; give a new or empty directory.");
    return 2;
}

var checkpointOptions = new CheckpointOptions { Directory = directory, Shard = "store" };
var storeOptions = new StoreOptions();
var model = new long[options.Keys];
byte[] key = new byte[8];
byte[] value = new byte[options.ValueSize];
var pauses = new List<double>();
var results = new List<CheckpointResult>();
var logicalBytes = new Dictionary<CheckpointId, long>();
double updateSeconds = 0;
long updates = 0;
TimeSpan loadTime, recovery;
bool verified = true;
try
{
    using (StateStore store = StateStore.Open(storeOptions))
    using (Checkpointer checkpoints = Checkpointer.Open(store, checkpointOptions))
    {
        var load = Stopwatch.StartNew();
        for (int i = 0; i < options.Keys; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(key, i);
            store.Put(key, value);
        }

        loadTime = load.Elapsed;
        Console.Error.WriteLine($"loaded in {loadTime.TotalSeconds:F1} s");
        CheckpointResult full = await checkpoints.Barrier(new CheckpointId(1));
        checkpoints.Confirm(full.Id);
        Console.Error.WriteLine($"full checkpoint: {full.Bytes / 1e6:F1} MB in {full.AsyncDuration.TotalMilliseconds:F0} ms");

        var random = new Random(options.Seed);
        ZipfGenerator? zipf = options.Distribution == "zipf" ? new ZipfGenerator(options.Keys, 0.99, random) : null;
        var updated = new HashSet<int>();
        var increment = new AddOne();
        var inFlight = new Queue<Task<CheckpointResult>>();
        for (int interval = 0; interval < options.Checkpoints; interval++)
        {
            updated.Clear();
            long start = Stopwatch.GetTimestamp();
            for (int op = 0; op < options.OpsPerInterval; op++)
            {
                int k = zipf is null ? random.Next(options.Keys) : (int)zipf.Next();
                BinaryPrimitives.WriteInt64LittleEndian(key, k);
                store.ReadModifyWrite(key, ref increment);
                model[k]++;
                updated.Add(k);
            }

            // One checkpoint in flight, as Flink runs with maxConcurrentCheckpoints = 1: the previous
            // checkpoint is awaited and confirmed before the next barrier, so each delta holds exactly
            // one interval's changes. (With two in flight the base lags by an interval, pages written
            // in two unconfirmed versions fall back to granules, and a delta carries two intervals.)
            // The wait counts against update throughput.
            while (inFlight.Count > 0)
            {
                Complete(await inFlight.Dequeue());
            }

            var id = new CheckpointId(interval + 2);
            long barrier = Stopwatch.GetTimestamp();
            inFlight.Enqueue(checkpoints.Barrier(id));
            long end = Stopwatch.GetTimestamp();
            pauses.Add(Stopwatch.GetElapsedTime(barrier, end).TotalMicroseconds);
            updateSeconds += Stopwatch.GetElapsedTime(start, end).TotalSeconds;
            updates += options.OpsPerInterval;
            logicalBytes[id] = updated.Count * (8L + options.ValueSize);
        }

        while (inFlight.Count > 0)
        {
            Complete(await inFlight.Dequeue());
        }

        void Complete(CheckpointResult result)
        {
            checkpoints.Confirm(result.Id);
            results.Add(result);
        }
    }

    RestoredCheckpoint restored = Checkpointer.Restore(checkpointOptions, storeOptions);
    recovery = restored.Duration;
    using (restored.Store)
    using (restored.Checkpointer)
    {
        byte[] read = new byte[options.ValueSize];
        for (int i = 0; i < options.Keys && verified; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(key, i);
            verified = restored.Store.TryGet(key, read, out _) && BinaryPrimitives.ReadInt64LittleEndian(read) == model[i];
        }

        verified &= restored.Id == new CheckpointId(options.Checkpoints + 1);
    }
}
finally
{
    if (options.KeepDir is null && Directory.Exists(directory))
    {
        Directory.Delete(directory, recursive: true);
    }
}

double[] sortedPauses = [.. pauses.Order()];
double[] durable = [.. results.Select(r => r.AsyncDuration.TotalMilliseconds).Order()];
long[] incremental = [.. results.Where(r => r.Kind == CheckpointKind.Incremental).Select(r => r.Bytes)];
double[] amplification = [.. results.Where(r => r.Kind == CheckpointKind.Incremental).Select(r => (double)r.Bytes / logicalBytes[r.Id]).Order()];
Console.WriteLine();
Console.WriteLine("| store | keys | value B | dist | load ops/s | update ops/s | barrier pause µs p50 / p99 / max | checkpoint durable ms p50 / max | " +
    "incremental bytes (median) | logical changed bytes (median) | write amplification (median) | full / incremental | recovery ms | verified |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
Console.WriteLine($"| store | {options.Keys:N0} | {options.ValueSize} | {options.Distribution} | {options.Keys / loadTime.TotalSeconds:N0} | " +
    $"{updates / updateSeconds:N0} | {Percentile(sortedPauses, 0.5):F2} / {Percentile(sortedPauses, 0.99):F2} / {sortedPauses[^1]:F2} | " +
    $"{Percentile(durable, 0.5):F1} / {durable[^1]:F1} | {Median(incremental):N0} | {Median([.. logicalBytes.Values]):N0} | " +
    $"{Percentile(amplification, 0.5):F2} | {results.Count(r => r.Kind == CheckpointKind.Full)} / {incremental.Length} | " +
    $"{recovery.TotalMilliseconds:F0} | {(verified ? "yes" : "NO")} |");
Console.WriteLine();
Console.WriteLine("Barrier pause: Checkpointer.Barrier's synchronous part. Bytes: data files as written (headers, checksums included). " +
    "Write amplification: incremental file bytes ÷ (distinct keys updated × (8 + value size)).");
if (options.KeepDir is not null)
{
    Console.WriteLine($"Checkpoints kept in {options.KeepDir} (inspect with pagedump).");
}

return verified ? 0 : 1;

static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

static long Median(long[] values) => values.Length == 0 ? 0 : values.Order().ElementAt(values.Length / 2);

/// <summary>Increments the first 8 bytes of the value, keeping its length.</summary>
internal struct AddOne : IValueUpdater
{
    public readonly int NewLength(scoped ReadOnlySpan<byte> current, bool exists) => current.Length;

    public readonly void Update(scoped ReadOnlySpan<byte> current, bool exists, scoped Span<byte> destination)
    {
        current.CopyTo(destination);
        BinaryPrimitives.WriteInt64LittleEndian(destination, BinaryPrimitives.ReadInt64LittleEndian(current) + 1);
    }
}
