using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Store.Diagnostics;
using Store.Pages;

namespace Store.Storage;

/// <summary>
/// The physical memory behind frames: equally sized segments, each mapped once and never
/// remapped, so a frame's address is stable for the store's lifetime and readers of frozen
/// versions can hold raw spans over it. The segments sit side by side in one range of address
/// space reserved when the store opens (no memory, PROT_NONE), so frame f is at base + f·pageSize:
/// a page read computes its address instead of loading a segment's base first.
/// <list type="bullet">
/// <item>With a directory: a MAP_SHARED mapping of a scratch file (<see cref="FileName"/>), grown
/// with posix_fallocate so a full disk is an exception at growth time, never a SIGBUS on a later
/// write. The kernel can page it out, so state larger than RAM works without swap.</item>
/// <item>Without a directory: anonymous private memory.</item>
/// </list>
/// Every segment is pre-faulted writable (MADV_POPULATE_WRITE, or one write per page where the
/// kernel lacks it) before its first frame is handed out: on these VMs a first touch costs
/// 15–25 µs, so a copy-on-write must find its destination already faulted in
/// (native-notes/mmap-flavours.md). The next segment is prepared on a background thread while
/// the current one fills, so growth does not stall the writer.
/// </summary>
/// <remarks>
/// <para>Why one reservation: with a table of segment bases, every page read loaded its segment's
/// base before the page, a dependent load four times per lookup. Computing the address made Get,
/// Put and RMW 6–12% faster over a hot key set and changed nothing at 10M uniform keys
/// (perf/HISTORY.md, "Frames in one reserved range").</para>
/// <para>The reservation is at most <see cref="MaxReservedBytes"/> (1 TiB), less if the process
/// cannot get that much address space; it bounds the store's size, and growing past it is a clear
/// error. x86-64 gives a process 128 TiB, so over a hundred stores fit one process.</para>
/// Threading: segments are installed only by the writer thread. Readers reach a frame only
/// through a page table they were handed after the frame's segment was installed, which orders
/// the install before their read.
/// </remarks>
internal sealed unsafe class FrameMemory : IDisposable
{
    public const string FileName = "frames.dat";
    private const int MaxSegments = 1 << 16;
    public const long MaxReservedBytes = 1L << 40;
    private const int EExist = 17;
    private const long HugePage = 2 << 20;
    private const long PrefaultBlock = HugePage; // the unit the host backs and zeroes
    private static readonly int PrefaultThreads = Math.Clamp(Environment.ProcessorCount, 1, 2); // measured on two vCPUs only

    private readonly nint _reservation;       // as mapped, for the final munmap
    private readonly long _reservationLength;
    private readonly nint _base;              // _reservation rounded up to 2 MiB; segment i starts at _base + i·_segmentBytes
    private readonly int _maxSegments;        // segments the reservation holds
    private readonly bool _reservedLess;      // the process could not reserve as much as asked
    private readonly int _pageShift;
    private readonly int _segmentShift; // log2(frames per segment)
    private readonly long _segmentBytes;
    private readonly SafeFileHandle? _file;
    private Task? _spare;
    private Task? _backgroundPrefault;
    private FrameWindow?[] _windows = [];
    private int _segmentCount;
    private bool _disposed;
    private int _references = 1;
    private int _lostSegment = -1; // a segment range a failed mmap left to someone else (see KeepReserved)

    /// <param name="maxReservedBytes">The most address space to reserve; tests lower it to reach the limit.</param>
    public FrameMemory(string? directory, int pageSize, long segmentBytes, long maxReservedBytes = MaxReservedBytes)
    {
        Debug.Assert(BitOperations.IsPow2(pageSize) && BitOperations.IsPow2(segmentBytes) && segmentBytes >= pageSize,
            "page and segment sizes are powers of two, a segment holds at least one page");
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Store maps its frames with Linux mmap; other platforms are not supported yet.");
        }

