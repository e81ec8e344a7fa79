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

/// <summary>
/// <c>--checkpoint-bench</c>: the checkpoint acceptance numbers, each beside its reference measured
/// in the same process on the same disk.
/// </summary>
/// <remarks>
/// <para>Phases, in order, on one store of N keys (8-byte key + 24-byte value, 32-byte records):</para>
/// <list type="number">
/// <item>Load, then a first full checkpoint (untimed warm-up of the write path).</item>
/// <item>Write bandwidth: <c>--reps</c> pairs of a forced full checkpoint (Barrier → task done; the
/// data fsync and the catalog fsync included, Confirm not) and a plain sequential write of the same
/// byte count into the same directory (1 MiB writes + fsync) by this process and by dd in its own
/// process (conv=fsync), the checkpoint first or last in turn; the reference is the faster plain write. Then,
/// with no disk under it, DataFileWriter and the plain write to tmpfs (the writer's CPU speed).</item>
/// <item>Incremental size: <c>--rounds</c> rounds of <c>--updates</c> (default N/100) uniform updates
/// (seed 42), each followed by Barrier, wait, Confirm. Each round's data file is then re-read to
/// split its bytes into record headers, extent prefixes and payload.</item>
/// <item>Restore bandwidth: <c>--reps</c> rounds, rotating the order, of Checkpointer.Restore of the
/// newest confirmed checkpoint (its whole chain), the same restore on warm memory (right after a
/// store of the same size was built and freed), a read-and-verify pass over the same files with
/// DataFileReader (no store built) and a plain sequential read of the same files; before each, the
/// files are fsynced and dropped from the page cache (posix_fadvise DONTNEED, checked with mincore).
/// The first restore is verified key by key against the live store. One cached pass follows.</item>
/// <item>Barrier pause (the checkpointer reopened, then one untimed full checkpoint): <c>--samples</c> iterations of [<c>--writes-between</c> random Puts, timed
/// Barrier()] and [the same Puts, timed Freeze() then Release()], alternating which goes first.
/// Each sampled checkpoint is written and then aborted, so every sample is an incremental on the
/// same confirmed base (confirming them would force a full checkpoint every 63 barriers).</item>
/// </list>
/// <para>Options: <c>--keys 10000000 --rounds 10 --updates N/100 --reps 5 --samples 1000
/// --writes-between 64 --update overwrite|increment --settle-ms 1000 --sections writes,incrementals,restore,barrier
/// --dir PARENT --keep</c>; the section <c>directread</c> (not a default) times what direct reads of page images would give. (settle: the pause,
/// after sync(2), before every timed write or read). The working directory is a
/// fresh subdirectory of --dir (default: the system temp directory), deleted at the end unless --keep.</para>
/// </remarks>
public static partial class CheckpointBench
{
    private const double Mb = 1e6;

