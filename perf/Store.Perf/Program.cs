using System.Buffers.Binary;
using System.Diagnostics;
using System.Numerics;
using Store;
using Store.Perf;
using Store.Versioning;

// The main job: load keyed state, then run intervals of read-modify-write updates, each ended by
// a checkpoint barrier (Freeze). For every barrier it measures the synchronous pause and the bytes
// an incremental checkpoint must carry (the dirty extents/granules since the last confirmed
// version) against the logical change. Durable checkpoint files arrive with issue 3; until then
// the table reports what the store hands a checkpoint writer, and says so.
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

using var store = StateStore.Open();
var model = new long[options.Keys];
byte[] key = new byte[8];
byte[] value = new byte[options.ValueSize];

var load = Stopwatch.StartNew();
for (int i = 0; i < options.Keys; i++)
{
    BinaryPrimitives.WriteInt64LittleEndian(key, i);
    store.Put(key, value);
}

load.Stop();
Console.Error.WriteLine($"loaded in {load.Elapsed.TotalSeconds:F1} s");

// The full checkpoint: every page, confirmed. The freezes after it only warm the JIT, so the
// measured pauses are the steady state a long-running operator sees.
using (FrozenVersion full = store.Freeze())
{
    store.ConfirmVersion(full.Version);
}

for (int i = 0; i < 100; i++)
{
    store.Freeze().Release();
}

var random = new Random(options.Seed);
ZipfGenerator? zipf = options.Distribution == "zipf" ? new ZipfGenerator(options.Keys, 0.99, random) : null;
var pauses = new List<double>();
var dirtyBytes = new List<long>();
var logicalBytes = new List<long>();
var updated = new HashSet<int>();
var increment = new AddOne();
double updateSeconds = 0;
long updates = 0;

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

    long barrier = Stopwatch.GetTimestamp();
    FrozenVersion frozen = store.Freeze();
    long end = Stopwatch.GetTimestamp();
    pauses.Add(Stopwatch.GetElapsedTime(barrier, end).TotalMicroseconds);
    updateSeconds += Stopwatch.GetElapsedTime(start, end).TotalSeconds;
    updates += options.OpsPerInterval;

    long bytes = 0;
    foreach (DirtyPage page in frozen.DirtyPagesSince(frozen.ConfirmedAtFreeze))
    {
        bytes += DirtyBytes(page.Region, frozen.GranuleSize);
    }

    dirtyBytes.Add(bytes);
    logicalBytes.Add(updated.Count * (8L + options.ValueSize));
    store.ConfirmVersion(frozen.Version);
    frozen.Release();
}

bool verified = true;
long[] check = new long[1];
byte[] read = new byte[options.ValueSize];
for (int i = 0; i < options.Keys && verified; i++)
{
    BinaryPrimitives.WriteInt64LittleEndian(key, i);
    verified = store.TryGet(key, read, out _) && BinaryPrimitives.ReadInt64LittleEndian(read) == model[i];
}

double[] sortedPauses = [.. pauses.Order()];
double[] amplification = [.. dirtyBytes.Zip(logicalBytes, (d, l) => (double)d / l).Order()];
Console.WriteLine();
Console.WriteLine($"| store | keys | value B | dist | load ops/s | update ops/s | barrier pause µs p50 / p99 / max | dirty bytes per checkpoint (median) | logical changed bytes (median) | write amplification (median) | verified |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
Console.WriteLine($"| store | {options.Keys:N0} | {options.ValueSize} | {options.Distribution} | {options.Keys / load.Elapsed.TotalSeconds:N0} | " +
    $"{updates / updateSeconds:N0} | {Percentile(sortedPauses, 0.5):F2} / {Percentile(sortedPauses, 0.99):F2} / {sortedPauses[^1]:F2} | " +
    $"{Median(dirtyBytes):N0} | {Median(logicalBytes):N0} | {Percentile(amplification, 0.5):F2} | {(verified ? "yes" : "NO")} |");
Console.WriteLine();
Console.WriteLine("Dirty bytes are the exact extents or granules the store lists for the checkpoint writer; checkpoint files " +
    "(headers, checksums) and durable-write timings come with the Snapshot component.");
return verified ? 0 : 1;

static long DirtyBytes(Store.Pages.DirtyRegion region, int granuleSize)
{
    if (!region.HasExactExtents)
    {
        return BitOperations.PopCount(region.Granules) * (long)granuleSize;
    }

    long sum = 0;
    for (int i = 0; i < region.ExtentCount; i++)
    {
        sum += region.Extent(i).Length;
    }

    return sum;
}

static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

static long Median(List<long> values) => values.Order().ElementAt(values.Count / 2);

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
