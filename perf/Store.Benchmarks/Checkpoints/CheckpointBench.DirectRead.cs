using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Store.Pages;

namespace Store.Benchmarks.Checkpoints;

/// <summary>
/// What a full-file layout with page images on 4 KiB boundaries would buy a restore, measured
/// before building it: the full file's bytes read into a new store's pages in 64-page batches,
/// each batch hashed (XxHash3, as the restore verifies) on this thread after it lands, with the
/// reads issued by N threads, buffered or with O_DIRECT. The file's own layout is ignored: only
/// the I/O into the frames and the checksum pass are timed. The real restore's full-file pass
/// (<c>FullFileRestore</c>) is the row to compare with. Two more modes read the file's own
/// records as that pass does, with the record headers' buffers handed over as plain array
/// memory (a GC handle per buffer per read) or pre-pinned.
/// </summary>
public static partial class CheckpointBench
{
    private sealed partial class Runner
    {
        private const int EstimatePagesPerBatch = 64;
        private const int EstimateBatchesAhead = 16;

        private void DirectReadEstimate(uint pageCount, string fullFile)
        {
            Console.WriteLine();
            Console.WriteLine("### What direct reads of page images would give (the full file's bytes into one store's pages, faulted in before the timed passes, " +
                "64-page reads, each batch hashed on the restoring thread; the file's layout ignored, no deltas)");
            Console.WriteLine();
            Console.WriteLine("| rep | the restore's own full-file pass (FullFileRestore, verified) s | buffered, 1 reader, 1 hashing thread s | buffered, 1 reader, 2 hashing threads s | " +
                "O_DIRECT, 8 readers, 1 hashing thread s | O_DIRECT, 8 readers, 2 hashing threads s | buffered, the file's own records (64-record scatter reads, headers to a buffer), 1 reader, 1 hashing thread s | " +
                "the same, header buffers pre-pinned (MemoryMarshal.CreateFromPinnedArray: no GC handle per read) s |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
            long length = new FileInfo(fullFile).Length;
            uint pages = (uint)Math.Min(pageCount, (length - 4096) / BenchKeys.Options.PageSize);
            ReadMode[] modes =
            [
                new(Direct: false, Readers: 0, Hashers: 1), // the real pass
                new(Direct: false, Readers: 1, Hashers: 1),
                new(Direct: false, Readers: 1, Hashers: 2),
                new(Direct: true, Readers: 8, Hashers: 1),
                new(Direct: true, Readers: 8, Hashers: 2),
                new(Direct: false, Readers: 1, Hashers: 1, Records: true),
                new(Direct: false, Readers: 1, Hashers: 1, Records: true, PrePinned: true),
            ];
            for (int rep = 0; rep < o.Reps; rep++)
            {
                // One store's pages for every mode of the rep, faulted in by an untimed first pass: the
                // modes then differ only in how the bytes reach the pages, not in the memory's history.
                using StoreLoader loader = StateStore.BeginRestore(BenchKeys.Options, pageCount);
                RealFullFilePass(fullFile, loader);
                var seconds = new double[modes.Length];
                for (int step = 0; step < modes.Length; step++)
                {
                    int m = (step + rep) % modes.Length; // rotating order
                    Settle();
                    SequentialIo.DropFromPageCache([fullFile]);
                    seconds[m] = modes[m].Readers == 0
                        ? RealFullFilePass(fullFile, loader)
                        : ReadIntoPages(fullFile, loader, pages, modes[m]);
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {rep + 1} | {seconds[0]:F3} | {seconds[1]:F3} | {seconds[2]:F3} | {seconds[3]:F3} | {seconds[4]:F3} | {seconds[5]:F3} | {seconds[6]:F3} |"));
            }
        }

        /// <summary>Seconds for the restore's own pass over the full file alone (no deltas), into pages the loader already has.</summary>
        private static double RealFullFilePass(string path, StoreLoader loader)
        {
            long started = Stopwatch.GetTimestamp();
            Snapshot.Reading.CheckpointRestorer.ApplyChain([(Snapshot.Reading.DataFileReader.OpenChecked(path, null), path)], loader);
            return Stopwatch.GetElapsedTime(started).TotalSeconds;
        }

        /// <summary>
        /// Seconds to read <paramref name="pages"/> pages of the file into the loader's pages and hash each batch: page-sized
        /// pieces from offset 4096, or with <see cref="ReadMode.Records"/> the file's own full-page records (20-byte header to a
        /// buffer, image into the page) from offset 64, as the real pass reads them.
        /// </summary>
        private static double ReadIntoPages(string path, StoreLoader loader, uint pages, ReadMode mode)
        {
            (bool direct, int readers, int hashers, bool records, bool prePinned) = mode;
            const int RecordHeader = 20;
            int headerBytes = EstimatePagesPerBatch * RecordHeader * (EstimateBatchesAhead + 2);
            byte[] headers = prePinned ? GC.AllocateArray<byte>(headerBytes, pinned: true) : new byte[headerBytes];
            int pageSize = BenchKeys.Options.PageSize;
            long started = Stopwatch.GetTimestamp();
            using SafeFileHandle handle = direct ? SequentialIo.OpenForDirectRead(path) : File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
            int batchCount = (int)((pages + EstimatePagesPerBatch - 1) / EstimatePagesPerBatch);
            var requests = new BlockingCollection<int>();
            var done = new ManualResetEventSlim[batchCount];
            var buffers = new List<Memory<byte>>[batchCount];
            for (int b = 0; b < batchCount; b++)
            {
                done[b] = new ManualResetEventSlim();
            }

            var threads = new Task[readers];
            for (int t = 0; t < readers; t++)
            {
                threads[t] = Task.Factory.StartNew(() =>
                {
                    foreach (int b in requests.GetConsumingEnumerable())
                    {
                        long offset = records
                            ? 64 + ((long)b * EstimatePagesPerBatch * (RecordHeader + pageSize))
                            : 4096 + ((long)b * EstimatePagesPerBatch * pageSize);
                        long wanted = buffers[b].Sum(x => (long)x.Length);
                        if (RandomAccess.Read(handle, buffers[b], offset) != wanted)
                        {
                            throw new InvalidOperationException($"short read at {offset}");
                        }

                        done[b].Set();
                    }
                }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }

            // With two hashing threads, a helper hashes the odd batches and this thread the even ones.
            Task<ulong> helper = hashers == 2
                ? Task.Factory.StartNew(() =>
                {
                    var own = new XxHash3();
                    ulong sum = 0;
                    for (int b = 1; b < batchCount; b += 2)
                    {
                        done[b].Wait();
                        sum ^= HashPages(own, buffers[b]);
                    }

                    return sum;
                }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)
                : Task.FromResult(0UL);
            var hasher = new XxHash3();
            ulong hashes = 0;
            int submitted = 0;
            for (int b = 0; b < batchCount; b++)
            {
                for (; submitted < batchCount && submitted <= b + EstimateBatchesAhead; submitted++)
                {
                    uint first = (uint)submitted * EstimatePagesPerBatch;
                    var list = new List<Memory<byte>>(EstimatePagesPerBatch);
                    for (uint p = first; p < Math.Min(pages, first + EstimatePagesPerBatch); p++)
                    {
                        if (records)
                        {
                            int slot = (int)(((submitted % (EstimateBatchesAhead + 2)) * EstimatePagesPerBatch) + (p - first));
                            list.Add(prePinned
                                ? MemoryMarshal.CreateFromPinnedArray(headers, slot * RecordHeader, RecordHeader)
                                : headers.AsMemory(slot * RecordHeader, RecordHeader));
                        }

                        list.Add(loader.PageMemory(new PageId(p)));
                    }

                    buffers[submitted] = list;
                    requests.Add(submitted);
                }

                if (hashers == 2 && b % 2 == 1)
                {
                    continue;
                }

                done[b].Wait();
                hashes ^= HashPages(hasher, buffers[b]);
            }

            hashes ^= helper.Result;
            requests.CompleteAdding();
            Task.WaitAll(threads);
            double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            GC.KeepAlive(hashes);
            foreach (ManualResetEventSlim e in done)
            {
                e.Dispose();
            }

            return seconds;
        }

        private readonly record struct ReadMode(bool Direct, int Readers, int Hashers, bool Records = false, bool PrePinned = false);

        private static ulong HashPages(XxHash3 hasher, List<Memory<byte>> pages)
        {
            ulong sum = 0;
            foreach (Memory<byte> page in pages)
            {
                hasher.Reset();
                hasher.Append(page.Span);
                sum ^= hasher.GetCurrentHashAsUInt64();
            }

            return sum;
        }
    }
}
