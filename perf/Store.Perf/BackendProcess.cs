using System.Diagnostics;
using System.Reflection;

namespace Store.Perf;

/// <summary>
/// Runs one backend in a child process of this harness (the default for a multi-store run), so
/// that its peak RSS, page cache and GC heap are its own: in one process, a backend run after LMDB
/// carried the gigabytes of page cache LMDB left mapped. The child's progress goes to this
/// process's stderr; its table goes nowhere (this process prints one for all).
/// </summary>
internal static class BackendProcess
{
    /// <summary>The child's result, or null (with the reason on stderr) when it did not produce one.</summary>
    public static async Task<RunResult?> RunAsync(string store, PerfOptions options)
    {
        string resultPath = Path.Combine(Path.GetTempPath(), $"store-perf-{store}-{Guid.NewGuid():N}.result.json");
        var start = new ProcessStartInfo { RedirectStandardOutput = true, UseShellExecute = false };
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("the harness cannot find its own executable");
        start.FileName = host;
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            // Started as `dotnet Store.Perf.dll`: the child needs the assembly too.
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        foreach (string argument in options.ChildArguments(store, resultPath))
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using Process child = Process.Start(start) ?? throw new InvalidOperationException($"could not start a process for {store}");
            Task drain = child.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
            await child.WaitForExitAsync();
            await drain;
            if (!File.Exists(resultPath))
            {
                Console.Error.WriteLine($"{store}: the child process exited with code {child.ExitCode} and wrote no result");
                return null;
            }

            return RunResultFile.Read(resultPath);
        }
        finally
        {
            File.Delete(resultPath);
        }
    }
}
