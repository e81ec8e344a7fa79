using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Store.Benchmarks.Checkpoints;

/// <summary>
/// The disk's own numbers, measured beside the checkpoints they are compared with: a plain
/// sequential write of the same number of bytes into the same directory (1 MiB write(2) calls,
/// then fsync), a plain sequential read of the very same files (1 MiB reads, SequentialScan like
/// the checkpoint reader), and the page-cache control that makes reads cold.
/// </summary>
/// <remarks>
/// Cold means: not in this VM's page cache (posix_fadvise(POSIX_FADV_DONTNEED) after fsync, checked
/// with mincore). A virtual disk may still be cached by the host, which the guest cannot see or drop.
/// </remarks>
public static class SequentialIo
{
    /// <summary>Bytes per write(2)/read(2): the checkpoint writer's flush threshold and the reader's buffer.</summary>
    public const int ChunkSize = 1 << 20;

    private const int PosixFadvDontNeed = 4;
    private const int ProtRead = 1;
    private const int ProtWrite = 2;
    private const int MapShared = 1;
    private const int MapPrivate = 2;
    private const int MapAnonymous = 0x20;
    private const int MapNoReserve = 0x4000;
    private const int MadvHugePage = 14;
    private const int RusageThread = 1;

    /// <summary>A chunk of incompressible bytes (seed 42) to write.</summary>
    public static byte[] NewChunk()
    {
        byte[] chunk = GC.AllocateUninitializedArray<byte>(ChunkSize, pinned: true);
        new Random(BenchKeys.Seed).NextBytes(chunk);
        return chunk;
    }

    /// <summary>
    /// Writes <paramref name="length"/> bytes to <paramref name="path"/> and fsyncs. The file is
    /// created empty first, untimed, as the checkpointer pre-creates its next data file; the time
    /// covers open (truncate), the writes, fsync and close.
    /// </summary>
    public static TimeSpan Write(string path, long length, byte[] chunk)
    {
        using (new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read))
        {
        }

