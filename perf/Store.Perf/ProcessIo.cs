using System.Globalization;

namespace Store.Perf;

/// <summary>
/// Bytes this process has passed to write system calls (wchar in /proc/self/io): how a store
/// that writes its checkpoint with its own pwrites (LMDB's commit) is measured from outside.
/// </summary>
internal static class ProcessIo
{
    public static long WrittenBytes()
    {
        foreach (string line in File.ReadLines("/proc/self/io"))
        {
            if (line.StartsWith("wchar:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan("wchar:".Length).Trim(), CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("/proc/self/io has no wchar line; the lmdb backend needs Linux's per-process I/O accounting.");
    }
}
