using System.Diagnostics;
using Store.Perf.Backends;

namespace Store.Perf;

/// <summary>
/// The main job's workload on one backend (issue 5): load N keys, a full checkpoint, C intervals
/// of M read-modify-write updates each ended by a barrier, wait until durable, recover into a
/// fresh instance and verify every key against the model.
/// </summary>
/// <remarks>
/// <para>Values: an 8-byte counter starting at 0, then random bytes (fixed seed), different for
/// every key. Zero-filled values would hand a compressing store (RocksDB) a best case that real
/// state rarely offers; random bytes are its worst case. Either way the counter is what changes.</para>
/// <para>One checkpoint in flight, as Flink runs with maxConcurrentCheckpoints = 1: the previous
/// checkpoint is confirmed before the next barrier, so each delta holds exactly one interval's
/// changes. The update loop confirms it as soon as it is durable (see <see cref="ConfirmPollOps"/>),
/// and waits for it at the interval's end only if it is still being written. Waits and
/// confirmations count against update throughput, as the barrier pauses do.</para>
/// </remarks>
internal static class Workload
{
    /// <summary>
    /// How often the update loop looks for a durable checkpoint to confirm. Flink delivers
    /// notifyCheckpointComplete through the task's mailbox, between records, soon after the
    /// checkpoint completes; so the confirmation lands among the updates, not just before the next
    /// barrier, where it would leave the barrier's objects in cache.
    /// </summary>
    private const int ConfirmPollOps = 1024;

    public static async Task<RunResult> Run(IStateBackend backend, PerfOptions options)
    {
        var model = new long[options.Keys];
        byte[] payload = Payload(options);
        byte[] value = new byte[options.ValueSize];
        var result = new RunResult(backend.Name);
        PeakMemory.Reset();

        long start = Stopwatch.GetTimestamp();
        for (int k = 0; k < options.Keys; k++)
        {
            InitialValue(payload, k, value);
            backend.Put(k, value);
        }

        result.LoadOpsPerSecond = options.Keys / Stopwatch.GetElapsedTime(start).TotalSeconds;
        Console.Error.WriteLine($"{backend.Name}: loaded in {Stopwatch.GetElapsedTime(start).TotalSeconds:F1} s");
        CheckpointOutcome full = await backend.Barrier(1).Durable;
        backend.Confirm(1);
        Console.Error.WriteLine($"{backend.Name}: full checkpoint {full.Bytes / 1e6:F1} MB in {full.Durable.TotalMilliseconds:F0} ms");

        var random = new Random(options.Seed);
        ZipfGenerator? zipf = options.Distribution == "zipf" ? new ZipfGenerator(options.Keys, 0.99, random) : null;
        var updated = new HashSet<int>();
        Task<CheckpointOutcome>? inFlight = null;
        long inFlightId = 0;
        double updateSeconds = 0;
        for (int interval = 0; interval < options.Checkpoints; interval++)
        {
            updated.Clear();
            long intervalStart = Stopwatch.GetTimestamp();
            for (int op = 0; op < options.OpsPerInterval; op++)
            {
                int k = zipf is null ? random.Next(options.Keys) : (int)zipf.Next();
                backend.Increment(k);
                model[k]++;
                updated.Add(k);
                if ((op & (ConfirmPollOps - 1)) == 0 && inFlight is { IsCompleted: true })
                {
                    Complete(inFlight.GetAwaiter().GetResult(), inFlightId);
                    inFlight = null;
                }
            }

            if (inFlight is not null)
            {
                Complete(await inFlight, inFlightId);
            }

            inFlightId = interval + 2;
            BarrierOutcome barrier = backend.Barrier(inFlightId);
            inFlight = barrier.Durable;
            long end = Stopwatch.GetTimestamp();
            result.BarrierPausesMicroseconds.Add(barrier.Pause.TotalMicroseconds);
            updateSeconds += Stopwatch.GetElapsedTime(intervalStart, end).TotalSeconds;
            result.LogicalChangedBytes.Add(updated.Count * (8L + options.ValueSize));
        }

        if (inFlight is not null)
        {
            Complete(await inFlight, inFlightId);
        }

        result.UpdateOpsPerSecond = (double)options.OpsPerInterval * options.Checkpoints / updateSeconds;
        // Every pause in barrier order, so an outlier's position (first barriers, a full checkpoint's turn) shows.
        Console.Error.WriteLine($"{backend.Name}: barrier pauses µs, in order: " +
            string.Join(' ', result.BarrierPausesMicroseconds.Select(p => p.ToString("F1", System.Globalization.CultureInfo.InvariantCulture))));
        result.PeakRssBytes = PeakMemory.PeakResidentBytes();
        backend.Dispose();

        start = Stopwatch.GetTimestamp();
        using IRecoveredState recovered = backend.Recover();
        result.RecoveryMilliseconds = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        bool verified = recovered.CheckpointId == options.Checkpoints + 1;
        if (!verified)
        {
            Console.Error.WriteLine($"{backend.Name}: recovered checkpoint {recovered.CheckpointId}, expected {options.Checkpoints + 1}");
        }

        for (int k = 0; k < options.Keys && verified; k++)
        {
            bool found = recovered.TryGetCounter(k, out long counter);
            verified = found && counter == model[k];
            if (!verified)
            {
                Console.Error.WriteLine($"{backend.Name}: key {k} recovered as {(found ? counter.ToString(System.Globalization.CultureInfo.InvariantCulture) : "missing")}, expected {model[k]}");
            }
        }

        result.Verified = verified;
        return result;

        void Complete(CheckpointOutcome outcome, long id)
        {
            backend.Confirm(id);
            result.DurableMilliseconds.Add(outcome.Durable.TotalMilliseconds);
            result.CheckpointBytes.Add(outcome.Bytes);
            result.CheckpointIncremental.Add(outcome.Incremental);
        }
    }

    /// <summary>Random bytes from which every key's initial value is cut, so the load costs no generation.</summary>
    private static byte[] Payload(PerfOptions options)
    {
        byte[] payload = new byte[PayloadBytes + options.ValueSize];
        new Random(options.Seed + 1).NextBytes(payload);
        return payload;
    }

    /// <summary>Key k's initial value: a zero counter, then a slice of the payload that differs from key to key.</summary>
    private static void InitialValue(byte[] payload, int key, Span<byte> value)
    {
        // 8,191 is odd, so consecutive keys start their slices far apart and the starts cycle through the whole block.
        payload.AsSpan((int)((long)key * 8_191 % PayloadBytes), value.Length).CopyTo(value);
        value[..8].Clear();
    }

    private const int PayloadBytes = 1 << 20;
}
