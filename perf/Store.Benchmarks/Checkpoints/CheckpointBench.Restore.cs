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

/// <summary>The restore section of --checkpoint-bench: cold restores against plain reads of the same files, and where the time goes.</summary>
public static partial class CheckpointBench
{
    private sealed partial class Runner
    {
        /// <summary>Cold restores of the newest confirmed checkpoint against plain reads of its files.</summary>
        private void MeasureRestore(StateStore live, Summary summary)
        {
            ShardCatalog catalog = CatalogReader.Read(_files).Catalog;
            CheckpointEntry entry = catalog.NewestConfirmed!;
            string[] paths = entry.Chain.Select(_files.DataPath).ToArray();
            long bytes = entry.ChainBytes(catalog);
            byte[] buffer = GC.AllocateUninitializedArray<byte>(SequentialIo.ChunkSize, pinned: true);
            Console.WriteLine();
            Console.WriteLine($"## Restore vs plain sequential read of the same {paths.Length} files ({bytes:N0} B: a full checkpoint and {paths.Length - 1} deltas)");
            Console.WriteLine();
            Console.WriteLine("Each rep runs five steps in rotating order, each after sync(2) and a settle pause: a plain read, a read+verify, a restore, a restore on " +
                "warm memory (the same restore, right after a store of the same size was built and freed, as after a process restart on the same machine; " +
                "freed memory that sits for a second or more is handed back to the host, and taking it again is the restore's bound: native-notes/free-page-reporting.md), " +
                "and a plain read into fresh memory (one new mapping of the files' size, 2 MiB pages advised, not pre-faulted: a reader that acquires its memory as a restore must).");
            Console.WriteLine();
            Console.WriteLine("| rep | cache | plain read MB/s | read+verify MB/s (DataFileReader, no store) | restore MB/s (Checkpointer.Restore) | restore ÷ plain | " +
                "restore on warm memory MB/s | warm ÷ plain | plain read into fresh memory MB/s | restore ÷ that | restore s (own Duration) | warm restore s | plain read s | read+verify s | fresh-memory read s | " +
                "resident before each (plain / verify / restore / warm / fresh) |");
            Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
            for (int rep = 0; rep <= o.Reps; rep++)
            {
                bool cold = rep < o.Reps; // the last pass reads from the page cache
                double[] seconds = new double[5];
                double[] resident = new double[5];
                TimeSpan ownDuration = default;
                for (int step = 0; step < 5; step++)
                {
                    int what = (step + rep) % 5; // rotate the order: 0 plain, 1 verify, 2 restore, 3 restore on warm memory, 4 plain read into fresh memory
                    Settle();
                    if (what == 3)
                    {
                        // Build (pre-fault) and free a store of the same size: the restore then takes memory the guest still backs.
                        StateStore.BeginRestore(BenchKeys.Options, entry.PageCount).Dispose();
                    }

                    if (cold && !SequentialIo.DropFromPageCache(paths))
                    {
                        Console.WriteLine("posix_fadvise or fsync failed: this read is not known to be cold");
                    }
                    else if (!cold)
                    {
                        SequentialIo.Read(paths, buffer); // make it fully cached
                    }

                    resident[what] = SequentialIo.ResidentFraction(paths);
                    long t0 = Stopwatch.GetTimestamp();
                    switch (what)
                    {
                        case 0:
                            if (SequentialIo.Read(paths, buffer) != bytes)
                            {
                                throw new InvalidOperationException("the plain read did not read every byte of the chain");
                            }

                            break;
                        case 1:
                            ReadAndVerify(paths);
                            break;
                        case 4:
                            if (SequentialIo.ReadIntoFreshMemory(paths, bytes) != bytes)
                            {
                                throw new InvalidOperationException("the read into fresh memory did not read every byte of the chain");
                            }

                            break;
                        default:
                            RestoredCheckpoint restored = Checkpointer.Restore(_options, BenchKeys.Options);
                            seconds[what] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                            if (what == 2)
                            {
                                ownDuration = restored.Duration;
                            }

                            if (rep == 0 && what == 2)
                            {
                                summary.Verified = SameContent(live, restored.Store, o.Keys);
                            }

                            restored.Checkpointer.Dispose();
                            restored.Store.Dispose();
                            break;
                    }

                    if (what is 0 or 1 or 4)
                    {
                        seconds[what] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                    }
                }

                double plainRate = bytes / seconds[0] / Mb;
                double restoreRate = bytes / seconds[2] / Mb;
                double warmRate = bytes / seconds[3] / Mb;
                double freshRate = bytes / seconds[4] / Mb;
                if (cold)
                {
                    summary.PlainRead.Add(plainRate);
                    summary.Restore.Add(restoreRate);
                    summary.VerifyRead.Add(bytes / seconds[1] / Mb);
                    summary.RestoreRatio.Add(restoreRate / plainRate);
                    summary.WarmMemoryRestore.Add(warmRate);
                    summary.WarmMemoryRestoreRatio.Add(warmRate / plainRate);
                    summary.FreshMemoryRead.Add(freshRate);
                    summary.FreshMemoryRestoreRatio.Add(restoreRate / freshRate);
                }
                else
                {
                    summary.WarmRestoreRatio = restoreRate / plainRate;
                }

                summary.ChainBytes = bytes;
                summary.ChainFiles = paths.Length;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {(cold ? (rep + 1).ToString(CultureInfo.InvariantCulture) : "-")} | {(cold ? "cold (fadvise DONTNEED)" : "cached")} | {plainRate:F0} | {bytes / seconds[1] / Mb:F0} | " +
                    $"{restoreRate:F0} | {restoreRate / plainRate:F2} | {warmRate:F0} | {warmRate / plainRate:F2} | {freshRate:F0} | {restoreRate / freshRate:F2} | " +
                    $"{seconds[2]:F2} ({ownDuration.TotalSeconds:F2}) | {seconds[3]:F2} | {seconds[0]:F2} | {seconds[1]:F2} | {seconds[4]:F2} | " +
                    $"{resident[0]:P0} / {resident[1]:P0} / {resident[2]:P0} / {resident[3]:P0} / {resident[4]:P0} |"));
            }

