using System.Runtime.InteropServices;

namespace Store.Storage;

/// <summary>
/// The only P/Invoke surface of the store: Linux mmap, mprotect, madvise, posix_fallocate, sync_file_range and the open/fsync/close a directory sync needs.
/// Constants are the x86-64/arm64 Linux values (identical on both).
/// </summary>
internal static partial class NativeMethods
{
    public const int ProtNone = 0x0;
    public const int ProtRead = 0x1;
    public const int ProtWrite = 0x2;

    public const int MapShared = 0x01;
    public const int MapPrivate = 0x02;
    public const int MapFixed = 0x10;
    public const int MapAnonymous = 0x20;
    public const int MapNoReserve = 0x4000;
    /// <summary>Linux ≥ 4.17: like MAP_FIXED, but fails with EEXIST instead of replacing a mapping.</summary>
    public const int MapFixedNoReplace = 0x100000;

    public const int MadvRandom = 1;
    public const int MadvHugePage = 14;
    /// <summary>Linux ≥ 5.14: fault pages in writable without touching them (see native-notes/mmap-flavours.md).</summary>
    public const int MadvPopulateWrite = 23;

    public static readonly nint MapFailed = -1;

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint address, nuint length);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    public static partial int Mprotect(nint address, nuint length, int protection);

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    public static partial int Madvise(nint address, nuint length, int advice);

    /// <summary>Returns 0 or an errno value directly (it does not set errno).</summary>
    public const int ORdOnly = 0;
    public const int ODirectory = 0x10000; // Linux x86-64 and arm64

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    public static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    public const uint SyncFileRangeWrite = 2; // SYNC_FILE_RANGE_WRITE: start writeback, do not wait

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    public static partial int SyncFileRange(int fd, long offset, long nbytes, uint flags);

    [LibraryImport("libc", EntryPoint = "posix_fallocate")]
    public static partial int PosixFallocate(int fd, long offset, long length);
}
