using System.Buffers;
using Microsoft.Win32.SafeHandles;
using Snapshot.Format;
using Store.Diagnostics;

namespace Snapshot.Reading;

/// <summary>
/// Streams the page records of one data file, verifying as it goes: header and trailer checksums
/// first (a truncated file fails before any record is used), then each record's checksum, page id
/// bound and payload shape, and at the end the trailer's counts. Memory use is one buffer, never
/// the file.
/// </summary>
/// <remarks>Every failure is a <see cref="StoreCorruptedException"/> naming this file and the offset (and page, once known).</remarks>
public sealed class DataFileReader : IDisposable
{
    private const int BufferSize = 1024 * 1024;

    private readonly SafeFileHandle _handle;
    private readonly byte[] _buffer;
    private readonly long _recordsEnd;
    private long _bufferStart; // file offset of _buffer[0]
    private int _bufferLength;
    private int _position;     // offset in _buffer of the next record
    private long _records;
    private int _currentLength;
    private bool _disposed;

    private DataFileReader(SafeFileHandle handle, string path, DataFileHeader header, DataFileTrailer trailer, long length, byte[] buffer)
    {
        _handle = handle;
        Path = path;
        Header = header;
        Trailer = trailer;
        Length = length;
        _recordsEnd = length - DataFileTrailer.Size;
        _buffer = buffer;
        _bufferStart = 0;
        _position = DataFileHeader.Size;
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

    /// <summary>File offset of the current record.</summary>
    public long CurrentOffset => _bufferStart + _position - _currentLength;

    public ReadOnlySpan<byte> CurrentPayload => _buffer.AsSpan(_position - _currentLength + PageRecordHeader.Size, Current.PayloadLength);

    /// <summary>
    /// Opens a data file and checks its header and trailer. <paramref name="expectedLength"/> is
    /// the length the catalog committed; a different length is corruption (truncated or appended).
    /// </summary>
    public static DataFileReader Open(string path, long? expectedLength = null, bool continuePastDamagedRecords = false)
    {
        if (!File.Exists(path))
        {
            throw new StoreCorruptedException("the data file is missing", path, 0, null);
        }

        SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.SequentialScan);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
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

            int read = RandomAccess.Read(handle, buffer.AsSpan(0, DataFileTrailer.Size), length - DataFileTrailer.Size);
            DataFileTrailer trailer = DataFileTrailer.Read(buffer.AsSpan(0, read), path, length - DataFileTrailer.Size);
            read = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(BufferSize, length)), 0);
            DataFileHeader header = DataFileHeader.Read(buffer.AsSpan(0, read), path);
            if (trailer.RecordBytes != length - DataFileHeader.Size - DataFileTrailer.Size)
            {
                throw new StoreCorruptedException(
                    $"the trailer counts {trailer.RecordBytes} record bytes but the file holds {length - DataFileHeader.Size - DataFileTrailer.Size}",
                    path, length - DataFileTrailer.Size + 16, null);
            }

            var reader = new DataFileReader(handle, path, header, trailer, length, buffer)
            {
                _bufferLength = read,
                ContinuePastDamagedRecords = continuePastDamagedRecords,
            };
            return reader;
        }
        catch
        {
            handle.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>Advances to the next verified record; false after the last one (whose count matched the trailer).</summary>
    public bool MoveNext()
    {
        long offset = _bufferStart + _position;
        if (offset == _recordsEnd)
        {
            _currentLength = 0;
            if (_records != Trailer.RecordCount)
            {
                throw new StoreCorruptedException($"the file holds {_records} records but its trailer counts {Trailer.RecordCount}",
                    Path, _recordsEnd + 8, null);
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
            header = header.Verify(_buffer.AsSpan(_position, length), Path, offset, Header.PageSize, Header.PageCount);
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
        return true;
    }

    /// <summary>Makes sure <paramref name="bytes"/> from the current position are in the buffer.</summary>
    private void Fill(int bytes)
    {
        if (_bufferLength - _position >= bytes)
        {
            return;
        }

        int kept = _bufferLength - _position;
        Buffer.BlockCopy(_buffer, _position, _buffer, 0, kept);
        _bufferStart += _position;
        _position = 0;
        _bufferLength = kept;
        while (_bufferLength < bytes)
        {
            int read = RandomAccess.Read(_handle, _buffer.AsSpan(_bufferLength, BufferSize - _bufferLength), _bufferStart + _bufferLength);
            if (read == 0)
            {
                throw new StoreCorruptedException("the file ended inside a record", Path, _bufferStart + _bufferLength, null);
            }

            _bufferLength += read;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _handle.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
    }
}