            Console.WriteLine($"Restored store verified key by key against the live store: {(summary.Verified ? "yes" : "NO")}");
            RestorePhases(entry, paths, bytes, summary);
        }

        /// <summary>
        /// CheckpointRestorer's steps (less its chain-link checks; the full file read straight into the pages, deltas patched batch by batch), each timed: allocate the store
        /// (BeginRestore), read + verify + patch every record into it, Complete (meta page check and
        /// the index's entry count). Cold, like the restores above.
        /// </summary>
        private void RestorePhases(CheckpointEntry entry, string[] paths, long bytes, Summary summary)
        {
            Console.WriteLine();
            Console.WriteLine("### Where a cold restore's time goes (CheckpointRestorer's steps re-enacted with the public API, each timed; odd reps on memory left free for the settle pause, even reps on warm memory)");
            Console.WriteLine();
            Console.WriteLine("| rep | memory | BeginRestore s (map, start pre-faulting) | chain s (full file's scatter reads into the pages + verify, each batch then patched with the deltas) | Complete s (wait for pre-faulting, meta check, entry count) | total s | MB/s | " +
                "separately, cold: read + verify + patch into a sink that drops the bytes s |");
            Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|");
            for (int rep = 0; rep < o.Reps; rep++)
            {
                Settle();
                SequentialIo.DropFromPageCache(paths);
                long n0 = Stopwatch.GetTimestamp();
                foreach (string path in paths)
                {
                    using DataFileReader reader = DataFileReader.Open(path, readAhead: true);
                    var nothing = default(DiscardSink);
                    while (reader.MoveNext())
                    {
                        PagePatch.Apply(reader.Current, reader.CurrentPayload, reader.Header.PageSize, ref nothing);
                    }
                }

                double patchOnly = Stopwatch.GetElapsedTime(n0).TotalSeconds;
                Settle();
                bool warm = rep % 2 == 1;
                if (warm)
                {
                    StateStore.BeginRestore(BenchKeys.Options, entry.PageCount).Dispose();
                }

                SequentialIo.DropFromPageCache(paths);
                long t0 = Stopwatch.GetTimestamp();
                StoreLoader loader = StateStore.BeginRestore(BenchKeys.Options, entry.PageCount);
                long t1 = Stopwatch.GetTimestamp();
                var chain = paths.Select(path => (DataFileReader.OpenChecked(path, null), path)).ToList();
                CheckpointRestorer.ApplyChain(chain, loader); // the restorer's own step: full file into the pages, each batch patched with the deltas
                long t2 = Stopwatch.GetTimestamp();
                StateStore restored = loader.Complete(paths[^1]);
                long t3 = Stopwatch.GetTimestamp();
                restored.Dispose();
                double total = Stopwatch.GetElapsedTime(t0, t3).TotalSeconds;
                var phases = new RestorePhase(
                    Stopwatch.GetElapsedTime(t0, t1).TotalSeconds, Stopwatch.GetElapsedTime(t1, t2).TotalSeconds, Stopwatch.GetElapsedTime(t2, t3).TotalSeconds);
                summary.Phases.Add(phases);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {rep + 1} | {(warm ? "warm" : "after settle")} | {phases.Allocate:F2} | {phases.Apply:F2} | {phases.Complete:F2} | {total:F2} | {bytes / total / Mb:F0} | {patchOnly:F2} |"));
            }
        }

        private static void ReadAndVerify(string[] paths)
        {
            foreach (string path in paths)
            {
                using DataFileReader reader = DataFileReader.Open(path);
                while (reader.MoveNext())
                {
                }
            }
        }

        private static bool SameContent(StateStore expected, StateStore actual, long keys)
        {
            if (expected.Count != actual.Count)
            {
                return false;
            }

            Span<byte> key = stackalloc byte[CheckpointWorkload.KeyBytes];
            Span<byte> a = stackalloc byte[CheckpointWorkload.ValueBytes];
            Span<byte> b = stackalloc byte[CheckpointWorkload.ValueBytes];
            for (long id = 0; id < keys; id++)
            {
                BenchKeys.Write(key, id);
                if (!expected.TryGet(key, a, out int la) || !actual.TryGet(key, b, out int lb) || la != lb || !a.SequenceEqual(b))
                {
                    return false;
                }
            }

            return true;
        }
    }

    private readonly record struct RestorePhase(double Allocate, double Apply, double Complete);

    /// <summary>Takes the patches and keeps nothing: what reading, verifying and decoding cost without the store.</summary>
    private struct DiscardSink : IPagePatchSink
    {
        public long Bytes;

        public void Write(int offset, ReadOnlySpan<byte> bytes) => Bytes += bytes.Length;
    }
}
