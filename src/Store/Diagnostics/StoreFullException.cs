namespace Store.Diagnostics;

/// <summary>
/// The store could not grow its frame file: the file system refused to reserve the space
/// (ENOSPC, EFBIG, a quota). The state is unchanged and still readable; the write that needed
/// the space was not applied.
/// </summary>
public sealed class StoreFullException(string file, long offset, long bytes, int errno)
    : IOException(
        $"Cannot grow '{file}' by {bytes} bytes at offset {offset}: the file system refused the space " +
        $"(errno {errno}: {Describe(errno)}). Free disk space or give the store another directory.")
{
    public string File { get; } = file;
    public long Offset { get; } = offset;
    public int Errno { get; } = errno;

    private static string Describe(int errno) => errno switch
    {
        28 => "no space left on device",
        27 => "file too large",
        122 => "disk quota exceeded",
        _ => "see errno(3)",
    };
}
