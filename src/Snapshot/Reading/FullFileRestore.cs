using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Snapshot.Format;
using Store;
using Store.Diagnostics;
using Store.Pages;

namespace Snapshot.Reading;

/// <summary>
/// Restores a full checkpoint's data file straight into the new store's pages. The format fixes a
/// full file's layout (FORMAT.md): record i is page i's full image, at offset 64 + i·(20 +
/// pageSize). So one scatter read per batch can put each record's 20-byte header in a small buffer
/// and its page image directly into the page's frame. A second thread issues those reads, while
/// this thread verifies the batch before: the header fields and the checksum over header and
/// image. Then this thread patches the batch's pages with the chain's deltas (<see cref="ChainPatcher"/>).
/// </summary>
/// <remarks>
/// <para>Why: the streaming reader touches every byte three times (the kernel's copy out of the page
/// cache, the checksum, the copy into the frame) and this path twice, on two cores. The full file
/// is nearly all of a restore's bytes.</para>
/// <para>Why the restore's per-batch and per-record methods (here, in <see cref="ChainPatcher"/>,
/// <see cref="DataFileReader"/>, the record formats and the store's loader) are marked
/// AggressiveOptimization: a process restores once, at start. Under tiered compilation those
/// methods would run as unoptimized tier-0 code until 30 calls and a background re-compile later,
/// which is a good part of a 0.4 s restore (perf/HISTORY.md, "The restore as tier-0 code").</para>
/// <para>Invariant: the read thread has finished before <see cref="Apply"/> returns or throws,
/// because the pages it writes belong to a store that an abandoned restore disposes.</para>
/// </remarks>
internal static class FullFileRestore
{
    private const int PagesPerBatch = 64;
    private const int BatchesAhead = 4;

    /// <summary>Whether the file's header and trailer promise the fixed full-file layout (what makes <see cref="Apply"/> possible).</summary>
    public static bool Fits(DataFileHeader header, DataFileTrailer trailer) =>
        header.Kind == CheckpointKind.Full
        && trailer.RecordCount == header.PageCount
        && trailer.RecordBytes == (long)header.PageCount * (PageRecordHeader.Size + header.PageSize);

