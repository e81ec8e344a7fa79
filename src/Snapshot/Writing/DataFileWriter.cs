using System.Diagnostics;
using System.IO.Pipelines;
using System.Numerics;
using Snapshot.Diagnostics;
using Snapshot.Format;
using Store.Index;
using Store.Pages;
using Store.Storage;
using Store.Versioning;

namespace Snapshot.Writing;

/// <summary>
/// Writes one frozen version to a data file: header, the records of the pages written since the
/// base (in page-id order), trailer, then fsync. Page bytes go from the frozen frames straight into
/// pooled pipe segments, and the pipe hands the file large sequential writes.
/// </summary>
/// <remarks>
/// Encoding per dirty page, smallest first: its exact byte extents as an entry of a page batch when
/// the store still knows them (sparse updates), else a record of its dirty granules, else a full
/// page record when all 64 are dirty. Consecutive batched pages share one batch record. A full
/// checkpoint writes every page whole, one record per page.
/// </remarks>
internal static class DataFileWriter
{
    /// <summary>Segments of the pipe: large enough that each write(2) moves a worthwhile amount.</summary>
    private const int SegmentSize = 256 * 1024;

    /// <summary>Buffered bytes that trigger a flush to the file: 1 MiB writes run at the disk's sequential speed.</summary>
    private const int FlushThreshold = 1024 * 1024;

    /// <summary>
    /// Every this many bytes written, the kernel is asked to start writing them back. Without it
    /// nothing reaches the disk before the final fsync, and the writer's CPU time (records,
    /// checksums: ~3 GB/s) adds to the disk's time instead of overlapping it.
    /// </summary>
    private const long WritebackChunk = 8L << 20;

