using Store.Diagnostics;

namespace Store.Storage;

/// <summary>
/// Exclusive ownership of a store directory for the lifetime of one store instance. .NET maps
/// FileShare.None to an advisory flock(LOCK_EX | LOCK_NB) on Unix, which is per open file
/// description: a second store in the same process is refused exactly like one in another process,
/// and the kernel drops the lock when the process dies, so a crash never leaves a stale lock.
/// </summary>
internal sealed class DirectoryLock : IDisposable
{
    public const string FileName = "store.lock";

    private readonly FileStream _stream;

    private DirectoryLock(FileStream stream) => _stream = stream;

    public static DirectoryLock Acquire(string directory)
    {
        string path = Path.Combine(directory, FileName);
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return new DirectoryLock(stream);
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new StoreDirectoryInUseException(directory, path, e);
        }
    }

    public void Dispose() => _stream.Dispose();
}
