namespace Store.Perf;

/// <summary>
/// The process's peak resident set (VmHWM), which Linux lets a process reset (writing 5 to
/// /proc/self/clear_refs), so stores run one after another each get their own peak.
/// </summary>
internal static class PeakMemory
{
    public static void Reset()
    {
        // Aggressive: the previous backend's managed memory is decommitted, not kept for reuse, so
        // it does not count as this backend's resident memory.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Older kernels: the peak then covers the stores run before too (the JSON says so by being monotonic).
        }
    }

    /// <summary>VmHWM in bytes, or -1 where /proc/self/status has none.</summary>
    public static long PeakResidentBytes()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        return -1;
    }
}