    public static async Task<WrittenFile> WriteAsync(
        IFrozenPageSource source, DataFileHeader header, Epoch baseVersion, string path, Func<bool> isCancelled)
    {
        int pageSize = source.PageSize;
        int granuleShift = BitOperations.Log2((uint)source.GranuleSize);
        await using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0);
        PipeWriter pipe = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: SegmentSize, leaveOpen: true));
        try
        {
            header.Write(pipe.GetSpan(DataFileHeader.Size));
            pipe.Advance(DataFileHeader.Size);

            long records = 0;     // records of their own; the batches count theirs
            long pages = 0;
            long writebackStart = 0;
            long granules = 0;
            long recordBytes = 0;
            uint minGroup = uint.MaxValue;
            uint maxGroup = 0;
            bool full = header.Kind == CheckpointKind.Full;
            byte[] keyGroupBytes = new byte[2];
            var batches = new PageBatchWriter(pipe, pageSize, header.Version);
            // Streamed: each page is read (key group, then its record) before the next is listed, and
            // nothing else is read, so the store need not copy pages this file has already passed.
            foreach (DirtyPage dirty in source.StreamDirtyPagesSince(full ? Epoch.None : baseVersion))
            {
                if (isCancelled())
                {
                    throw new OperationCanceledException($"{header.Checkpoint} was aborted while its data file was being written.");
                }

                source.CopyPage(dirty.Page, PageHeader.KeyGroupOffset, keyGroupBytes);
                ushort keyGroup = (ushort)(keyGroupBytes[0] | (keyGroupBytes[1] << 8));
                int recordLength = WritePage(pipe, batches, source, dirty, keyGroup, full, pageSize, granuleShift, out ulong mask);
                records += recordLength > 0 ? 1 : 0;
                recordBytes += recordLength;
                pages++;
                granules += BitOperations.PopCount(mask);
                if (keyGroup != PageHeader.StoreWideKeyGroup)
                {
                    minGroup = Math.Min(minGroup, keyGroup);
                    maxGroup = Math.Max(maxGroup, keyGroup);
                }

                if (pipe.UnflushedBytes >= FlushThreshold)
                {
                    // Sealed batches count toward the threshold; the open one is sealed here, since
                    // nothing may stay open in the pipe's buffer across a flush.
                    batches.Seal();
                    await pipe.FlushAsync().ConfigureAwait(false);
                    long written = stream.Position;
                    if (written - writebackStart >= WritebackChunk)
                    {
                        Writeback.Start(stream.SafeFileHandle, writebackStart, written - writebackStart);
                        writebackStart = written;
                    }
                }

                if ((pages & 63) == 0)
                {
                    FaultPoints.Hit(FaultPoints.DataRecords);
                }
            }

            batches.Seal();
            records += batches.Records;
            recordBytes += batches.Bytes;
            new DataFileTrailer(records, recordBytes, granules, minGroup, maxGroup, pages).Write(pipe.GetSpan(DataFileTrailer.Size));
            pipe.Advance(DataFileTrailer.Size);
            await pipe.FlushAsync().ConfigureAwait(false);
            await pipe.CompleteAsync().ConfigureAwait(false);
            FaultPoints.Hit(FaultPoints.DataWritten);
            stream.Flush(flushToDisk: true); // fsync 1 of the 2 on a checkpoint's critical path
            FaultPoints.Hit(FaultPoints.DataSynced);
            return new WrittenFile(DataFileHeader.Size + recordBytes + DataFileTrailer.Size, pages, granules);
        }
        catch (Exception e)
        {
            await pipe.CompleteAsync(e).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Writes one page: as an entry of the open batch, or as a record of its own after sealing the
    /// batch. Returns the length of its own record; 0 when it went into a batch (the batch writer
    /// counts its records).
    /// </summary>
    private static int WritePage(
        PipeWriter pipe, PageBatchWriter batches, IFrozenPageSource source, DirtyPage dirty, ushort keyGroup, bool full, int pageSize,
        int granuleShift, out ulong mask)
    {
        DirtyRegion region = dirty.Region;
        mask = full ? ulong.MaxValue : region.Granules;
        int granuleBytes = PageRecordHeader.GranuleMaskSize + (BitOperations.PopCount(mask) << granuleShift);
        if (!full && mask != ulong.MaxValue && region.HasExactExtents)
        {
            Span<(int Offset, int Length)> extents = stackalloc (int, int)[4];
            extents = SortedExtents(region, extents);
            if (batches.EntryLength(dirty.Page, keyGroup, dirty.Written.Value, extents) < PageRecordHeader.Size + granuleBytes)
            {
                if (!batches.TryAppend(source, dirty.Page, keyGroup, dirty.Written.Value, extents))
                {
                    batches.Seal();
                    bool appended = batches.TryAppend(source, dirty.Page, keyGroup, dirty.Written.Value, extents);
                    Debug.Assert(appended, "any entry fits an empty batch");
                }

                return 0;
            }
        }

        batches.Seal();
        PageRecordKind kind;
        int payload;
        if (full || mask == ulong.MaxValue)
        {
            kind = PageRecordKind.FullPage;
            payload = pageSize;
            mask = ulong.MaxValue;
        }
        else
        {
            kind = PageRecordKind.Granules;
            payload = granuleBytes;
        }

        int length = PageRecordHeader.Size + payload;
        Span<byte> record = pipe.GetSpan(length)[..length];
        Span<byte> body = record[PageRecordHeader.Size..];
        if (kind == PageRecordKind.FullPage)
        {
            source.CopyPage(dirty.Page, 0, body);
        }
        else
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(body, mask);
            CopyGranuleRuns(source, dirty.Page, mask, granuleShift, body[PageRecordHeader.GranuleMaskSize..]);
        }

        new PageRecordHeader(dirty.Page, dirty.Written.Value, keyGroup, kind, payload, mask).WriteAndSeal(record);
        pipe.Advance(length);
        return length;
    }

    /// <summary>The region's extents by ascending offset (at most four: an insertion sort), as a batch entry lists them.</summary>
    private static Span<(int Offset, int Length)> SortedExtents(DirtyRegion region, Span<(int Offset, int Length)> extents)
    {
        int count = region.ExtentCount;
        Debug.Assert(count <= extents.Length, "a dirty region keeps at most four extents");
        for (int i = 0; i < count; i++)
        {
            (int Offset, int Length) extent = region.Extent(i);
            int j = i;
            for (; j > 0 && extents[j - 1].Offset > extent.Offset; j--)
            {
                extents[j] = extents[j - 1];
            }

            extents[j] = extent;
        }

        return extents[..count];
    }

    /// <summary>Copies each run of adjacent dirty granules with one call.</summary>
    private static void CopyGranuleRuns(IFrozenPageSource source, PageId page, ulong mask, int granuleShift, Span<byte> destination)
    {
        int at = 0;
        while (GranuleRuns.Next(ref mask, out int start, out int run))
        {
            int bytes = run << granuleShift;
            source.CopyPage(page, start << granuleShift, destination.Slice(at, bytes));
            at += bytes;
        }
    }
}