        long start = Stopwatch.GetTimestamp();
        using (var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0))
        {
            for (long left = length; left > 0;)
            {
                int bytes = (int)Math.Min(left, chunk.Length);
                stream.Write(chunk, 0, bytes);
                left -= bytes;
            }

            stream.Flush(flushToDisk: true);
        }

        return Stopwatch.GetElapsedTime(start);
    }

    /// <summary>
    /// The same write by a fresh process: <c>dd if=/dev/zero bs=1M iflag=count_bytes conv=fsync</c>
    /// (content does not change this disk's speed: zeros, random and half-and-half ran within noise
    /// of each other). Null when dd is not there or fails. The time includes starting dd (~1–2 ms).
    /// </summary>
    public static TimeSpan? WriteWithDd(string path, long length)
    {
        var start = new ProcessStartInfo("dd", ["if=/dev/zero", $"of={path}", "bs=1M", $"count={length}", "iflag=count_bytes", "conv=fsync"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        try
        {
            long t0 = Stopwatch.GetTimestamp();
            using Process? dd = Process.Start(start);
            if (dd is null)
            {
                return null;
            }

            dd.WaitForExit();
            TimeSpan elapsed = Stopwatch.GetElapsedTime(t0);
            return dd.ExitCode == 0 && new FileInfo(path).Length == length ? elapsed : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>Reads every file to its end, in order, into <paramref name="buffer"/>; returns the bytes read.</summary>
    public static long Read(IReadOnlyList<string> paths, byte[] buffer)
    {
        long total = 0;
        foreach (string path in paths)
        {
            using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.SequentialScan);
            long offset = 0;
            int read;
            while ((read = RandomAccess.Read(handle, buffer, offset)) > 0)
            {
                offset += read;
            }

            total += offset;
        }

        return total;
    }

    /// <summary>
    /// Reads every file to its end, in order, into one new anonymous mapping of their total size,
    /// mapped as a store maps its frames (2 MiB pages advised, not pre-faulted): the plain read of a
    /// process that has to acquire the memory it reads into, as a restore does. The time includes
    /// the mapping and its release. Returns the bytes read.
    /// </summary>
    public static long ReadIntoFreshMemory(IReadOnlyList<string> paths, long totalBytes)
    {
        nuint length = (nuint)totalBytes;
        nint memory = Native.Mmap(0, length, ProtRead | ProtWrite, MapPrivate | MapAnonymous | MapNoReserve, -1, 0);
        if (memory == -1)
        {
            throw new InvalidOperationException($"mmap of {totalBytes:N0} bytes failed (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            _ = Native.Madvise(memory, length, MadvHugePage);
            long total = 0;
            foreach (string path in paths)
            {
                using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.SequentialScan);
                int fd = (int)handle.DangerousGetHandle();
                long offset = 0;
                nint read;
                while (total < totalBytes && (read = Native.Pread(fd, memory + (nint)total, (nuint)Math.Min(ChunkSize, totalBytes - total), offset)) > 0)
                {
                    offset += read;
                    total += read;
                }
            }

            return total;
        }
        finally
        {
            _ = Native.Munmap(memory, length);
        }
    }

    /// <summary>Opens a file for reading with O_DIRECT (reads bypass the page cache; offsets, lengths and memory must be block-aligned).</summary>
    public static SafeFileHandle OpenForDirectRead(string path)
    {
        const int ReadOnly = 0;
        const int Direct = 0x4000; // O_DIRECT on x86-64 Linux
        int fd = Native.Open(path, ReadOnly | Direct);
        if (fd < 0)
        {
            throw new IOException($"open(O_DIRECT) of {path} failed (errno {Marshal.GetLastPInvokeError()})");
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>
    /// fsyncs each file, then asks the kernel to drop its pages from the page cache. Returns false
    /// when a call failed (or off Linux, where nothing is done).
    /// </summary>
    public static bool DropFromPageCache(IEnumerable<string> paths)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        bool ok = true;
        foreach (string path in paths)
        {
            using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            int fd = (int)handle.DangerousGetHandle();
            ok &= Native.Fsync(fd) == 0;
            ok &= Native.PosixFadvise(fd, 0, 0, PosixFadvDontNeed) == 0;
        }

        return ok;
    }

    /// <summary>Fraction of the files' pages that are in the page cache now (mincore), or NaN if it cannot be told.</summary>
    public static double ResidentFraction(IEnumerable<string> paths)
    {
        if (!OperatingSystem.IsLinux())
        {
            return double.NaN;
        }

        long pageSize = Environment.SystemPageSize;
        long resident = 0;
        long pages = 0;
        foreach (string path in paths)
        {
            using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long length = RandomAccess.GetLength(handle);
            if (length == 0)
            {
                continue;
            }

            nint map = Native.Mmap(0, (nuint)length, ProtRead, MapShared, (int)handle.DangerousGetHandle(), 0);
            if (map == -1)
            {
                return double.NaN;
            }

            try
            {
                byte[] vector = new byte[(length + pageSize - 1) / pageSize];
                if (Native.Mincore(map, (nuint)length, vector) != 0)
                {
                    return double.NaN;
                }

                pages += vector.Length;
                foreach (byte page in vector)
                {
                    resident += page & 1;
                }
            }
            finally
            {
                _ = Native.Munmap(map, (nuint)length);
            }
        }

        return pages == 0 ? 0 : (double)resident / pages;
    }

    /// <summary>sync(2): every dirty page and pending journal commit (and the discards it issues) of every file system.</summary>
    public static void SyncAll()
    {
        if (OperatingSystem.IsLinux())
        {
            Native.Sync();
        }
    }

    /// <summary>The calling thread's minor page faults and involuntary context switches so far (getrusage RUSAGE_THREAD); zeros off Linux.</summary>
    public static (long MinorFaults, long InvoluntarySwitches) ThreadCounters()
    {
        if (!OperatingSystem.IsLinux() || Native.GetRusage(RusageThread, out ResourceUsage usage) != 0)
        {
            return (0, 0);
        }

        return (usage.MinorFaults, usage.InvoluntarySwitches);
    }

    /// <summary>struct rusage on 64-bit Linux: two timevals, then 14 longs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceUsage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        public long MaxResidentKb;
        public long SharedText;
        public long UnsharedData;
        public long UnsharedStack;
        public long MinorFaults;
        public long MajorFaults;
        public long Swaps;
        public long BlockInputs;
        public long BlockOutputs;
        public long MessagesSent;
        public long MessagesReceived;
        public long Signals;
        public long VoluntarySwitches;
        public long InvoluntarySwitches;
    }

    /// <summary>libc calls the perf project needs (blittable arguments only, so no unsafe code).</summary>
    private static class Native
    {
        [DllImport("libc", EntryPoint = "posix_fadvise")]
        public static extern int PosixFadvise(int fd, long offset, long length, int advice);

        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        public static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", EntryPoint = "fsync")]
        public static extern int Fsync(int fd);

        [DllImport("libc", EntryPoint = "mmap", SetLastError = true)]
        public static extern nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

        [DllImport("libc", EntryPoint = "madvise")]
        public static extern int Madvise(nint address, nuint length, int advice);

        [DllImport("libc", EntryPoint = "pread", SetLastError = true)]
        public static extern nint Pread(int fd, nint buffer, nuint count, long offset);

        [DllImport("libc", EntryPoint = "munmap")]
        public static extern int Munmap(nint address, nuint length);

        [DllImport("libc", EntryPoint = "sync")]
        public static extern void Sync();

        [DllImport("libc", EntryPoint = "getrusage")]
        public static extern int GetRusage(int who, out ResourceUsage usage);

        [DllImport("libc", EntryPoint = "mincore")]
        public static extern int Mincore(nint address, nuint length, [Out] byte[] vector);
    }
}
