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
/// Writes one frozen version to a data file: header, one record per page written since the base
/// (in page-id order), trailer, then fsync. Page bytes go from the frozen frames straight into
/// pooled pipe segments, and the pipe hands the file large sequential writes.
/// </summary>
/// <remarks>
/// Record choice per dirty page, smallest first: exact byte extents when the store still knows
/// them (sparse updates), else the dirty granules, else the full page when all 64 are dirty. A full
/// checkpoint writes every page whole.
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

            long records = 0;
            long writebackStart = 0;
            long granules = 0;
            long recordBytes = 0;
            uint minGroup = uint.MaxValue;
            uint maxGroup = 0;
            bool full = header.Kind == CheckpointKind.Full;
            byte[] keyGroupBytes = new byte[2];
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
                int length = WriteRecord(pipe, source, dirty, keyGroup, full, pageSize, granuleShift, out ulong mask);
                records++;
                recordBytes += length;
                granules += BitOperations.PopCount(mask);
                if (keyGroup != PageHeader.StoreWideKeyGroup)
                {
                    minGroup = Math.Min(minGroup, keyGroup);
                    maxGroup = Math.Max(maxGroup, keyGroup);
                }

                if (pipe.UnflushedBytes >= FlushThreshold)
                {
                    await pipe.FlushAsync().ConfigureAwait(false);
                    long written = stream.Position;
                    if (written - writebackStart >= WritebackChunk)
                    {
                        Writeback.Start(stream.SafeFileHandle, writebackStart, written - writebackStart);
                        writebackStart = written;
                    }
                }

                if ((records & 63) == 0)
                {
                    FaultPoints.Hit(FaultPoints.DataRecords);
                }
            }

            new DataFileTrailer(records, recordBytes, granules, minGroup, maxGroup).Write(pipe.GetSpan(DataFileTrailer.Size));
            pipe.Advance(DataFileTrailer.Size);
            await pipe.FlushAsync().ConfigureAwait(false);
            await pipe.CompleteAsync().ConfigureAwait(false);
            FaultPoints.Hit(FaultPoints.DataWritten);
            stream.Flush(flushToDisk: true); // fsync 1 of the 2 on a checkpoint's critical path
            FaultPoints.Hit(FaultPoints.DataSynced);
            return new WrittenFile(DataFileHeader.Size + recordBytes + DataFileTrailer.Size, records, granules);
        }
        catch (Exception e)
        {
            await pipe.CompleteAsync(e).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Writes one sealed record into the pipe and returns its length (header included).</summary>
    private static int WriteRecord(
        PipeWriter pipe, IFrozenPageSource source, DirtyPage dirty, ushort keyGroup, bool full, int pageSize, int granuleShift, out ulong mask)
    {
        DirtyRegion region = dirty.Region;
        PageRecordKind kind;
        int payload;
        mask = full ? ulong.MaxValue : region.Granules;
        int granuleBytes = PageRecordHeader.GranuleMaskSize + (BitOperations.PopCount(mask) << granuleShift);
        if (full || mask == ulong.MaxValue)
        {
            kind = PageRecordKind.FullPage;
            payload = pageSize;
            mask = ulong.MaxValue;
        }
        else if (region.HasExactExtents && ExtentPayload(region) < granuleBytes)
        {
            kind = PageRecordKind.Extents;
            payload = ExtentPayload(region);
        }
        else
        {
            kind = PageRecordKind.Granules;
            payload = granuleBytes;
        }

        int length = PageRecordHeader.Size + payload;
        Span<byte> record = pipe.GetSpan(length)[..length];
        Span<byte> body = record[PageRecordHeader.Size..];
        switch (kind)
        {
            case PageRecordKind.FullPage:
                source.CopyPage(dirty.Page, 0, body);
                break;
            case PageRecordKind.Extents:
                for (int i = 0, count = region.ExtentCount; i < count; i++)
                {
                    (int offset, int extentLength) = region.Extent(i);
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(body, (ushort)offset);
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(body[2..], (ushort)extentLength);
                    source.CopyPage(dirty.Page, offset, body.Slice(PageRecordHeader.ExtentPrefixSize, extentLength));
                    body = body[(PageRecordHeader.ExtentPrefixSize + extentLength)..];
                }

                break;
            default:
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(body, mask);
                CopyGranuleRuns(source, dirty.Page, mask, granuleShift, body[PageRecordHeader.GranuleMaskSize..]);
                break;
        }

        new PageRecordHeader(dirty.Page, dirty.Written.Value, keyGroup, kind, payload, mask).WriteAndSeal(record);
        pipe.Advance(length);
        return length;
    }

    private static int ExtentPayload(DirtyRegion region)
    {
        int total = 0;
        for (int i = 0, count = region.ExtentCount; i < count; i++)
        {
            total += PageRecordHeader.ExtentPrefixSize + region.Extent(i).Length;
        }

        return total;
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
