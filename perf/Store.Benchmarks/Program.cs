using System.Diagnostics;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using Store.Versioning;

namespace Store.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project perf/Store.Benchmarks -- --filter '*Freeze*'</c> runs
/// BenchmarkDotNet (any BenchmarkSwitcher arguments); <c>-- --freeze-latency</c> runs the
/// Stopwatch harness that times single Freeze calls (see <see cref="FreezeLatency"/>),
/// <c>-- --first-write-latency</c> times single writes after a freeze (see
/// <see cref="PageTable.FirstWriteLatency"/>), <c>-- --kv-paired</c> runs Store and FASTER round by round in one process (see
/// <see cref="Index.KeyValuePaired"/>), and <c>-- --checkpoint-bench</c> measures checkpoint size, write and restore
/// bandwidth against the disk's, and the barrier pause against Freeze (see <see cref="Checkpoints.CheckpointBench"/>).
/// Artifacts go to perf/Store.Benchmarks/BenchmarkDotNet.Artifacts (git-ignored).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Contains("--freeze-latency"))
        {
            return FreezeLatency.Run(args);
        }

        if (args.Contains("--first-write-latency"))
        {
            return PageTable.FirstWriteLatency.Run(args);
        }

        if (args.Contains("--kv-paired"))
        {
            return Index.KeyValuePaired.Run(args);
        }

        if (args.Contains("--checkpoint-bench"))
        {
            return Checkpoints.CheckpointBench.Run(args);
        }

        IConfig config = DefaultConfig.Instance.WithArtifactsPath(ArtifactsDirectory());
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        return 0;
    }

    /// <summary>The project directory's BenchmarkDotNet.Artifacts, wherever the command runs from.</summary>
    internal static string ArtifactsDirectory()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Store.Benchmarks.csproj")))
            {
                return Path.Combine(dir.FullName, "BenchmarkDotNet.Artifacts");
            }
        }

        return Path.Combine(Directory.GetCurrentDirectory(), "BenchmarkDotNet.Artifacts");
    }
}

/// <summary>
/// Per-call freeze pause: BenchmarkDotNet reports percentiles of iteration means, which hide a
/// slow single call, so this times every Freeze on its own with Stopwatch.GetTimestamp (the
/// Release that follows is timed separately and is not part of the pause).
/// </summary>
/// <remarks>
/// Options: <c>--keys 1000000,10000000</c>, <c>--samples 10000</c>, <c>--writes-between 64</c>,
/// <c>--modes idle,after-writes,idle</c> (in that order; the first pass in a process also pays for
/// first touches of fresh GC-heap pages, which the second idle pass does not).
/// For each key count it loads the store (8-byte keys and values), warms up with 1,000 pairs, then
/// takes the samples twice: "idle" (Freeze+Release back to back) and "after-writes" (that many
/// seeded random Puts, untimed, before each Freeze, so every freeze follows real dirtying and
/// copy-on-write). Prints p50/p90/p99/p99.9/max and writes the raw samples (ns) as CSV under
/// BenchmarkDotNet.Artifacts/freeze-latency/.
/// </remarks>
public static class FreezeLatency
{
    public static int Run(string[] args)
    {
        long[] keyCounts = Option(args, "--keys", "1000000,10000000").Split(',').Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        int samples = int.Parse(Option(args, "--samples", "10000"), CultureInfo.InvariantCulture);
        int writesBetween = int.Parse(Option(args, "--writes-between", "64"), CultureInfo.InvariantCulture);
        string[] modes = Option(args, "--modes", "idle,after-writes,idle").Split(',');
        string outDir = Path.Combine(Program.ArtifactsDirectory(), "freeze-latency");
        Directory.CreateDirectory(outDir);

        Console.WriteLine($"Freeze latency: {samples} samples per row, Stopwatch frequency {Stopwatch.Frequency} Hz, " +
            $"timer overhead {TimerOverheadNs():F0} ns (median, not subtracted), {Environment.ProcessorCount} CPUs");
        Console.WriteLine();
        Console.WriteLine("| Keys | Mode | Freeze p50 | p90 | p99 | p99.9 | max | mean | Release p50 | Release p99 | Gen0 GCs | Bytes allocated per Freeze / Release / Put |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (long keys in keyCounts)
        {
            using StateStore store = StateStore.Open(BenchKeys.Options);
            BenchKeys.Load(store, keys);
            var random = new Random(BenchKeys.Seed);
            long counter = keys;
            Measure(store, 1000, 0, random, ref counter, out _, out _, out _);
            foreach (string mode in modes)
            {
                int writes = mode == "after-writes" ? writesBetween : 0;
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                int gcBefore = GC.CollectionCount(0);
                Measure(store, samples, writes, random, ref counter, out double[] freeze, out double[] release, out Allocations allocated);
                int gcs = GC.CollectionCount(0) - gcBefore;
                WriteCsv(Path.Combine(outDir, $"freeze-{keys}-{mode}.csv"), freeze, release);
                double[] sortedFreeze = freeze.Order().ToArray();
                double[] sortedRelease = release.Order().ToArray();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {keys:N0} | {mode}{(writes > 0 ? $" ({writes} Puts)" : "")} | {Ns(P(sortedFreeze, 50))} | {Ns(P(sortedFreeze, 90))} | " +
                    $"{Ns(P(sortedFreeze, 99))} | {Ns(P(sortedFreeze, 99.9))} | {Ns(sortedFreeze[^1])} | {Ns(freeze.Average())} | " +
                    $"{Ns(P(sortedRelease, 50))} | {Ns(P(sortedRelease, 99))} | {gcs} | " +
                    $"{(double)allocated.Freezes / samples:F0} / {(double)allocated.Releases / samples:F0} / " +
                    $"{(writes > 0 ? ((double)allocated.Puts / samples / writes).ToString("F1", CultureInfo.InvariantCulture) : "-")} |"));
            }
        }

