using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;
using Snapshot.Format;
using Store.Diagnostics;
using Store.Pages;

namespace Snapshot.Reading;

/// <summary>
/// Streams the page records of one data file, verifying as it goes: header and trailer checksums
/// first (a truncated file fails before any record is used), then each record's checksum, page id
/// bound and payload shape, and at the end the trailer's counts. Memory use is a few 1 MiB chunks
/// (<see cref="ChunkSource"/>), never the file.
/// </summary>
/// <remarks>
/// <para>A page batch (format 3) is verified whole, then handed out one page at a time: each of its
/// pages is a <see cref="PageRecordKind.Extents"/> record whose payload is re-encoded in the kind-3
/// layout, with <see cref="PageRecordHeader.EntryLength"/> set and <see cref="CurrentOffset"/> at its
/// entry. So callers see one record per page whatever the format.</para>
/// <para>Every failure is a <see cref="StoreCorruptedException"/> naming this file and the offset (and page, once known).</para>
/// </remarks>
public sealed class DataFileReader : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly ChunkSource _source;
    private readonly long _recordsEnd;
    private byte[] _buffer;            // the current chunk: file bytes at [Headroom, _bufferLength)
    private long _bufferStart; // file offset of _buffer[0]
    private int _bufferLength;
    private int _position;     // offset in _buffer of the next record
    private long _records;
    private long _pages;          // pages handed out, each page of a batch counted
    private bool _damagedBatch;   // a damaged batch hides its page count, so the trailer's cannot be checked
    private int _currentLength;
    private bool _disposed;

    // The batch being handed out: its payload is _buffer[_batchStart, _batchEnd), and the next entry
    // starts at _batchAt. The buffer does not move before the batch is done: only a new record's Fill moves it.
    private PageRecordHeader _batch;
    private int _batchStart;
    private int _batchAt;
    private int _batchEnd;
    private PageId? _batchPrevious; // null before the batch's first entry
    private byte[]? _entryPayload;
    private long _entryOffset;

    private DataFileReader(SafeFileHandle handle, ChunkSource source, string path, DataFileHeader header, DataFileTrailer trailer, long length, byte[] buffer, int bufferLength)
    {
        _handle = handle;
        _source = source;
        Path = path;
        Header = header;
        Trailer = trailer;
        Length = length;
        _recordsEnd = length - DataFileTrailer.Size;
        _buffer = buffer;
        _bufferStart = -ChunkSource.Headroom;
        _bufferLength = bufferLength;
        _position = ChunkSource.Headroom + DataFileHeader.Size;
    }

    public string Path { get; }

    public DataFileHeader Header { get; }

    public DataFileTrailer Trailer { get; }

    public long Length { get; }

    /// <summary>The current record's header (after <see cref="MoveNext"/> returned true).</summary>
    public PageRecordHeader Current { get; private set; }

    /// <summary>
    /// For inspection tools: a record whose checksum or shape is wrong is returned (with
    /// <see cref="CurrentDamage"/> set) instead of thrown, as long as its framing holds. A restore
    /// never sets this.
    /// </summary>
    public bool ContinuePastDamagedRecords { get; private init; }

    /// <summary>Why the current record is damaged, when <see cref="ContinuePastDamagedRecords"/> let it through; null when it verified.</summary>
    public StoreCorruptedException? CurrentDamage { get; private set; }

    /// <summary>File offset of the current record (of its entry, for a page of a batch).</summary>
    public long CurrentOffset => Current.InBatch ? _entryOffset : CurrentRecordOffset;

    /// <summary>
    /// The record that holds the current page: the page's own record, or its batch. Damage found by
    /// a checksum is reported at this record, since the checksum covers the whole batch.
    /// </summary>
    public PageRecordHeader CurrentRecord => Current.InBatch ? _batch : Current;

    /// <summary>File offset of <see cref="CurrentRecord"/>.</summary>
    public long CurrentRecordOffset => _bufferStart + _position - _currentLength;

    public ReadOnlySpan<byte> CurrentPayload
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
        get => Current.InBatch
            ? _entryPayload.AsSpan(0, Current.PayloadLength)
            : _buffer.AsSpan(_position - _currentLength + PageRecordHeader.Size, Current.PayloadLength);
    }

    /// <summary>
    /// Opens a data file and checks its header and trailer. <paramref name="expectedLength"/> is
    /// the length the catalog committed; a different length is corruption (truncated or appended).
    /// <paramref name="readAhead"/> reads the file on a second thread while this one verifies
    /// (for a restore, which reads every byte once and wants both cores).
    /// </summary>
    public static DataFileReader Open(string path, long? expectedLength = null, bool continuePastDamagedRecords = false, bool readAhead = false)
    {
        return Open(OpenChecked(path, expectedLength), path, continuePastDamagedRecords, readAhead);
    }

    /// <summary>Starts reading the records of a file <see cref="OpenChecked"/> opened; the reader takes over its handle.</summary>
    internal static DataFileReader Open(CheckedDataFile file, string path, bool continuePastDamagedRecords = false, bool readAhead = false)
    {
        ChunkSource? source = null;
        try
        {
            source = new ChunkSource(file.Handle, file.Length, 0, readAhead);
            (byte[] buffer, int read) = source.Next(); // the whole first chunk: the length is at least a header and a trailer
            return new DataFileReader(file.Handle, source, path, file.Header, file.Trailer, file.Length, buffer, ChunkSource.Headroom + read)
            {
                ContinuePastDamagedRecords = continuePastDamagedRecords,
            };
        }
        catch
        {
            source?.Dispose();
            file.Handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens a data file and checks its length, trailer and header, in that order, before any
    /// record is read. The caller owns the returned handle.
    /// </summary>
    internal static CheckedDataFile OpenChecked(string path, long? expectedLength)
    {
        if (!File.Exists(path))
        {
            throw new StoreCorruptedException("the data file is missing", path, 0, null);
        }

        SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.SequentialScan);
        try
        {
            long length = RandomAccess.GetLength(handle);
            if (expectedLength is { } expected && expected != length)
            {
                throw new StoreCorruptedException($"the file is {length} bytes but its checkpoint committed {expected} bytes (truncated or overwritten)",
                    path, Math.Min(length, expected), null);
            }

            if (length < DataFileHeader.Size + DataFileTrailer.Size)
            {
                throw new StoreCorruptedException($"the file is {length} bytes, too short for a header and a trailer", path, length, null);
            }

            Span<byte> bytes = stackalloc byte[Math.Max(DataFileTrailer.Size, DataFileHeader.Size)];
            int read = RandomAccess.Read(handle, bytes[..DataFileTrailer.Size], length - DataFileTrailer.Size);
            DataFileTrailer trailer = DataFileTrailer.Read(bytes[..read], path, length - DataFileTrailer.Size);
            read = RandomAccess.Read(handle, bytes[..DataFileHeader.Size], 0);
            DataFileHeader header = DataFileHeader.Read(bytes[..read], path);
            if (header.Format < 3)
            {
                trailer = trailer with { Pages = trailer.RecordCount }; // format 2: one record per page, the field reserved
            }

            if (trailer.RecordBytes != length - DataFileHeader.Size - DataFileTrailer.Size)
            {
                throw new StoreCorruptedException(
                    $"the trailer counts {trailer.RecordBytes} record bytes but the file holds {length - DataFileHeader.Size - DataFileTrailer.Size}",
                    path, length - DataFileTrailer.Size + 16, null);
            }

            return new CheckedDataFile(handle, header, trailer, length);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Advances to the next verified record; false after the last one (whose count matched the trailer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
    public bool MoveNext()
    {
        if (_batchAt < _batchEnd)
        {
            NextBatchEntry();
            return true;
        }

        long offset = _bufferStart + _position;
        if (offset == _recordsEnd)
        {
            _currentLength = 0;
            if (_records != Trailer.RecordCount)
            {
                throw new StoreCorruptedException($"the file holds {_records} records but its trailer counts {Trailer.RecordCount}",
                    Path, _recordsEnd + 8, null);
            }

            if (_pages != Trailer.Pages && !_damagedBatch)
            {
                throw new StoreCorruptedException($"the file's records carry {_pages} pages but its trailer counts {Trailer.Pages}",
                    Path, _recordsEnd + DataFileTrailer.PagesOffset, null);
            }

            return false;
        }

        if (_recordsEnd - offset < PageRecordHeader.Size)
        {
            throw new StoreCorruptedException("a record header runs into the trailer", Path, offset, null);
        }

        Fill(PageRecordHeader.Size);
        PageRecordHeader header = PageRecordHeader.Read(_buffer.AsSpan(_position), Path, offset, Header.PageSize);
        int length = PageRecordHeader.Size + header.PayloadLength;
        if (_recordsEnd - offset < length)
        {
            throw new StoreCorruptedException($"a {length}-byte record runs into the trailer", Path, offset, null);
        }

        Fill(length);
        CurrentDamage = null;
        try
        {
            header = header.Verify(_buffer.AsSpan(_position, length), Path, offset, Header.PageSize, Header.PageCount, Header.Format);
        }
        catch (StoreCorruptedException e) when (ContinuePastDamagedRecords)
        {
            // The record's framing (magic, length) held, so the next record is still found; a tool
            // lists every damaged record instead of stopping at the first.
            CurrentDamage = e;
        }

        Current = header;
        _position += length;
        _currentLength = length;
        _records++;
        if (header.Kind != PageRecordKind.Batch)
        {
            _pages++;
        }
        else if (CurrentDamage is not null)
        {
            // A damaged batch is handed out as itself (its framing held, so reading goes on after it).
            _damagedBatch = true;
        }
        else
        {
            _batch = header;
            _batchStart = _position - header.PayloadLength;
            _batchAt = _batchStart;
            _batchEnd = _position;
            _batchPrevious = null;
            NextBatchEntry();
        }

        return true;
    }

    /// <summary>Makes the batch's next entry the current record.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
    private void NextBatchEntry()
    {
        _entryPayload ??= new byte[PageRecordHeader.MaxPayload(Header.PageSize)];
        ReadOnlySpan<byte> payload = _buffer.AsSpan(_batchStart, _batchEnd - _batchStart);
        int at = _batchAt - _batchStart;
        _entryOffset = _bufferStart + _batchAt;
        try
        {
            Current = PageBatch.ReadEntry(payload, ref at, _batch, _batchPrevious, Header.PageSize, Header.PageCount, _entryPayload,
                Path, _bufferStart + _batchStart);
        }
        catch (StoreCorruptedException)
        {
            _batchAt = _batchEnd; // the rest of the batch cannot be framed; a tool that goes on resumes after it
            throw;
        }

        _batchAt = _batchStart + at;
        _batchPrevious = Current.Page;
        _pages++;
    }

    /// <summary>
    /// Makes sure <paramref name="bytes"/> from the current position are contiguous in the buffer:
    /// when they run past the current chunk, its unread tail (less than one record, so it fits the
    /// headroom) moves in front of the next chunk's bytes, and the old chunk goes back.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
    private void Fill(int bytes)
    {
        Debug.Assert(bytes <= ChunkSource.Headroom, "a record is shorter than the headroom in front of a chunk");
        while (_bufferLength - _position < bytes)
        {
            int kept = _bufferLength - _position;
            long nextOffset = _bufferStart + _bufferLength;
            (byte[] next, int read) = _source.Next();
            if (read == 0)
            {
                _source.Return(next);
                throw new StoreCorruptedException("the file ended inside a record", Path, nextOffset, null);
            }

            Buffer.BlockCopy(_buffer, _position, next, ChunkSource.Headroom - kept, kept);
            _source.Return(_buffer);
            _buffer = next;
            _bufferStart = nextOffset - ChunkSource.Headroom;
            _position = ChunkSource.Headroom - kept;
            _bufferLength = ChunkSource.Headroom + read;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _source.Return(_buffer);
        _source.Dispose(); // first: its read-ahead thread may still be reading through the handle
        _handle.Dispose();
    }
}
