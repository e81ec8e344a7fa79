using System.Globalization;

namespace Store.Perf;

/// <summary>One backend's run: the fields of the stable JSON schema (issue 5) and the table row.</summary>
internal sealed class RunResult(string store)
{
    public string Store { get; } = store;

    public double LoadOpsPerSecond { get; set; }

    /// <summary>Updates over the whole intervals, barrier pauses and waits for the previous checkpoint included.</summary>
    public double UpdateOpsPerSecond { get; set; }

    public List<double> BarrierPausesMicroseconds { get; } = [];

    public List<double> DurableMilliseconds { get; } = [];

    /// <summary>Bytes of every checkpoint after the first full one, in order; aligned with <see cref="LogicalChangedBytes"/>.</summary>
    public List<long> CheckpointBytes { get; } = [];

    public List<bool> CheckpointIncremental { get; } = [];

    /// <summary>Distinct keys updated in each interval × (key size + value size).</summary>
    public List<long> LogicalChangedBytes { get; } = [];

    public double RecoveryMilliseconds { get; set; }

    public long PeakRssBytes { get; set; }

    public bool Verified { get; set; }

    public int IncrementalCount => CheckpointIncremental.Count(x => x);

    /// <summary>
    /// Median over incremental checkpoints of bytes written ÷ logical changed bytes; over every
    /// checkpoint for a backend that never writes an incremental one (then it is the full-snapshot cost).
    /// </summary>
    public double WriteAmplification
    {
        get
        {
            bool any = IncrementalCount > 0;
            double[] ratios = [.. CheckpointBytes.Select((bytes, i) => (bytes, i))
                .Where(x => !any || CheckpointIncremental[x.i])
                .Select(x => (double)x.bytes / LogicalChangedBytes[x.i])];
            return Stats.Median(ratios);
        }
    }

    /// <summary>
    /// All bytes written by the checkpoints after the first ÷ all logical change: what the median
    /// leaves out, a chain bound's full checkpoints (Store) or compactions' new files (RocksDB).
    /// </summary>
    public double OverallWriteAmplification => (double)CheckpointBytes.Sum() / LogicalChangedBytes.Sum();

    public static string TableHeader =>
        "| store | load ops/s | update ops/s | barrier pause µs p50 / p99 / max | checkpoint durable ms p50 / max | " +
        "checkpoint bytes (median) | logical changed bytes (median) | write amplification median / overall | full / incremental | recovery ms | peak RSS MB | verified |\n" +
        "|---|---:|---:|---|---|---:|---:|---|---|---:|---:|---|";

    public string TableRow() => string.Create(CultureInfo.InvariantCulture,
        $"| {Store} | {LoadOpsPerSecond:N0} | {UpdateOpsPerSecond:N0} | " +
        $"{Stats.Percentile(BarrierPausesMicroseconds, 0.5):F2} / {Stats.Percentile(BarrierPausesMicroseconds, 0.99):F2} / {Stats.Max(BarrierPausesMicroseconds):F2} | " +
        $"{Stats.Percentile(DurableMilliseconds, 0.5):F1} / {Stats.Max(DurableMilliseconds):F1} | " +
        $"{Stats.Median([.. CheckpointBytes.Select(b => (double)b)]):N0} | {Stats.Median([.. LogicalChangedBytes.Select(b => (double)b)]):N0} | " +
        $"{WriteAmplification:F2} / {OverallWriteAmplification:F2} | {1 + CheckpointIncremental.Count(x => !x)} / {IncrementalCount} | {RecoveryMilliseconds:F0} | " +
        $"{PeakRssBytes / 1e6:F0} | {(Verified ? "yes" : "NO")} |");
}

/// <summary>Order statistics for the result fields (nearest rank; NaN when there are no samples).</summary>
internal static class Stats
{
    public static double Percentile(IEnumerable<double> values, double p)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
    }

    public static double Median(IEnumerable<double> values) => Percentile(values, 0.5);

    public static double Max(IEnumerable<double> values) => values.DefaultIfEmpty(double.NaN).Max();
}
