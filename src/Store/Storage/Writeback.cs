using Microsoft.Win32.SafeHandles;

namespace Store.Storage;

/// <summary>
/// Starts the kernel writing a file range to disk without waiting (sync_file_range with
/// SYNC_FILE_RANGE_WRITE). A writer that calls it behind itself keeps the disk busy while it
/// produces the rest, so the final fsync has little left to wait for. Not a durability barrier:
/// only fsync is.
/// </summary>
public static class Writeback
{
    /// <summary>Best effort: returns false where unsupported (other OSes, or a file system that refuses).</summary>
    public static bool Start(SafeFileHandle file, long offset, long length)
    {
        if (!OperatingSystem.IsLinux() || file.IsInvalid)
        {
            return false;
        }

        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            return NativeMethods.SyncFileRange((int)file.DangerousGetHandle(), offset, length, NativeMethods.SyncFileRangeWrite) == 0;
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }
}
