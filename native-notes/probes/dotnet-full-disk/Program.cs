// What .NET does when a memory-mapped write hits a full filesystem (SIGBUS), versus
// the error paths that stay exceptions. Run via ../run-dotnet-full-disk.sh (needs root).
//   dotnet run -- DIR prealloc|fallocate|sigbus|populate
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

string dir = args[0];
string mode = args[1];
const long Size = 64L << 20; // larger than the 8 MiB test filesystem
string path = Path.Combine(dir, "probe-" + mode);

try
{
    switch (mode)
    {
        case "prealloc":
            // FileStreamOptions.PreallocationSize is .NET's only built-in route to fallocate.
            using (var fs = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Create, Access = FileAccess.ReadWrite, PreallocationSize = Size,
            }))
            {
                Console.WriteLine($"prealloc: ok, Length={fs.Length}");
            }
            break;

        case "fallocate":
            using (var fs = new FileStream(path, FileMode.Create, FileAccess.ReadWrite))
            {
                int rc = Native.fallocate((int)fs.SafeFileHandle.DangerousGetHandle(), 0, 0, Size);
                int errno = Marshal.GetLastPInvokeError();
                Console.WriteLine($"fallocate: rc={rc} errno={errno} ({Marshal.GetPInvokeErrorMessage(errno)}), " +
                                  $"Length afterwards={fs.Length}");
            }
            break;

        case "populate":
        case "sigbus":
            using (var fs = new FileStream(path, FileMode.Create, FileAccess.ReadWrite))
            {
                fs.SetLength(Size); // ftruncate: sparse, no space reserved
                using var mmf = MemoryMappedFile.CreateFromFile(fs, null, Size, MemoryMappedFileAccess.ReadWrite,
                    HandleInheritability.None, leaveOpen: true);
                using var view = mmf.CreateViewAccessor(0, Size);
                if (mode == "populate")
                {
                    nint addr = view.SafeMemoryMappedViewHandle.DangerousGetHandle() + (nint)view.PointerOffset;
                    int rc = Native.madvise(addr, (nuint)Size, 23 /* MADV_POPULATE_WRITE */);
                    int errno = Marshal.GetLastPInvokeError();
                    Console.WriteLine($"madvise(MADV_POPULATE_WRITE): rc={rc} errno={errno} " +
                                      $"({Marshal.GetPInvokeErrorMessage(errno)})");
                    break;
                }
                long page = 0;
                try
                {
                    for (; page < Size / 4096; page++)
                    {
                        view.Write(page * 4096, (byte)1);
                    }
                    Console.WriteLine($"sigbus: wrote all {page} pages, no fault");
                }
                catch (Exception e)
                {
                    Console.WriteLine($"sigbus: caught {e.GetType().FullName} at page {page}: {e.Message}");
                }
            }
            break;
    }
}
catch (Exception e)
{
    Console.WriteLine($"{mode}: {e.GetType().FullName}: {e.Message}");
}
finally
{
    File.Delete(path);
}

static partial class Native
{
    [LibraryImport("libc", SetLastError = true)]
    internal static partial int fallocate(int fd, int mode, long offset, long len);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int madvise(nint addr, nuint length, int advice);
}
