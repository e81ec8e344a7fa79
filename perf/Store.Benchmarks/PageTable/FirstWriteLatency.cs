using System.Diagnostics;
using System.Globalization;
using Store.Versioning;

namespace Store.Benchmarks.PageTable;

/// <summary>
/// <c>--first-write-latency</c>: times every single write of <see cref="FirstWriteAfterFreezeBenchmarks"/>
/// on its own (Stopwatch.GetTimestamp around the Put or RMW call), so the copy-on-write cost is
/// seen per write (p50/p99/max), not only as a mean. Each round freezes, writes the 1,024 keys on
/// distinct pages once each (every write is the first write to a page the frozen version holds),
/// and releases; the baseline rounds do the same writes with no frozen version. The first write
/// of each round is also shown on its own: it runs the reclamation of the frames and page-table
/// nodes that the previous round's (now released) version held.
/// </summary>
/// <remarks>Options: <c>--rounds 200</c> (rounds per row; 200 rounds = 204,800 timed writes).</remarks>
public static class FirstWriteLatency
{
    private const int LoadedKeys = 1_000_000;

    public static int Run(string[] args)
    {
        int index = Array.IndexOf(args, "--rounds");
        int rounds = index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : 200;
        int writes = FirstWriteAfterFreezeBenchmarks.Writes;

        using StateStore store = StateStore.Open(BenchKeys.Options);
        BenchKeys.Load(store, LoadedKeys);
        long counter = LoadedKeys;
        byte[] keys = new byte[writes * 8];
        FirstWriteAfterFreezeBenchmarks.PickKeysOnDistinctPages(store, LoadedKeys, keys, ref counter);

        Console.WriteLine($"First write after freeze: {LoadedKeys:N0} keys, {writes} keys on distinct pages, {rounds} rounds per row, timer overhead ~30 ns not subtracted");
        Console.WriteLine();
        Console.WriteLine("| Write | Frozen version | p50 | p90 | p99 | p99.9 | max | mean | pages copied per round | first write of a round: median / max |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (bool rmw in new[] { false, true })
        {
            foreach (bool frozen in new[] { true, false })
            {
                // One untimed round warms the code paths and the frame pool for this row.
                Measure(store, keys, 10, rmw, frozen, ref counter, out _);
                GC.Collect();
                long copiesBefore = store.Statistics.CopyOnWriteCount;
                Measure(store, keys, rounds, rmw, frozen, ref counter, out double[] ns);
                double copies = (double)(store.Statistics.CopyOnWriteCount - copiesBefore) / rounds;
                // A round's first write also reclaims what the previous round's released version held.
                double[] firsts = Enumerable.Range(0, rounds).Select(r => ns[r * keys.Length / 8]).Order().ToArray();
                Array.Sort(ns);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {(rmw ? "RMW (+1)" : "Put")} | {(frozen ? "yes (first write, copy-on-write)" : "none (in place)")} | " +
                    $"{P(ns, 50):F0} ns | {P(ns, 90):F0} ns | {P(ns, 99):F0} ns | {P(ns, 99.9):F0} ns | {ns[^1]:F0} ns | {ns.Average():F0} ns | {copies:F0} | " +
                    $"{P(firsts, 50):F0} ns / {firsts[^1]:F0} ns |"));
            }
        }

        return 0;
    }

    private static void Measure(StateStore store, byte[] keys, int rounds, bool rmw, bool freeze, ref long counter, out double[] ns)
    {
        int writes = keys.Length / 8;
        ns = new double[rounds * writes];
        Span<byte> value = stackalloc byte[8];
        var increment = new AddToCounter(1);
        double nsPerTick = 1e9 / Stopwatch.Frequency;
        for (int r = 0; r < rounds; r++)
        {
            FrozenVersion? frozen = freeze ? store.Freeze() : null;
            for (int i = 0; i < writes; i++)
            {
                ReadOnlySpan<byte> key = keys.AsSpan(i * 8, 8);
                BenchKeys.Write(value, ++counter);
                long t0 = Stopwatch.GetTimestamp();
                if (rmw)
                {
                    store.ReadModifyWrite(key, ref increment);
                }
                else
                {
                    store.Put(key, value);
                }

                ns[r * writes + i] = (Stopwatch.GetTimestamp() - t0) * nsPerTick;
            }

            frozen?.Release();
        }
    }

    private static double P(double[] sorted, double percentile)
    {
        int rank = (int)Math.Ceiling(percentile / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