    /// <summary>
    /// Reads and verifies every page of the file into <paramref name="loader"/>, and after each
    /// batch applies the <paramref name="deltas"/> of its pages; throws the corruption exception for
    /// the first bad record.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
    public static void Apply(CheckedDataFile file, string path, StoreLoader loader, ChainPatcher deltas)
    {
        DataFileHeader header = file.Header;
        int recordSize = PageRecordHeader.Size + header.PageSize;
        uint pages = header.PageCount;
        int batchCount = (int)((pages + PagesPerBatch - 1) / PagesPerBatch);
        var requests = new BlockingCollection<Batch>();
        var ring = new Batch[BatchesAhead + 1];
        for (int i = 0; i < ring.Length; i++)
        {
            ring[i] = new Batch();
        }

        Task reader = Task.Factory.StartNew(() => ReadBatches(file, requests), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var hasher = new XxHash3();
        try
        {
            int submitted = 0;
            for (int b = 0; b < batchCount; b++)
            {
                // Keep BatchesAhead reads queued in front of the batch being verified.
                for (; submitted < batchCount && submitted <= b + BatchesAhead - 1; submitted++)
                {
                    Batch next = ring[submitted % ring.Length];
                    next.Prepare(loader, submitted, pages, recordSize);
                    requests.Add(next);
                }

                Batch batch = ring[b % ring.Length];
                batch.Done.Wait();
                batch.Failure?.Throw();
                Verify(batch, path, header, recordSize, hasher);
                deltas.ApplyBelow(batch.FirstPage + (uint)batch.Pages); // the batch's pages are in cache now, and no read is filling them
            }
        }
        finally
        {
            requests.CompleteAdding();
            reader.Wait(); // the read thread ends after the batches already queued (at most BatchesAhead); see the invariant
            requests.Dispose();
            foreach (Batch batch in ring)
            {
                batch.Done.Dispose();
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
    private static void ReadBatches(CheckedDataFile file, BlockingCollection<Batch> requests)
    {
        foreach (Batch batch in requests.GetConsumingEnumerable())
        {
            try
            {
                ReadFully(file, batch);
            }
            catch (Exception e)
            {
                // Rethrown on the verifying thread, which would otherwise wait for this batch forever.
                batch.Failure = ExceptionDispatchInfo.Capture(e);
            }

            batch.Done.Set();
        }
    }

    /// <summary>One scatter read for the batch, continued where a short read stopped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
    private static void ReadFully(CheckedDataFile file, Batch batch)
    {
        long wanted = batch.Bytes;
        long done = RandomAccess.Read(file.Handle, batch.Buffers, batch.Offset);
        while (done < wanted)
        {
            // Rare (a signal, or the file cut short under us): read the rest buffer by buffer.
            long skipped = 0;
            foreach (Memory<byte> buffer in batch.Buffers)
            {
                if (skipped + buffer.Length > done)
                {
                    int from = (int)(done - skipped);
                    int read = RandomAccess.Read(file.Handle, buffer.Span[from..], batch.Offset + done);
                    if (read == 0)
                    {
                        batch.Short = true;
                        return;
                    }

                    done += read;
                    break;
                }

                skipped += buffer.Length;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
    private static void Verify(Batch batch, string path, DataFileHeader header, int recordSize, XxHash3 hasher)
    {
        if (batch.Short)
        {
            throw new StoreCorruptedException("the file ended inside a record", path, batch.Offset, null);
        }

        for (int i = 0; i < batch.Pages; i++)
        {
            uint page = batch.FirstPage + (uint)i;
            long offset = DataFileHeader.Size + (long)page * recordSize;

            ReadOnlySpan<byte> recordHeader = batch.Headers.AsSpan(i * PageRecordHeader.Size, PageRecordHeader.Size);
            ReadOnlySpan<byte> image = batch.Buffers[(2 * i) + 1].Span;
            PageRecordHeader parsed = PageRecordHeader.Read(recordHeader, path, offset, header.PageSize);
            if (parsed.PayloadLength != header.PageSize)
            {
                throw new StoreCorruptedException(
                    $"record {page} of a full checkpoint has a {parsed.PayloadLength}-byte payload; a full page is {header.PageSize} bytes",
                    path, offset + PageRecordHeader.PayloadLengthOffset, null);
            }

            hasher.Reset();
            hasher.Append(recordHeader[PageRecordHeader.PageIdOffset..]);
            hasher.Append(image);
            uint stored = BinaryPrimitives.ReadUInt32LittleEndian(recordHeader);
            uint actual = (uint)hasher.GetCurrentHashAsUInt64();
            if (stored != actual)
            {
                throw new StoreCorruptedException($"page record checksum is 0x{stored:X8}, computed 0x{actual:X8}", path, offset, parsed.Page);
            }

            if (parsed.Page.Value != page || parsed.Kind != PageRecordKind.FullPage)
            {
                throw new StoreCorruptedException(
                    $"record {page} of a full checkpoint must be the full image of page {page}; it is kind {(byte)parsed.Kind} of {parsed.Page}",
                    path, offset + PageRecordHeader.PageIdOffset, parsed.Page);
            }
        }
    }

    /// <summary>One scatter read: a run of consecutive records, headers into <see cref="Headers"/>, images into their pages.</summary>
    private sealed class Batch
    {
        // Pinned for the batch's life, and handed to the reads as pre-pinned memory: a plain array's
        // Memory takes a pinning GC handle per header per read (64 per batch). In the checkpoint
        // bench's process, reads of this shape with per-read handles took 0.42–0.56 s for the 549 MB
        // full file in 13 of 18 reps, and 0.13–0.16 s in every rep with pre-pinned headers
        // (perf/HISTORY.md, "What direct reads of page images would give").
        public readonly byte[] Headers = GC.AllocateArray<byte>(PagesPerBatch * PageRecordHeader.Size, pinned: true);
        public readonly List<Memory<byte>> Buffers = new(2 * PagesPerBatch);
        public readonly ManualResetEventSlim Done = new();
        public uint FirstPage;
        public int Pages;
        public long Offset;
        public long Bytes;
        public bool Short;
        public ExceptionDispatchInfo? Failure;

        /// <summary>Fills the read list for batch <paramref name="index"/> (creating its pages in the store: the loader's thread only).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
        public void Prepare(StoreLoader loader, int index, uint pageCount, int recordSize)
        {
            FirstPage = (uint)index * PagesPerBatch;
            Pages = (int)Math.Min(PagesPerBatch, pageCount - FirstPage);
            Offset = DataFileHeader.Size + ((long)FirstPage * recordSize);
            Bytes = (long)Pages * recordSize;
            Short = false;
            Failure = null;
            Done.Reset();
            Buffers.Clear();
            for (int i = 0; i < Pages; i++)
            {
                Buffers.Add(MemoryMarshal.CreateFromPinnedArray(Headers, i * PageRecordHeader.Size, PageRecordHeader.Size));
                Buffers.Add(loader.PageMemory(new PageId(FirstPage + (uint)i)));
            }
        }
    }
}
