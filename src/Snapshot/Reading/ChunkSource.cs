using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using Microsoft.Win32.SafeHandles;

namespace Snapshot.Reading;

/// <summary>
/// A data file's bytes, front to back, in chunks of <see cref="ChunkSize"/> bytes, for
/// <see cref="DataFileReader"/>. Each chunk's bytes sit at [<see cref="Headroom"/>, Headroom +
/// length) of its buffer; the free headroom in front lets the reader move the unread tail of the
/// previous chunk (at most one record) in front of the new bytes, so a record that straddles two
/// chunks is contiguous without copying whole chunks.
/// </summary>
/// <remarks>
/// <para>Inline (the default): each chunk is read when the reader asks for it.</para>
/// <para>Read-ahead (restore): a dedicated thread reads up to <see cref="ReadAheadChunks"/> chunks
/// ahead while the reader verifies and applies the ones it has. The read system call itself is a
/// copy out of the page cache, about as long as verifying and applying the same bytes (restore
/// phases in perf/HISTORY.md), so on two cores the two halves overlap instead of adding up.</para>
/// Threading: <see cref="Next"/> and <see cref="Return"/> belong to the reader's thread; the
/// read-ahead thread only fills buffers and hands them over through a bounded queue.
/// </remarks>
internal sealed class ChunkSource : IDisposable
{
    public const int ChunkSize = 1024 * 1024;

    /// <summary>Room for the unread tail of the previous chunk: more than the longest record (20 + 64 KiB + 256 B).</summary>
    public const int Headroom = 128 * 1024;

    private const int ReadAheadChunks = 4;

    private readonly SafeFileHandle _handle;
    private readonly long _length;
    private readonly ConcurrentQueue<byte[]> _free = new();
    private readonly BlockingCollection<Chunk>? _ready;
    private readonly CancellationTokenSource? _stop;
    private readonly Task? _reader;
    private long _nextOffset; // inline mode: the file offset of the next chunk
    private bool _ended;

    public ChunkSource(SafeFileHandle handle, long length, long startOffset, bool readAhead)
    {
        _handle = handle;
        _length = length;
        _nextOffset = startOffset;
        if (readAhead)
        {
            _ready = new BlockingCollection<Chunk>(ReadAheadChunks);
            _stop = new CancellationTokenSource();
            CancellationToken token = _stop.Token;
            _reader = Task.Factory.StartNew(() => ReadAhead(startOffset, token), token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
    }

    /// <summary>The next chunk, or a length of 0 at the end of the file. Read errors surface here, on the reader's thread.</summary>
    public (byte[] Buffer, int Length) Next()
    {
        if (_ended)
        {
            return (Rent(), 0);
        }

        if (_ready is null)
        {
            byte[] buffer = Rent();
            int length = Fill(buffer, _nextOffset);
            _nextOffset += length;
            _ended = length == 0;
            return (buffer, length);
        }

        Chunk chunk = _ready.Take();
        chunk.Failure?.Throw();
        _ended = chunk.Length == 0;
        return (chunk.Buffer!, chunk.Length);
    }

    /// <summary>Gives a buffer back once none of its bytes are needed any more.</summary>
    public void Return(byte[] buffer) => _free.Enqueue(buffer);

    /// <summary>Stops the read-ahead thread and gives every buffer back to the pool (the reader has returned its own).</summary>
    public void Dispose()
    {
        if (_reader is not null)
        {
            // The reader may stop early (a corrupt record): the read-ahead thread must be out of
            // the file before its handle closes.
            _stop!.Cancel();
            try
            {
                _reader.Wait();
            }
            catch (AggregateException e) when (e.InnerException is OperationCanceledException)
            {
            }

            while (_ready!.TryTake(out Chunk chunk))
            {
                if (chunk.Buffer is not null)
                {
                    _free.Enqueue(chunk.Buffer);
                }
            }

            _stop.Dispose();
            _ready.Dispose();
        }

        while (_free.TryDequeue(out byte[]? buffer))
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void ReadAhead(long offset, CancellationToken token)
    {
        try
        {
            while (true)
            {
                byte[] buffer = Rent();
                int length = Fill(buffer, offset);
                offset += length;
                _ready!.Add(new Chunk(buffer, length, null), token);
                if (length == 0)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Dispose stopped the reader early; nobody takes more chunks.
        }
        catch (Exception e)
        {
            // Any failure, not only I/O, reaches the reader's thread; it would otherwise wait forever.
            try
            {
                _ready!.Add(new Chunk(null, 0, ExceptionDispatchInfo.Capture(e)), token);
            }
            catch (OperationCanceledException)
            {
                // Disposed meanwhile: nobody is waiting.
            }
        }
        finally
        {
            _ready!.CompleteAdding(); // a Take after the last chunk fails instead of blocking
        }
    }

    /// <summary>Reads a whole chunk (fewer bytes only at the end of the file) into the buffer after its headroom.</summary>
    private int Fill(byte[] buffer, long offset)
    {
        int wanted = (int)Math.Min(ChunkSize, _length - offset);
        int filled = 0;
        while (filled < wanted)
        {
            int read = RandomAccess.Read(_handle, buffer.AsSpan(Headroom + filled, wanted - filled), offset + filled);
            if (read == 0)
            {
                break; // the file shrank under us; the reader reports where its bytes ran out
            }

            filled += read;
        }

        return filled;
    }

    /// <summary>A recycled buffer, or one from the pool: at most ReadAheadChunks + 3 are out (queued, being filled, the reader's two).</summary>
    private byte[] Rent() => _free.TryDequeue(out byte[]? buffer) ? buffer : ArrayPool<byte>.Shared.Rent(Headroom + ChunkSize);

    private readonly record struct Chunk(byte[]? Buffer, int Length, ExceptionDispatchInfo? Failure);
}