        Console.WriteLine();
        Console.WriteLine($"Raw samples: {outDir}");
        return 0;
    }

    private static void Measure(StateStore store, int samples, int writesBetween, Random random, ref long counter,
        out double[] freezeNs, out double[] releaseNs, out Allocations allocations)
    {
        freezeNs = new double[samples];
        releaseNs = new double[samples];
        allocations = default;
        long keyCount = store.Count;
        Span<byte> key = stackalloc byte[8];
        Span<byte> value = stackalloc byte[8];
        double nsPerTick = 1e9 / Stopwatch.Frequency;
        for (int i = 0; i < samples; i++)
        {
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            for (int w = 0; w < writesBetween; w++)
            {
                BenchKeys.Write(key, random.NextInt64(keyCount));
                BenchKeys.Write(value, ++counter);
                store.Put(key, value);
            }

            long a1 = GC.GetAllocatedBytesForCurrentThread();
            long t0 = Stopwatch.GetTimestamp();
            FrozenVersion frozen = store.Freeze();
            long t1 = Stopwatch.GetTimestamp();
            long a2 = GC.GetAllocatedBytesForCurrentThread();
            long t2 = Stopwatch.GetTimestamp();
            frozen.Release();
            long t3 = Stopwatch.GetTimestamp();
            long a3 = GC.GetAllocatedBytesForCurrentThread();
            freezeNs[i] = (t1 - t0) * nsPerTick;
            releaseNs[i] = (t3 - t2) * nsPerTick;
            allocations.Puts += a1 - a0;
            allocations.Freezes += a2 - a1;
            allocations.Releases += a3 - a2;
        }
    }

    /// <summary>Managed bytes allocated on the writer thread, summed over the samples.</summary>
    private struct Allocations
    {
        public long Puts;
        public long Freezes;
        public long Releases;
    }

    private static double TimerOverheadNs()
    {
        var deltas = new double[10_000];
        for (int i = 0; i < deltas.Length; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            long t1 = Stopwatch.GetTimestamp();
            deltas[i] = (t1 - t0) * 1e9 / Stopwatch.Frequency;
        }

        Array.Sort(deltas);
        return deltas[deltas.Length / 2];
    }

    /// <summary>Nearest-rank percentile of sorted samples.</summary>
    private static double P(double[] sorted, double percentile)
    {
        int rank = (int)Math.Ceiling(percentile / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    private static string Ns(double ns) => ns >= 10_000
        ? string.Create(CultureInfo.InvariantCulture, $"{ns / 1000:F1} µs")
        : string.Create(CultureInfo.InvariantCulture, $"{ns:F0} ns");

    private static void WriteCsv(string path, double[] freeze, double[] release)
    {
        var text = new StringBuilder("sample,freeze_ns,release_ns\n");
        for (int i = 0; i < freeze.Length; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{i},{freeze[i]:F1},{release[i]:F1}\n");
        }

        File.WriteAllText(path, text.ToString());
    }

    private static string Option(string[] args, string name, string fallback)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }
}