        PageSize = pageSize;
        _pageShift = BitOperations.Log2((uint)pageSize);
        _segmentBytes = segmentBytes;
        _segmentShift = BitOperations.Log2((ulong)(segmentBytes / pageSize));
        if (directory is not null)
        {
            FilePath = Path.Combine(directory, FileName);
            // The frame file is scratch: durable state lives in checkpoints. A previous instance's
            // file is unlinked, not truncated: frozen versions of a disposed store may still map
            // that inode, and truncating it under them would turn their reads into SIGBUS.
            File.Delete(FilePath);
            _file = File.OpenHandle(FilePath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        }

        try
        {
            (_reservation, _reservationLength, _maxSegments, _reservedLess) = Reserve(segmentBytes, maxReservedBytes);
        }
        catch
        {
            _file?.Dispose();
            throw;
        }

        _base = (nint)((_reservation + HugePage - 1) & ~(HugePage - 1));
    }

    /// <summary>
    /// Reserves address space for the segments: up to 1 TiB, a quarter as much at a time if the
    /// process cannot get it (a ulimit -v, or many stores in one process), at least one segment.
    /// 2 MiB more than the segments need, so they can start on a huge-page boundary.
    /// </summary>
    private static (nint Reservation, long Length, int Segments, bool Less) Reserve(long segmentBytes, long maxReservedBytes)
    {
        long wanted = Math.Min(MaxSegments * segmentBytes, Math.Max(maxReservedBytes, segmentBytes));
        long bytes = wanted;
        int errno = 0;
        for (; bytes >= segmentBytes; bytes /= 4)
        {
            long length = bytes + HugePage;
            nint reservation = NativeMethods.Mmap(0, (nuint)length, NativeMethods.ProtNone,
                NativeMethods.MapPrivate | NativeMethods.MapAnonymous | NativeMethods.MapNoReserve, -1, 0);
            if (reservation != NativeMethods.MapFailed)
            {
                return (reservation, length, (int)(bytes / segmentBytes), bytes < wanted);
            }

            errno = Marshal.GetLastPInvokeError();
        }

        throw new IOException($"Could not reserve address space for even one {segmentBytes}-byte segment of frames (mmap errno {errno}).");
    }

    public int PageSize { get; }

    public string? FilePath { get; }

    public int FramesPerSegment => 1 << _segmentShift;

    /// <summary>Frames that exist (mapped and pre-faulted), whether in use or free.</summary>
    public int FrameCount => _segmentCount << _segmentShift;

    public long MappedBytes => _segmentCount * _segmentBytes;

    /// <summary>Segments the reserved address space holds: the most this store can grow to.</summary>
    public int MaxSegmentCount => _maxSegments;

    public byte* Address(FrameIndex frame)
    {
        Debug.Assert((uint)frame.Value < (uint)FrameCount, "a frame index refers to an installed segment");
        return (byte*)_base + ((nint)(uint)frame.Value << _pageShift);
    }

    private nint SegmentAddress(int index) => _base + (nint)(index * _segmentBytes);

    public Span<byte> Frame(FrameIndex frame) => new(Address(frame), PageSize);

    /// <summary>
    /// Starts loading the cache line at <paramref name="offset"/> of a frame. A hint for readers
    /// that know which pages they read next (a checkpoint stream): harmless if never read.
    /// </summary>
    public void Prefetch(FrameIndex frame, int offset)
    {
        if (System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(Address(frame) + offset);
        }
    }

    /// <summary>
    /// The frame as <see cref="Memory{T}"/>, for a scatter read straight into it (a restore). Windows
    /// of up to 1 GiB, never crossing a segment, are created on first use and kept with the mapping.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
    public Memory<byte> FrameAsMemory(FrameIndex frame)
    {
        Debug.Assert((uint)frame.Value < (uint)FrameCount, "a frame index refers to an installed segment");
        int windowShift = Math.Min(_segmentShift, 30 - _pageShift); // frames per window: a power of two, ≤ 1 GiB and ≤ a segment
        int window = frame.Value >> windowShift;
        if (window >= _windows.Length)
        {
            Array.Resize(ref _windows, Math.Max(window + 1, _windows.Length * 2));
        }

        FrameWindow manager = _windows[window] ??= new FrameWindow(Address(new FrameIndex(window << windowShift)), PageSize << windowShift);
        return manager.Memory.Slice((frame.Value & ((1 << windowShift) - 1)) << _pageShift, PageSize);
    }

