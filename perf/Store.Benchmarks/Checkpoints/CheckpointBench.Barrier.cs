using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.InteropServices;
using Snapshot;
using Snapshot.Catalog;
using Snapshot.Format;
using Snapshot.Reading;
using Store.Versioning;

namespace Store.Benchmarks.Checkpoints;

/// <summary>The barrier section of --checkpoint-bench: Barrier's synchronous part against Freeze, per call.</summary>
public static partial class CheckpointBench
{
    private sealed partial class Runner
    {
        /// <summary>Barrier's synchronous part against Freeze (+Release), interleaved, after the same writes.</summary>
        private void MeasureBarrier(StateStore store, Checkpointer checkpointer, Summary summary)
        {
            var random = new Random(BenchKeys.Seed + 1);
            int warmup = Math.Min(50, o.Samples);
            var barrier = new double[o.Samples];
            var reported = new double[o.Samples];
            var freeze = new double[o.Samples];
            var freezeRelease = new double[o.Samples];
            var wake = new double[o.Samples];
            var barrierDisturbed = new bool[o.Samples];
            var freezeDisturbed = new bool[o.Samples];
            long barrierFaults = 0;
            long freezeFaults = 0;
            using var handOff = new HandOff();
            long barrierAllocated = 0;
            long freezeAllocated = 0;
            int gen0 = 0;
            for (int pass = 0; pass < 2; pass++)
            {
                int count = pass == 0 ? warmup : o.Samples;
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                int gcBefore = GC.CollectionCount(0);
                barrierAllocated = 0;
                freezeAllocated = 0;
                barrierFaults = 0;
                freezeFaults = 0;
                for (int i = 0; i < count; i++)
                {
                    for (int step = 0; step < 3; step++)
                    {
                        Write(store, random, o.WritesBetween);
                        int what = (step + i) % 3; // rotate the order: 0 barrier, 1 freeze, 2 hand-off reference
                        if (what == 2)
                        {
                            wake[i] = handOff.TimeWake();
                        }
                        else if (what == 0)
                        {
                            var id = new CheckpointId(_nextId++);
                            (long f0, long s0) = SequentialIo.ThreadCounters();
                            long a0 = GC.GetAllocatedBytesForCurrentThread();
                            long t0 = Stopwatch.GetTimestamp();
                            Task<CheckpointResult> task = checkpointer.Barrier(id);
                            long t1 = Stopwatch.GetTimestamp();
                            barrierAllocated += GC.GetAllocatedBytesForCurrentThread() - a0;
                            (long f1, long s1) = SequentialIo.ThreadCounters();
                            barrierFaults += f1 - f0;
                            barrierDisturbed[i] = s1 != s0;
                            CheckpointResult result = task.GetAwaiter().GetResult();
                            checkpointer.Abort(id);
                            barrier[i] = Stopwatch.GetElapsedTime(t0, t1).TotalNanoseconds;
                            reported[i] = result.SyncDuration.TotalNanoseconds;
                        }
                        else
                        {
                            (long f0, long s0) = SequentialIo.ThreadCounters();
                            long a0 = GC.GetAllocatedBytesForCurrentThread();
                            long t0 = Stopwatch.GetTimestamp();
                            FrozenVersion frozen = store.Freeze();
                            long t1 = Stopwatch.GetTimestamp();
                            frozen.Release();
                            long t2 = Stopwatch.GetTimestamp();
                            freezeAllocated += GC.GetAllocatedBytesForCurrentThread() - a0;
                            (long f1, long s1) = SequentialIo.ThreadCounters();
                            freezeFaults += f1 - f0;
                            freezeDisturbed[i] = s1 != s0;
                            freeze[i] = Stopwatch.GetElapsedTime(t0, t1).TotalNanoseconds;
                            freezeRelease[i] = Stopwatch.GetElapsedTime(t0, t2).TotalNanoseconds;
                        }
                    }
                }

                gen0 = GC.CollectionCount(0) - gcBefore;
            }

            Console.WriteLine();
            Console.WriteLine($"## Barrier synchronous part vs StateStore.Freeze, {o.Keys:N0} keys, {o.Samples:N0} interleaved samples each, " +
                $"{o.WritesBetween} random Puts (untimed) before every timed call, {warmup} warm-up iterations dropped, timer overhead ~{TimerOverheadNs():F0} ns not subtracted");
            Console.WriteLine();
            Console.WriteLine("| call | p50 | p90 | p99 | p99.9 | max | mean | B allocated per call (writer thread) |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            Row("Checkpointer.Barrier() (Stopwatch around the call)", barrier, (double)barrierAllocated / o.Samples);
            Row("Barrier's own SyncDuration (CheckpointResult.SyncDuration)", reported, double.NaN);
            Row("StateStore.Freeze()", freeze, double.NaN);
            Row("StateStore.Freeze() + Release()", freezeRelease, (double)freezeAllocated / o.Samples);
            Row("reference: waking a parked thread (SemaphoreSlim.Release to an async waiter), which a barrier must not do", wake, double.NaN);
            Console.WriteLine($"Gen0 GCs during the measured samples: {gen0}. Minor page faults inside the timed calls: Barrier {barrierFaults}, Freeze+Release {freezeFaults}. " +
                $"Samples with an involuntary context switch of the writer thread inside the timed call: Barrier {barrierDisturbed.Count(d => d)}, Freeze+Release {freezeDisturbed.Count(d => d)}.");
            double[] barrierUndisturbed = barrier.Where((_, i) => !barrierDisturbed[i]).ToArray();
            double[] freezeUndisturbed = freezeRelease.Where((_, i) => !freezeDisturbed[i]).ToArray();
            if (barrierUndisturbed.Length > 0 && freezeUndisturbed.Length > 0)
            {
                Console.WriteLine($"Without those samples: Barrier() {Percentiles.Of(barrierUndisturbed)}, Freeze+Release {Percentiles.Of(freezeUndisturbed)} (p50 / p99 / max).");
            }
            summary.Barrier = Percentiles.Of(barrier);
            summary.FreezeRelease = Percentiles.Of(freezeRelease);
            summary.Freeze = Percentiles.Of(freeze);
            summary.BarrierAllocated = (double)barrierAllocated / o.Samples;
            summary.Reported = Percentiles.Of(reported);
            summary.Wake = Percentiles.Of(wake);

            static void Row(string name, double[] samples, double allocated)
            {
                Percentiles p = Percentiles.Of(samples);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {Ns(p.P50)} | {Ns(p.P90)} | {Ns(p.P99)} | {Ns(p.P999)} | {Ns(p.Max)} | {Ns(samples.Average())} | {(double.IsNaN(allocated) ? "-" : allocated.ToString("F0", CultureInfo.InvariantCulture))} |"));
            }
        }
    }