    public static int Run(string[] args)
    {
        var o = new Settings(
            Keys: long.Parse(Option(args, "--keys", "10000000"), CultureInfo.InvariantCulture),
            Rounds: int.Parse(Option(args, "--rounds", "10"), CultureInfo.InvariantCulture),
            Updates: Option(args, "--updates", null) is { } u ? long.Parse(u, CultureInfo.InvariantCulture) : -1,
            Reps: int.Parse(Option(args, "--reps", "5"), CultureInfo.InvariantCulture),
            Samples: int.Parse(Option(args, "--samples", "1000"), CultureInfo.InvariantCulture),
            WritesBetween: int.Parse(Option(args, "--writes-between", "64"), CultureInfo.InvariantCulture),
            Kind: Option(args, "--update", "overwrite") switch
            {
                "overwrite" => UpdateKind.Overwrite,
                "increment" => UpdateKind.Increment,
                string other => throw new ArgumentException($"--update must be overwrite or increment, not '{other}'"),
            },
            SettleMilliseconds: int.Parse(Option(args, "--settle-ms", "1000"), CultureInfo.InvariantCulture),
            Sections: Option(args, "--sections", "writes,incrementals,restore,barrier")!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        if (o.Sections.Except(["writes", "incrementals", "restore", "barrier", "directread"]).FirstOrDefault() is { } unknown)
        {
            throw new ArgumentException($"--sections takes writes, incrementals, restore, barrier and directread, not '{unknown}'");
        }

        o = o with { Updates = o.Updates >= 0 ? o.Updates : o.Keys / 100 };
        string dir = CheckpointWorkload.NewDirectory(Option(args, "--dir", null), "checkpoint-bench");
        try
        {
            return new Runner(o, dir).Run();
        }
        finally
        {
            if (args.Contains("--keep"))
            {
                Console.WriteLine($"Kept {dir}");
            }
            else
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    private sealed record Settings(long Keys, int Rounds, long Updates, int Reps, int Samples, int WritesBetween, UpdateKind Kind, int SettleMilliseconds, string[] Sections)
    {
        public bool Runs(string section) => Sections.Contains(section);
    }

    private sealed partial class Runner(Settings o, string dir)
    {
        private readonly CheckpointOptions _options = CheckpointWorkload.Options(dir);
        private readonly ShardFiles _files = new(dir, CheckpointWorkload.Options(dir).Shard);
        private readonly byte[] _chunk = SequentialIo.NewChunk();
        private long _nextId = 1;
        private int _valueRound;

        public int Run()
        {
            Console.WriteLine($"Checkpoint bench: {o.Keys:N0} keys × {CheckpointWorkload.RecordBytes} B records (8 B key + 24 B value), " +
                $"{o.Rounds} rounds × {o.Updates:N0} uniform updates ({o.Kind}), {o.Reps} reps, {o.Samples} barrier samples, seed {BenchKeys.Seed}");
            Console.WriteLine($"Directory {dir} on {MountOf(dir)}; {Environment.ProcessorCount} CPUs; .NET {Environment.Version}; " +
                $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; MB = 10^6 bytes");

            using StateStore store = StateStore.Open(BenchKeys.Options);
            long started = Stopwatch.GetTimestamp();
            CheckpointWorkload.Load(store, o.Keys);
            StoreStatistics stats = store.Statistics;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Loaded in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s: {stats.Pages:N0} pages of {store.Options.PageSize} B " +
                $"({(double)stats.Pages * store.Options.PageSize / Mb:F0} MB, {(double)o.Keys * CheckpointWorkload.RecordBytes / stats.Pages / store.Options.PageSize:P0} of it logical record bytes)"));

            var summary = new Summary();
            using (Checkpointer checkpointer = Checkpointer.Open(store, _options))
            {
                WarmFull(checkpointer, "first full checkpoint (warm-up, not counted)");
                if (o.Runs("writes"))
                {
                    MeasureWrites(store, checkpointer, summary);
                }

                if (o.Runs("incrementals"))
                {
                    MeasureIncrementals(store, checkpointer, summary);
                }
            }

            // Restore takes the shard's lock, so the writer's checkpointer is closed meanwhile; the
            // live store still holds exactly the newest confirmed checkpoint's content.
            if (o.Runs("restore"))
            {
                MeasureRestore(store, summary);
            }

            if (o.Runs("directread"))
            {
                CheckpointEntry newest = CatalogReader.Read(_files).Catalog.NewestConfirmed!;
                DirectReadEstimate(newest.PageCount, _files.DataPath(newest.Chain[0]));
            }

            if (o.Runs("barrier"))
            {
                using Checkpointer checkpointer = Checkpointer.Open(store, _options);
                // A reopened checkpointer's first checkpoint is full; the samples are then incrementals on it.
                WarmFull(checkpointer, "full checkpoint after reopening (base of the barrier samples, not counted)");
                MeasureBarrier(store, checkpointer, summary);
            }

            summary.Print(o);
            return !o.Runs("restore") || summary.Verified ? 0 : 1;
        }

        private void WarmFull(Checkpointer checkpointer, string what)
        {
            Checkpoint full = Take(checkpointer, full: true);
            checkpointer.Confirm(full.Result.Id);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{char.ToUpperInvariant(what[0])}{what[1..]}: {full.Result.Bytes:N0} B, {full.Result.Pages:N0} records, " +
                $"{full.Total.TotalSeconds:F2} s = {full.Result.Bytes / full.Total.TotalSeconds / Mb:F0} MB/s"));
        }

        /// <summary>Full checkpoints against plain writes of the same length.</summary>
        private void MeasureWrites(StateStore store, Checkpointer checkpointer, Summary summary)
        {
            Console.WriteLine();
            Console.WriteLine("## Full checkpoint write vs plain sequential write (same bytes, same directory, fsync)");
            Console.WriteLine();
            Console.WriteLine("| rep | order | checkpoint bytes | checkpoint s | checkpoint MB/s | plain write (this process) s | MB/s | plain write (dd, own process) s | MB/s | " +
                "checkpoint ÷ faster plain | no disk (tmpfs): DataFileWriter MB/s | no disk (tmpfs): plain write MB/s |");
            Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            string plainPath = Path.Combine(dir, "plain-write.bin");
            for (int rep = 0; rep < o.Reps; rep++)
            {
                bool checkpointFirst = rep % 2 == 0;
                Checkpoint full = default;
                TimeSpan plain = default;
                TimeSpan? dd = null;
                for (int step = 0; step < 3; step++)
                {
                    Settle();
                    // The length of the previous full checkpoint: identical every time (same state).
                    long bytes = full.Result?.Bytes ?? checkpointer.Catalog.NewestConfirmed!.Bytes;
                    if (step == (checkpointFirst ? 0 : 2))
                    {
                        full = Take(checkpointer, full: true);
                        checkpointer.Confirm(full.Result.Id);
                    }
                    else if (step == 1)
                    {
                        plain = SequentialIo.Write(plainPath, bytes, _chunk);
                        File.Delete(plainPath);
                    }
                    else
                    {
                        dd = SequentialIo.WriteWithDd(plainPath, bytes);
                        File.Delete(plainPath);
                    }
                }

                (double writerToMemory, double plainToMemory) = WriteToMemory(store, full.Result!.Bytes);
                summary.WriterToMemory.Add(writerToMemory);
                double checkpointRate = full.Result!.Bytes / full.Total.TotalSeconds / Mb;
                double plainRate = full.Result.Bytes / plain.TotalSeconds / Mb;
                double ddRate = dd is { } ddTime ? full.Result.Bytes / ddTime.TotalSeconds / Mb : double.NaN;
                double reference = double.IsNaN(ddRate) ? plainRate : Math.Max(plainRate, ddRate);
                summary.CheckpointWrite.Add(checkpointRate);
                summary.PlainWrite.Add(reference);
                summary.WriteRatio.Add(checkpointRate / reference);
                summary.FullBytes = full.Result.Bytes;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {rep + 1} | {(checkpointFirst ? "checkpoint first" : "plain first")} | {full.Result.Bytes:N0} | {full.Total.TotalSeconds:F2} | {checkpointRate:F0} | " +
                    $"{plain.TotalSeconds:F2} | {plainRate:F0} | {dd?.TotalSeconds ?? double.NaN:F2} | {ddRate:F0} | {checkpointRate / reference:F2} | {writerToMemory:F0} | {plainToMemory:F0} |"));
            }
        }

        /// <summary>
        /// The writer's own speed with no disk under it: DataFileWriter (the code a full checkpoint
        /// runs, records, checksums and all) writing a fresh frozen version to tmpfs, and a plain
        /// write of the same bytes to tmpfs. NaN when /dev/shm is missing.
        /// </summary>
        private (double Writer, double Plain) WriteToMemory(StateStore store, long bytes)
        {
            if (!Directory.Exists("/dev/shm"))
            {
                return (double.NaN, double.NaN);
            }

            string path = Path.Combine("/dev/shm", $"checkpoint-bench-{Environment.ProcessId}.ckd");
            try
            {
                Settle();
                FrozenVersion frozen = store.Freeze();
                double writer;
                try
                {
                    var header = new DataFileHeader(new CheckpointId(long.MaxValue), CheckpointId.None, frozen.Version.Value, frozen.PageCount,
                        frozen.PageSize, frozen.MaxParallelism, CheckpointKind.Full);
                    long t0 = Stopwatch.GetTimestamp();
                    Snapshot.Writing.WrittenFile written = Snapshot.Writing.DataFileWriter.WriteAsync(frozen, header, Epoch.None, path, () => false).GetAwaiter().GetResult();
                    writer = written.Length / Stopwatch.GetElapsedTime(t0).TotalSeconds / Mb;
                }
                finally
                {
                    frozen.Release();
                    File.Delete(path);
                }

                Settle();
                double plain = bytes / SequentialIo.Write(path, bytes, _chunk).TotalSeconds / Mb;
                return (writer, plain);
            }
            finally
            {
                File.Delete(path);
            }
        }

        /// <summary>Rounds of uniform updates, each checkpointed incrementally and confirmed; the data files are dissected.</summary>
        private void MeasureIncrementals(StateStore store, Checkpointer checkpointer, Summary summary)
        {
            Console.WriteLine();
            Console.WriteLine($"## Incremental checkpoints: {o.Rounds} rounds of {o.Updates:N0} uniform updates ({o.Kind}) each");
            Console.WriteLine();
            Console.WriteLine("| round | distinct keys | logical B | checkpoint B | ratio | records (extents / granules / full) | " +
                "record headers B | extent prefixes and batch entry heads B | page bytes B: extents + granules/pages | header+trailer B | barrier sync µs | barrier→committed ms | update ops/s | B allocated by updates |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            var random = new Random(BenchKeys.Seed);
            ulong[] touched = CheckpointWorkload.NewBitmap(o.Keys);
            for (int round = 1; round <= o.Rounds; round++)
            {
                Array.Clear(touched);
                _valueRound++;
                long a0 = GC.GetAllocatedBytesForCurrentThread();
                long t0 = Stopwatch.GetTimestamp();
                long distinct = CheckpointWorkload.Update(store, random, o.Updates, o.Keys, _valueRound, o.Kind, touched);
                TimeSpan updating = Stopwatch.GetElapsedTime(t0);
                long allocated = GC.GetAllocatedBytesForCurrentThread() - a0;
                Checkpoint delta = Take(checkpointer, full: false);
                checkpointer.Confirm(delta.Result.Id);
                if (delta.Result.Kind != CheckpointKind.Incremental)
                {
                    Console.WriteLine($"round {round} wrote a {delta.Result.Kind} checkpoint, not an incremental one; skipped");
                    continue;
                }

                FileShape shape = Dissect(_files.DataPath(checkpointer.Catalog.Checkpoint(delta.Result.Id)!.OwnFile));
                long logical = distinct * CheckpointWorkload.RecordBytes;
                double ratio = (double)delta.Result.Bytes / logical;
                summary.DeltaBytes.Add(delta.Result.Bytes);
                summary.LogicalBytes.Add(logical);
                summary.DeltaRatio.Add(ratio);
                summary.RoundShapes.Add(shape);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {round} | {distinct:N0} | {logical:N0} | {delta.Result.Bytes:N0} | {ratio:F3} | {shape.Records:N0} ({shape.ExtentRecords:N0} / {shape.GranuleRecords:N0} / {shape.FullPageRecords:N0}) | " +
                    $"{shape.HeaderBytes:N0} | {shape.PrefixBytes:N0} | {shape.PageBytes:N0}: {shape.ExtentBytes:N0} + {shape.PageBytes - shape.ExtentBytes:N0} | {DataFileHeader.Size + DataFileTrailer.Size} | " +
                    $"{delta.Sync.TotalMicroseconds:F1} | {delta.Total.TotalMilliseconds:F1} | {o.Updates / updating.TotalSeconds:N0} | {allocated:N0} |"));
            }
        }

        /// <summary>Barrier, wait for the durable commit (Confirm is left to the caller).</summary>
        private Checkpoint Take(Checkpointer checkpointer, bool full)
        {
            var id = new CheckpointId(_nextId++);
            long t0 = Stopwatch.GetTimestamp();
            Task<CheckpointResult> task = checkpointer.Barrier(id, full);
            long t1 = Stopwatch.GetTimestamp();
            CheckpointResult result = task.GetAwaiter().GetResult();
            long t2 = Stopwatch.GetTimestamp();
            return new Checkpoint(result, Stopwatch.GetElapsedTime(t0, t1), Stopwatch.GetElapsedTime(t0, t2));
        }

        private void Write(StateStore store, Random random, int count)
        {
            Span<byte> key = stackalloc byte[CheckpointWorkload.KeyBytes];
            Span<byte> value = stackalloc byte[CheckpointWorkload.ValueBytes];
            _valueRound++;
            for (int i = 0; i < count; i++)
            {
                long id = random.NextInt64(o.Keys);
                BenchKeys.Write(key, id);
                CheckpointWorkload.FillValue(value, id, _valueRound);
                store.Put(key, value);
            }
        }

        /// <summary>
        /// A quiet start for each timed I/O: sync(2) waits for earlier writeback and the journal
        /// commit of earlier unlinks (whose discards the mount issues), then the flusher's
        /// spare-file fsync gets time to finish.
        /// </summary>
        private void Settle()
        {
            SequentialIo.SyncAll();
            Thread.Sleep(o.SettleMilliseconds);
        }
    }

    /// <summary>Splits a data file's bytes by what they are.</summary>
    private static FileShape Dissect(string path)
    {
        var shape = new FileShape();
        using DataFileReader reader = DataFileReader.Open(path);
        long lastRecord = -1;
        while (reader.MoveNext())
        {
            PageRecordHeader record = reader.Current;
            shape.Records++;
            if (reader.CurrentRecordOffset != lastRecord)
            {
                lastRecord = reader.CurrentRecordOffset;
                shape.HeaderBytes += PageRecordHeader.Size; // a batch's header once, for all its pages
            }

            switch (record.Kind)
            {
                case PageRecordKind.FullPage:
                    shape.FullPageRecords++;
                    shape.PageBytes += record.PayloadLength;
                    break;
                case PageRecordKind.Granules:
                    shape.GranuleRecords++;
                    shape.PageBytes += record.PayloadLength;
                    break;
                default:
                    shape.ExtentRecords++;
                    ReadOnlySpan<byte> payload = reader.CurrentPayload;
                    long extentBytes = 0;
                    for (int at = 0; at < payload.Length;)
                    {
                        int length = BinaryPrimitives.ReadUInt16LittleEndian(payload[(at + 2)..]);
                        shape.Extents++;
                        extentBytes += length;
                        at += PageRecordHeader.ExtentPrefixSize + length;
                    }

                    shape.PageBytes += extentBytes;
                    shape.ExtentBytes += extentBytes;
                    shape.PrefixBytes += record.InBatch ? record.EntryLength - extentBytes : payload.Length - extentBytes;
                    break;
            }
        }

        return shape;
    }

    private sealed class FileShape
    {
        /// <summary>Pages (a batch holds many).</summary>
        public long Records;
        public long HeaderBytes;
        public long PrefixBytes;
        public long ExtentRecords;
        public long GranuleRecords;
        public long FullPageRecords;
        public long Extents;
        public long PageBytes;
        public long ExtentBytes;
    }

    [StructLayout(LayoutKind.Auto)]
    private readonly record struct Checkpoint(CheckpointResult Result, TimeSpan Sync, TimeSpan Total);

    private readonly record struct Percentiles(double P50, double P90, double P99, double P999, double Max)
    {
        public static Percentiles Of(double[] samples)
        {
            double[] sorted = samples.Order().ToArray();
            return new Percentiles(P(sorted, 50), P(sorted, 90), P(sorted, 99), P(sorted, 99.9), sorted[^1]);
        }

        /// <summary>Nearest-rank percentile of sorted samples.</summary>
        private static double P(double[] sorted, double percentile)
        {
            int rank = (int)Math.Ceiling(percentile / 100 * sorted.Length);
            return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
        }

        public override string ToString() => $"{Ns(P50)} / {Ns(P99)} / {Ns(Max)}";
    }

    /// <summary>Everything the final table needs.</summary>
    private sealed class Summary
    {
        public List<long> DeltaBytes { get; } = [];
        public List<long> LogicalBytes { get; } = [];
        public List<double> DeltaRatio { get; } = [];
        public List<FileShape> RoundShapes { get; } = [];
        public List<double> CheckpointWrite { get; } = [];
        public List<double> PlainWrite { get; } = [];
        public List<double> WriteRatio { get; } = [];
        public List<double> Restore { get; } = [];
        public List<double> VerifyRead { get; } = [];
        public List<double> PlainRead { get; } = [];
        public List<double> RestoreRatio { get; } = [];
        public List<double> WarmMemoryRestore { get; } = [];
        public List<double> WarmMemoryRestoreRatio { get; } = [];
        public List<double> FreshMemoryRead { get; } = [];
        public List<double> FreshMemoryRestoreRatio { get; } = [];
        public List<double> WriterToMemory { get; } = [];
        public List<RestorePhase> Phases { get; } = [];
        public double WarmRestoreRatio { get; set; } = double.NaN;
        public long FullBytes { get; set; }
        public long ChainBytes { get; set; }
        public int ChainFiles { get; set; }
        public Percentiles Barrier { get; set; }
        public Percentiles Freeze { get; set; }
        public Percentiles FreezeRelease { get; set; }
        public Percentiles Reported { get; set; }
        public Percentiles Wake { get; set; }
        public double BarrierAllocated { get; set; }
        public bool Verified { get; set; }

        /// <summary>The summary rows of the sections that ran.</summary>
        public void Print(Settings o)
        {
            Console.WriteLine();
            Console.WriteLine("## Summary (medians; ratios are medians of per-round / per-rep ratios)");
            Console.WriteLine();
            Console.WriteLine("| target | measured | reference (same run) | ratio | bound | verdict |");
            Console.WriteLine("|---|---:|---:|---:|---:|---|");
            if (o.Runs("incrementals"))
            {
                PrintIncrementals();
            }

            if (o.Runs("writes"))
            {
                PrintWrites();
            }

            if (o.Runs("restore"))
            {
                PrintRestore();
            }

            if (o.Runs("barrier"))
            {
                PrintBarrier();
            }
        }

        private void PrintIncrementals()
        {
            double deltaRatio = Median(DeltaRatio);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| bytes per incremental checkpoint | {Median(DeltaBytes):N0} B | {Median(LogicalBytes):N0} B logical changed | {deltaRatio:F3} | ≤ 1.5 | {Verdict(deltaRatio <= 1.5)} |"));
        }

        private void PrintWrites()
        {
            double writeRatio = Median(WriteRatio);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| full checkpoint write ({FullBytes:N0} B) | {Median(CheckpointWrite):F0} MB/s | {Median(PlainWrite):F0} MB/s plain write+fsync (the faster of this process and dd, per rep) | {writeRatio:F2} | ≥ 0.80 | {Verdict(writeRatio >= 0.8)} |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| (full checkpoint write, best rep: checkpoint / plain) | {CheckpointWrite.Max():F0} MB/s | {PlainWrite.Max():F0} MB/s | {CheckpointWrite.Max() / PlainWrite.Max():F2} | | DataFileWriter to tmpfs (no disk): {Median(WriterToMemory):F0} MB/s |"));
        }

        private void PrintRestore()
        {
            double restoreRatio = Median(RestoreRatio);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| restore, cold ({ChainFiles} files, {ChainBytes:N0} B) | {Median(Restore):F0} MB/s | {Median(PlainRead):F0} MB/s plain read | {restoreRatio:F2} | ≥ 0.70 | {Verdict(restoreRatio >= 0.7)} |"));
            double warmRatio = Median(WarmMemoryRestoreRatio);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| (the same restore on warm memory: a store of the same size built and freed just before) | {Median(WarmMemoryRestore):F0} MB/s | {Median(PlainRead):F0} MB/s plain read | {warmRatio:F2} | ≥ 0.70 | {Verdict(warmRatio >= 0.7)} |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| (the cold restore against a plain read into fresh memory of the same size: what this host allows a reader that needs the memory) | {Median(Restore):F0} MB/s | " +
                $"{Median(FreshMemoryRead):F0} MB/s plain read into fresh memory | {Median(FreshMemoryRestoreRatio):F2} | (≥ 0.70) | {Verdict(Median(FreshMemoryRestoreRatio) >= 0.7)} |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| (cold restore's seconds: BeginRestore / read+verify+patch / Complete) | {Median(Phases.Select(p => p.Allocate).ToList()):F2} / " +
                $"{Median(Phases.Select(p => p.Apply).ToList()):F2} / {Median(Phases.Select(p => p.Complete).ToList()):F2} | " +
                $"plain read {ChainBytes / Median(PlainRead) / Mb:F2} s, read+verify {ChainBytes / Median(VerifyRead) / Mb:F2} s | | | |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| restore, cached (1 pass) | | | {WarmRestoreRatio:F2} | (≥ 0.70) | {Verdict(WarmRestoreRatio >= 0.7)} |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| restored content = live content | {(Verified ? "yes" : "NO")} | | | | {Verdict(Verified)} |"));
        }

        private void PrintBarrier()
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| barrier sync part p50 / p99 / max | {Barrier} | Freeze+Release {FreezeRelease} (Freeze alone {Freeze}) | p50 {Barrier.P50 / FreezeRelease.P50:F2}×, p99 {Barrier.P99 / FreezeRelease.P99:F2}× | unchanged | {Ns(Barrier.P50 - FreezeRelease.P50)} more at p50, {Ns(Barrier.P99 - FreezeRelease.P99)} at p99; {BarrierAllocated:F0} B allocated per Barrier |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| (Barrier's own SyncDuration p50 / p99 / max) | {Reported} | (reference: waking a parked thread {Wake}) | | | |"));
        }

        private static string Verdict(bool met) => met ? "met" : "**missed**";

        private static double Median(List<double> values)
        {
            double[] sorted = values.Order().ToArray();
            return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }

        private static double Median(List<long> values) => Median(values.Select(v => (double)v).ToList());
    }

    private static string Ns(double ns) => Math.Abs(ns) >= 10_000
        ? string.Create(CultureInfo.InvariantCulture, $"{ns / 1000:F1} µs")
        : string.Create(CultureInfo.InvariantCulture, $"{ns:F0} ns");

    private static double TimerOverheadNs()
    {
        var deltas = new double[10_000];
        for (int i = 0; i < deltas.Length; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            long t1 = Stopwatch.GetTimestamp();
            deltas[i] = Stopwatch.GetElapsedTime(t0, t1).TotalNanoseconds;
        }

        Array.Sort(deltas);
        return deltas[deltas.Length / 2];
    }

    /// <summary>The mount (device, file system) holding <paramref name="path"/>, from /proc/mounts.</summary>
    private static string MountOf(string path)
    {
        try
        {
            string full = Path.GetFullPath(path);
            string[]? best = null;
            foreach (string line in File.ReadLines("/proc/mounts"))
            {
                string[] fields = line.Split(' ');
                if (fields.Length > 2 && full.StartsWith(fields[1], StringComparison.Ordinal) && (best is null || fields[1].Length > best[1].Length))
                {
                    best = fields;
                }
            }

            return best is null ? "an unknown file system" : $"{best[0]} ({best[2]}, mounted at {best[1]})";
        }
        catch (IOException)
        {
            return "an unknown file system";
        }
    }

    [return: NotNullIfNotNull(nameof(fallback))]
    private static string? Option(string[] args, string name, string? fallback)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
    }
}
