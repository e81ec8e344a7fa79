using System.Runtime.InteropServices;

namespace Store.Storage;

/// <summary>
/// Makes a directory's entries durable. Creating, renaming or deleting a file changes its
/// directory, and POSIX only promises that change survives a crash after an fsync of the directory
/// itself; .NET has no API for it (a directory cannot be opened as a FileStream).
/// </summary>
public static class DirectorySync
{
    /// <summary>fsync(2) on the directory. A no-op on platforms other than Linux.</summary>
    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        int fd = NativeMethods.Open(directory, NativeMethods.ORdOnly | NativeMethods.ODirectory);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"Cannot open directory '{directory}' to sync it: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
        }

        try
        {
            if (NativeMethods.Fsync(fd) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new IOException($"fsync of directory '{directory}' failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
            }
        }
        finally
        {
            NativeMethods.Close(fd);
        }
    }
}
