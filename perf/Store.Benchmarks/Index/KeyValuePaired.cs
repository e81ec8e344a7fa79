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
/// draw from; a few hundred measure CPU cost per operation instead of memory latency),
/// <c>--only Get|Put|RMW</c>, and <c>--baseline DIR</c>, which loads another build of Store (see
/// <see cref="BaselineBuild"/>) and runs it as a third store in every round, so two builds are
/// compared in one process. Successive rounds take successive slices of the 1M-key sequence, so a
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

        int baselineIndex = Array.IndexOf(args, "--baseline");
        BaselineBuild? baseline = baselineIndex < 0 ? null
            : BaselineBuild.Load(baselineIndex + 1 < args.Length ? args[baselineIndex + 1] : "", keySpace, KeyValueBenchmarks.LoadedKeys);

        var bench = new KeyValueBenchmarks { KeySpace = keySpace };
        var load = Stopwatch.StartNew();
        bench.SetupStore();
        Console.WriteLine($"Store loaded in {load.Elapsed.TotalSeconds:F1} s");
        if (baseline is not null)
        {
            load.Restart();
            baseline.Setup();
            Console.WriteLine($"Baseline Store loaded in {load.Elapsed.TotalSeconds:F1} s");
        }

        load.Restart();
        bench.SetupFaster();
        Console.WriteLine($"FASTER loaded in {load.Elapsed.TotalSeconds:F1} s");

        (string Name, Func<int, int, long> Store, Func<int, int, long> Faster)[] operations =
        [
            ("Get", bench.StoreGet, bench.FasterGet),
            ("Put", bench.StorePut, bench.FasterPut),
            ("RMW", bench.StoreRmw, bench.FasterRmw),
        ];
        Func<int, int, long>[] baselineOperations = baseline is null ? [] : [baseline.Get, baseline.Put, baseline.Rmw];

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

            foreach (var op in baselineOperations)
            {
                for (int i = 0; i < 40; i++)
                {
                    op(0, 2_000);
                }
            }

            Thread.Sleep(300);
        }

        foreach (var op in operations)
        {
            op.Store(0, KeyValueBenchmarks.Ops);
            op.Faster(0, KeyValueBenchmarks.Ops);
        }

        foreach (var op in baselineOperations)
        {
            op(0, KeyValueBenchmarks.Ops);
        }

        if (baseline is not null)
        {
            int code = RunAgainstBaseline(operations, baselineOperations, only, rounds, ops, keySpace);
            baseline.Cleanup();
            bench.CleanupStore();
            bench.CleanupFaster();
            return code;
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

    /// <summary>
    /// Each round runs this build's Store, the baseline's Store and FASTER on the same slice, in an
    /// order that rotates by round, and the table reports medians of the per-round ratios.
    /// </summary>
    private static int RunAgainstBaseline(
        (string Name, Func<int, int, long> Store, Func<int, int, long> Faster)[] operations, Func<int, int, long>[] baselineOperations,
        string? only, int rounds, int ops, int keySpace)
    {
        Console.WriteLine($"{rounds} rounds of {ops:N0} ops per store and operation, this build, the baseline build and FASTER in rotating order, " +
            $"10M keys loaded, uniform over {keySpace:N0} of them (seed {BenchKeys.Seed})");
        Console.WriteLine();
        Console.WriteLine("| Op | this build median ns/op | baseline median ns/op | FASTER median ns/op | this ÷ baseline | this ÷ FASTER | baseline ÷ FASTER | rounds this faster than baseline |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        int slices = KeyValueBenchmarks.Ops / ops;
        for (int o = 0; o < operations.Length; o++)
        {
            if (only is not null && operations[o].Name != only)
            {
                continue;
            }

            Func<int, int, long>[] runners = [operations[o].Store, baselineOperations[o], operations[o].Faster];
            var times = new double[runners.Length][];
            for (int k = 0; k < runners.Length; k++)
            {
                times[k] = new double[rounds];
            }

            for (int r = 0; r < rounds; r++)
            {
                int start = r % slices * ops;
                for (int step = 0; step < runners.Length; step++)
                {
                    int k = (step + r) % runners.Length;
                    times[k][r] = Time(runners[k], start, ops);
                }
            }

            double[] Ratio(int a, int b) => Enumerable.Range(0, rounds).Select(r => times[a][r] / times[b][r]).ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {operations[o].Name} | {Median(times[0]):F0} | {Median(times[1]):F0} | {Median(times[2]):F0} | " +
                $"{Median(Ratio(0, 1)):F3} | {Median(Ratio(0, 2)):F3} | {Median(Ratio(1, 2)):F3} | {Ratio(0, 1).Count(x => x < 1)}/{rounds} |"));
        }

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
