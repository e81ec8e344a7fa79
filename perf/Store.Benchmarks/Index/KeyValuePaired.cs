using System.Diagnostics;
using System.Globalization;

namespace Store.Benchmarks.Index;

/// <summary>
/// <c>--kv-paired</c>: the <see cref="KeyValueBenchmarks"/> loops (the very same methods), with
/// both stores loaded in one process and each round running Store and FASTER back to back on the
/// same slice of the key sequence, alternating which goes first. On a shared, noisy VM,
/// BenchmarkDotNet runs one benchmark after the other in separate processes, minutes apart, so a
/// burst of load from other work can land on one side only; short paired slices and the median of
/// per-round Store/FASTER ratios are robust to that.
/// </summary>
/// <remarks>
/// Options: <c>--rounds 41</c> (measured rounds per operation), <c>--ops 200000</c> (operations
/// per store per round), <c>--key-space 10000000</c> (how many of the loaded keys the operations
/// draw from; a few hundred measure CPU cost per operation instead of memory latency) and
/// <c>--only Get|Put|RMW</c>. Successive rounds take successive slices of the 1M-key sequence, so a
/// round does not find the previous round's keys in cache.
/// </remarks>
public static class KeyValuePaired
{
    public static int Run(string[] args)
    {
        int rounds = Option(args, "--rounds", 41);
        int ops = Option(args, "--ops", 200_000);
        if (ops <= 0 || ops > KeyValueBenchmarks.Ops)
        {
            throw new ArgumentException($"--ops must be between 1 and {KeyValueBenchmarks.Ops:N0}.");
        }

        int keySpace = Option(args, "--key-space", 10_000_000);
        if (keySpace is < 1 or > 10_000_000)
        {
            throw new ArgumentException("--key-space must be between 1 and 10,000,000 (the loaded keys).");
        }

        int onlyIndex = Array.IndexOf(args, "--only");
        string? only = onlyIndex < 0 ? null : onlyIndex + 1 < args.Length ? args[onlyIndex + 1] : "";
        if (only is not null && only is not ("Get" or "Put" or "RMW"))
        {
            throw new ArgumentException($"--only takes Get, Put or RMW, not '{only}'.");
        }

        var bench = new KeyValueBenchmarks { KeySpace = keySpace };
        var load = Stopwatch.StartNew();
        bench.SetupStore();
        Console.WriteLine($"Store loaded in {load.Elapsed.TotalSeconds:F1} s");
        load.Restart();
        bench.SetupFaster();
        Console.WriteLine($"FASTER loaded in {load.Elapsed.TotalSeconds:F1} s");

        (string Name, Func<int, int, long> Store, Func<int, int, long> Faster)[] operations =
        [
            ("Get", bench.StoreGet, bench.FasterGet),
            ("Put", bench.StorePut, bench.FasterPut),
            ("RMW", bench.StoreRmw, bench.FasterRmw),
        ];

        // Warm-up: enough short calls for tiered compilation to reach tier 1 (with PGO), then one full pass.
        for (int pass = 0; pass < 3; pass++)
        {
            foreach (var op in operations)
            {
                for (int i = 0; i < 40; i++)
                {
                    op.Store(0, 2_000);
                    op.Faster(0, 2_000);
                }
            }

            Thread.Sleep(300);
        }

        foreach (var op in operations)
        {
            op.Store(0, KeyValueBenchmarks.Ops);
            op.Faster(0, KeyValueBenchmarks.Ops);
        }

        if (only is not null)
        {
            operations = operations.Where(op => op.Name == only).ToArray();
        }

        Console.WriteLine($"{rounds} rounds of {ops:N0} ops per store and operation, 10M keys loaded, uniform over {keySpace:N0} of them (seed {BenchKeys.Seed})");
        Console.WriteLine();
        Console.WriteLine("| Op | Store median ns/op | FASTER median ns/op | Store min | FASTER min | Store/FASTER (median of per-round ratios) | rounds Store faster |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        int slices = KeyValueBenchmarks.Ops / ops;
        foreach (var op in operations)
        {
            var store = new double[rounds];
            var faster = new double[rounds];
            var ratio = new double[rounds];
            for (int r = 0; r < rounds; r++)
            {
                int start = r % slices * ops;
                if (r % 2 == 0)
                {
                    store[r] = Time(op.Store, start, ops);
                    faster[r] = Time(op.Faster, start, ops);
                }
                else
                {
                    faster[r] = Time(op.Faster, start, ops);
                    store[r] = Time(op.Store, start, ops);
                }

                ratio[r] = store[r] / faster[r];
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {op.Name} | {Median(store):F0} | {Median(faster):F0} | {store.Min():F0} | {faster.Min():F0} | {Median(ratio):F2} | {ratio.Count(x => x < 1)}/{rounds} |"));
        }

        bench.CleanupStore();
        bench.CleanupFaster();
        return 0;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static double Time(Func<int, int, long> run, int start, int count)
    {
        long begin = Stopwatch.GetTimestamp();
        run(start, count);
        return Stopwatch.GetElapsedTime(begin).TotalNanoseconds / count;
    }

    private static double Median(double[] values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
