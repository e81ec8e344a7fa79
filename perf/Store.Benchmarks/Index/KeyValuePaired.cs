using System.Diagnostics;
using System.Globalization;

namespace Store.Benchmarks.Index;

/// <summary>
/// <c>--kv-paired</c>: the <see cref="KeyValueBenchmarks"/> loops (the very same methods), with
/// both stores loaded in one process and each round running Store and FASTER back to back,
/// alternating which goes first. On a shared, noisy VM, BenchmarkDotNet runs one benchmark after
/// the other in separate processes, minutes apart, so a burst of load from other work can land on
/// one side only; the median of per-round Store/FASTER ratios is robust to that.
/// </summary>
/// <remarks>Options: <c>--rounds 15</c> (measured rounds of 1M ops per store and operation).</remarks>
public static class KeyValuePaired
{
    public static int Run(string[] args)
    {
        int index = Array.IndexOf(args, "--rounds");
        int rounds = index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : 15;

        var bench = new KeyValueBenchmarks();
        var load = Stopwatch.StartNew();
        bench.SetupStore();
        Console.WriteLine($"Store loaded in {load.Elapsed.TotalSeconds:F1} s");
        load.Restart();
        bench.SetupFaster();
        Console.WriteLine($"FASTER loaded in {load.Elapsed.TotalSeconds:F1} s");

        (string Name, Func<int, long> Store, Func<int, long> Faster)[] ops =
        [
            ("Get", bench.StoreGet, bench.FasterGet),
            ("Put", bench.StorePut, bench.FasterPut),
            ("RMW", bench.StoreRmw, bench.FasterRmw),
        ];

        // Warm-up: enough short calls for tiered compilation to reach tier 1 (with PGO), then one full round.
        for (int pass = 0; pass < 3; pass++)
        {
            foreach (var op in ops)
            {
                for (int i = 0; i < 40; i++)
                {
                    op.Store(2_000);
                    op.Faster(2_000);
                }
            }

            Thread.Sleep(300);
        }

        foreach (var op in ops)
        {
            op.Store(KeyValueBenchmarks.Ops);
            op.Faster(KeyValueBenchmarks.Ops);
        }

        Console.WriteLine($"{rounds} rounds of {KeyValueBenchmarks.Ops:N0} ops per store and operation, 10M keys, uniform keys (seed {BenchKeys.Seed})");
        Console.WriteLine();
        Console.WriteLine("| Op | Store median ns/op | FASTER median ns/op | Store min | FASTER min | Store/FASTER (median of per-round ratios) | rounds Store faster |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var op in ops)
        {
            var store = new double[rounds];
            var faster = new double[rounds];
            var ratio = new double[rounds];
            for (int r = 0; r < rounds; r++)
            {
                if (r % 2 == 0)
                {
                    store[r] = Time(op.Store);
                    faster[r] = Time(op.Faster);
                }
                else
                {
                    faster[r] = Time(op.Faster);
                    store[r] = Time(op.Store);
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

    private static double Time(Func<int, long> run)
    {
        long start = Stopwatch.GetTimestamp();
        run(KeyValueBenchmarks.Ops);
        return Stopwatch.GetElapsedTime(start).TotalNanoseconds / KeyValueBenchmarks.Ops;
    }

    private static double Median(double[] values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