    /// <summary>
    /// A reference for what a barrier must not pay: SemaphoreSlim.Release() with a flusher-like loop
    /// parked in WaitAsync (the continuation goes to the thread pool, which wakes a worker thread).
    /// Barrier signalled its writer this way until 864a9fb (native-notes/thread-wakeup.md).
    /// </summary>
    private sealed class HandOff : IDisposable
    {
        private readonly SemaphoreSlim _work = new(0);
        private readonly SemaphoreSlim _done = new(0);
        private readonly Task _loop;
        private volatile bool _stop;

        public HandOff() => _loop = Task.Run(LoopAsync);

        /// <summary>Times one Release() that wakes the parked loop, then waits until the loop ran.</summary>
        public double TimeWake()
        {
            long t0 = Stopwatch.GetTimestamp();
            _work.Release();
            long t1 = Stopwatch.GetTimestamp();
            _done.Wait();
            return Stopwatch.GetElapsedTime(t0, t1).TotalNanoseconds;
        }

        private async Task LoopAsync()
        {
            while (!_stop)
            {
                await _work.WaitAsync().ConfigureAwait(false);
                _done.Release();
            }
        }

        public void Dispose()
        {
            _stop = true;
            _work.Release();
            _loop.Wait();
            _work.Dispose();
            _done.Dispose();
        }
    }
}