    /// <summary>
    /// Installs one more segment and returns the index of its first frame. Throws
    /// <see cref="StoreFullException"/> when the file system refuses the space; nothing changes then.
    /// </summary>
    public FrameIndex AddSegment()
    {
        FrameIndex first = InstallSegment(prefault: true);
        PrepareSpare(_segmentCount);
        return first;
    }

    /// <summary>
    /// Installs enough segments for <paramref name="frames"/> more frames at once, for a restore
    /// that is about to write every one of them: the segments are mapped (and, file-backed, their
    /// space allocated) now, and pre-faulted from the front by background threads while the caller
    /// already writes into the first ones (<see cref="PrefaultInBackground"/>). Pre-faulting 550 MB
    /// of huge pages costs 0.03 s when the guest freed that memory moments ago, and up to 1 s on one
    /// thread when the host has reclaimed it
    /// (native-notes/free-page-reporting.md): as long as reading and verifying the checkpoint, or
    /// longer, so the two run side by side. A write that overtakes the pre-faulting threads faults
    /// its page in itself, which is correct, only slower. Call <see cref="WaitForPrefault"/> before
    /// the frames are handed to writers that expect pre-faulted memory.
    /// </summary>
    public FrameIndex AddSegmentsPrefaultingInBackground(int frames)
    {
        Debug.Assert(_backgroundPrefault is null, "one bulk installation at a time");
        int count = (frames + FramesPerSegment - 1) >> _segmentShift;
        int firstSegment = _segmentCount;
        FrameIndex first = new(firstSegment << _segmentShift);
        // A spare, if one was prepared, becomes the first segment and is already pre-faulted; the
        // rest lie after it, side by side in the reservation.
        int unfaulted = firstSegment + (count > 0 && _spare is not null ? 1 : 0);
        for (int i = 0; i < count; i++)
        {
            InstallSegment(prefault: false);
        }

        long length = (_segmentCount - unfaulted) * _segmentBytes;
        long block = Math.Min(_segmentBytes, PrefaultBlock); // divides every segment, both powers of two
        _backgroundPrefault = length == 0 ? null : PrefaultInBackground(SegmentAddress(unfaulted), length, block, PageSize);
        PrepareSpare(_segmentCount);
        return first;
    }

    /// <summary>
    /// Pre-faults [start, start + length) on <see cref="PrefaultThreads"/> threads, which take turns
    /// by 2 MiB block from the front, so together they stay ahead of a restore writing pages in order.
    /// </summary>
    /// <remarks>
    /// Why more than one: on these VMs, memory the host reclaimed costs a host fault and zeroing per
    /// 2 MiB, and two threads faulting at once filled 512 MiB in 0.58 s against 1.03 s for one
    /// (native-notes/free-page-reporting.md, "Two threads"). Four were no faster than two on two vCPUs.
    /// </remarks>
    private static Task PrefaultInBackground(nint start, long length, long block, int pageSize)
    {
        long blocks = length / block;
        Debug.Assert(blocks * block == length, "whole segments, and a block divides a segment");
        var threads = new Task[PrefaultThreads];
        for (int t = 0; t < threads.Length; t++)
        {
            int first = t;
            threads[t] = Task.Factory.StartNew(
                () =>
                {
                    for (long i = first; i < blocks; i += threads.Length)
                    {
                        Prefault(start + (nint)(i * block), block, pageSize);
                    }
                },
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        return Task.WhenAll(threads);
    }

    /// <summary>Waits for <see cref="AddSegmentsPrefaultingInBackground"/>'s threads; from then on every frame is pre-faulted again.</summary>
    public void WaitForPrefault()
    {
        Task? pending = Interlocked.Exchange(ref _backgroundPrefault, null);
        pending?.GetAwaiter().GetResult();
    }

    private FrameIndex InstallSegment(bool prefault)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_segmentCount == _maxSegments)
        {
            throw new InvalidOperationException(
                $"The store reached its limit of {_maxSegments} segments ({_maxSegments * _segmentBytes} bytes of reserved address space); " +
                (_reservedLess
                    ? "the process could not reserve more address space when the store opened (ulimit -v, or many stores in one process)."
                    : "split the state over more stores (shards)."));
        }

        if (_lostSegment >= 0)
        {
            throw new IOException(
                $"Segment {_lostSegment}'s address range was taken by another mapping after its mmap failed; the store cannot grow past {_segmentCount} segments.");
        }

        int index = _segmentCount;
        Task? spare = Interlocked.Exchange(ref _spare, null);
        if (spare is not null)
        {
            // The spare was mapped at this index (PrepareSpare runs only for the next one). GetResult
            // rethrows a StoreFullException from the background preparation unwrapped.
            spare.GetAwaiter().GetResult();
        }
        else
        {
            MapSegment(index, prefault);
        }

        _segmentCount = index + 1;
        return new FrameIndex(index << _segmentShift);
    }

    private void PrepareSpare(int index)
    {
        if (index < _maxSegments)
        {
            _spare = Task.Run(() => MapSegment(index, prefault: true));
        }
    }

    /// <summary>Maps segment <paramref name="index"/> at its place in the reservation. Any thread, one call per index.</summary>
    private void MapSegment(int index, bool prefault)
    {
        long offset = index * _segmentBytes;
        nint address = SegmentAddress(index);
        if (_file is null)
        {
            // Anonymous memory is the reservation itself, made writable. mprotect either succeeds or
            // leaves the range as it was, so a failure loses nothing.
            if (NativeMethods.Mprotect(address, (nuint)_segmentBytes, NativeMethods.ProtRead | NativeMethods.ProtWrite) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new IOException($"mprotect of {_segmentBytes} bytes for segment {index} failed (errno {errno}).");
            }

            // Huge pages: one fault per 2 MiB instead of per 4 KiB when pre-faulting, and far fewer
            // TLB misses on random access. Safe because copy-on-write is ours (a memcpy of one frame),
            // never the kernel's. Advisory: a kernel without THP ignores it.
            NativeMethods.Madvise(address, (nuint)_segmentBytes, NativeMethods.MadvHugePage);
        }
        else
        {
            int fd = (int)_file.DangerousGetHandle();
            int error = NativeMethods.PosixFallocate(fd, offset, _segmentBytes);
            if (error != 0)
            {
                // ext4 keeps whatever part of a failed fallocate it managed to allocate, and grows the
                // file: give it back, so a full disk stays exactly as full as before the attempt.
                RandomAccess.SetLength(_file, offset);
                throw new StoreFullException(FilePath!, offset, _segmentBytes, error);
            }

            // MAP_FIXED over our own reservation: the file's pages replace the reserved range.
            if (NativeMethods.Mmap(address, (nuint)_segmentBytes, NativeMethods.ProtRead | NativeMethods.ProtWrite,
                    NativeMethods.MapShared | NativeMethods.MapFixed, fd, offset) == NativeMethods.MapFailed)
            {
                int errno = Marshal.GetLastPInvokeError();
                KeepReserved(index, address);
                throw new IOException($"mmap of {_segmentBytes} bytes for segment {index} failed (errno {errno}).");
            }

            // 4 KiB page-cache folios: with ext4's large folios one dirty byte makes the kernel
            // write back up to 2 MiB of this scratch file (235× for sparse updates, measured in
            // native-notes/mmap-flavours.md). Must precede the first touch.
            NativeMethods.Madvise(address, (nuint)_segmentBytes, NativeMethods.MadvRandom);
        }

        if (prefault)
        {
            Prefault(address, _segmentBytes, PageSize);
        }
    }

    /// <summary>
    /// After a failed MAP_FIXED: older kernels may have unmapped the reserved range before failing,
    /// and another thread's mmap could then take it. Re-reserve it if it is free (EEXIST means it is
    /// still ours). If it was taken, remember it: the store stops growing there, and disposal leaves
    /// that range alone.
    /// </summary>
    private void KeepReserved(int index, nint address)
    {
        nint again = NativeMethods.Mmap(address, (nuint)_segmentBytes, NativeMethods.ProtNone,
            NativeMethods.MapPrivate | NativeMethods.MapAnonymous | NativeMethods.MapNoReserve | NativeMethods.MapFixedNoReplace, -1, 0);
        if (again == address || (again == NativeMethods.MapFailed && Marshal.GetLastPInvokeError() == EExist))
        {
            return;
        }

        if (again != NativeMethods.MapFailed)
        {
            NativeMethods.Munmap(again, (nuint)_segmentBytes); // a kernel without MAP_FIXED_NOREPLACE took it as a hint
        }

        _lostSegment = index;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
    private static void Prefault(nint address, long length, int pageSize)
    {
        if (NativeMethods.Madvise(address, (nuint)length, NativeMethods.MadvPopulateWrite) == 0)
        {
            return;
        }

        // Kernels before 5.14: one write per page faults it in writable. An atomic add of zero, not a
        // store, because a restore may already be writing this page from another thread.
        byte* p = (byte*)address;
        for (long offset = 0; offset < length; offset += pageSize)
        {
            Interlocked.Add(ref *(int*)(p + offset), 0);
        }
    }

    /// <summary>
    /// Removes the frame file's name (called by the store while it still holds the directory lock).
    /// Mappings of frozen versions that outlive the store keep the inode alive until they go.
    /// </summary>
    public void UnlinkFile()
    {
        if (FilePath is not null)
        {
            File.Delete(FilePath);
        }
    }

    /// <summary>
    /// Frozen versions may outlive their store (a checkpoint still flushing): each holds a
    /// reference (taken when the store makes its shell, before the barrier), and the mappings go
    /// away only when the store and every frozen version let go.
    /// </summary>
    public void AddReference()
    {
        int before = Interlocked.Increment(ref _references) - 1;
        Debug.Assert(before > 0, "references are taken only while the memory is alive");
    }

    public void ReleaseReference()
    {
        int after = Interlocked.Decrement(ref _references);
        Debug.Assert(after >= 0, "each reference is released once");
        if (after == 0)
        {
            Dispose();
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            // The pre-faulting thread must be done with the segments before they are unmapped.
            WaitForPrefault();
        }
        catch (Exception e) when (e is IOException)
        {
            // Nothing to report on the way out: the memory goes away anyway.
        }

        Task? spare = Interlocked.Exchange(ref _spare, null);
        if (spare is not null)
        {
            try
            {
                spare.GetAwaiter().GetResult(); // its range goes with the reservation below
            }
            catch (Exception e) when (e is IOException)
            {
                // The spare never became a segment: a failure to prepare it is moot now.
            }
        }

        // One munmap for segments and reserved space alike, except a range another mapping took.
        if (_lostSegment < 0)
        {
            Unmap(_reservation, _reservationLength);
        }
        else
        {
            nint lost = SegmentAddress(_lostSegment);
            Unmap(_reservation, lost - _reservation);
            Unmap(lost + (nint)_segmentBytes, _reservation + (nint)_reservationLength - (lost + (nint)_segmentBytes));
        }

        _segmentCount = 0;
        _file?.Dispose();
    }

    private static void Unmap(nint address, long length)
    {
        if (length == 0)
        {
            return; // the lost range was at an end of the reservation
        }

        int rc = NativeMethods.Munmap(address, (nuint)length);
        Debug.Assert(rc == 0, "munmap of a range we reserved cannot fail");
    }
}
