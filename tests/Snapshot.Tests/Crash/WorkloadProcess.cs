using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Snapshot.Tests.Crash;

/// <summary>What a run of the crash workload printed and how it ended.</summary>
/// <param name="KilledByTest">True when the test killed it (it was still running).</param>
public sealed record WorkloadRun(IReadOnlyList<string> Lines, string Errors, int ExitCode, bool KilledByTest)
{
    /// <summary>The newest checkpoint whose Confirm had returned (0 when none).</summary>
    public long LastConfirmed => Numbers("confirmed ").DefaultIfEmpty(0).Max();

    /// <summary>The newest checkpoint whose Barrier had returned (0 when none).</summary>
    public long LastBarrier => Numbers("barrier ").DefaultIfEmpty(0).Max();

    public bool Printed(string line) => Lines.Contains(line);

    private IEnumerable<long> Numbers(string prefix) => Lines
        .Where(l => l.StartsWith(prefix, StringComparison.Ordinal))
        .Select(l => long.Parse(l[prefix.Length..], CultureInfo.InvariantCulture));
}

/// <summary>Starts tests/Snapshot.CrashWorkload as a child process (`dotnet Snapshot.CrashWorkload.dll …`) and collects its output.</summary>
public static class WorkloadProcess
{
    /// <summary>Longest a child may take to print "ready" or to reach its fault point before the test gives up on it.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>The workload's dll: Snapshot.Tests references the project, so it (and its runtimeconfig) sit next to the test assembly.</summary>
    public static string WorkloadDll
    {
        get
        {
            string dll = Path.Combine(AppContext.BaseDirectory, "Snapshot.CrashWorkload.dll");
            if (!File.Exists(dll) || !File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")))
            {
                throw new FileNotFoundException(
                    "Snapshot.CrashWorkload.dll and its runtimeconfig.json are not in the test output; Snapshot.Tests.csproj must reference tests/Snapshot.CrashWorkload.", dll);
            }

            return dll;
        }
    }

    /// <summary>The dotnet host running this test, so the child uses the same runtime.</summary>
    public static string DotnetHost
    {
        get
        {
            if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
            {
                return hostPath;
            }

            if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
            {
                return self;
            }

            if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root && File.Exists(Path.Combine(root, "dotnet")))
            {
                return Path.Combine(root, "dotnet");
            }

            return "dotnet";
        }
    }

    public static string CommandLine(IReadOnlyList<string> arguments) => $"dotnet {WorkloadDll} {string.Join(' ', arguments)}";

    /// <summary>Runs the workload until it exits by itself: completion, or SIGKILL at its own fault point.</summary>
    public static WorkloadRun RunToExit(IReadOnlyList<string> arguments)
    {
        using var child = new Child(arguments);
        if (!child.Process.WaitForExit(Patience))
        {
            child.Kill();
            Assert.Fail($"The workload did not exit within {Patience.TotalSeconds} s (a fault point it should hit was never reached?): {CommandLine(arguments)}\n{child.Output().Errors}");
        }

        return child.Output();
    }

    /// <summary>Runs the workload and SIGKILLs it <paramref name="delay"/> after it printed "ready".</summary>
    public static WorkloadRun RunAndKill(IReadOnlyList<string> arguments, TimeSpan delay)
    {
        using var child = new Child(arguments);
        if (!child.Ready.Wait(Patience))
        {
            child.Kill();
            Assert.Fail($"The workload did not start within {Patience.TotalSeconds} s: {CommandLine(arguments)}\n{child.Output().Errors}");
        }

        Thread.Sleep(delay);
        bool running = !child.Process.HasExited;
        child.Kill();
        return child.Output() with { KilledByTest = running };
    }

    private sealed class Child : IDisposable
    {
        private readonly List<string> _lines = [];
        private readonly StringBuilder _errors = new();

        public Child(IReadOnlyList<string> arguments)
        {
            var start = new ProcessStartInfo(DotnetHost)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(WorkloadDll);
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            Process = new Process { StartInfo = start };
            Process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    return;
                }

                lock (_lines)
                {
                    _lines.Add(e.Data);
                }

                if (e.Data == "ready")
                {
                    Ready.Set();
                }
            };
            Process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    lock (_errors)
                    {
                        _errors.AppendLine(e.Data);
                    }
                }
            };
            Process.Start();
            Process.BeginOutputReadLine();
            Process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public ManualResetEventSlim Ready { get; } = new();

        /// <summary>SIGKILL (a no-op once it has exited), then wait for it and for the end of its output.</summary>
        public void Kill()
        {
            try
            {
                Process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            Process.WaitForExit();
        }

        /// <summary>Everything it printed; call after it exited (WaitForExit() also drains the redirected streams).</summary>
        public WorkloadRun Output()
        {
            if (Process.HasExited)
            {
                Process.WaitForExit();
            }

            lock (_lines)
            {
                lock (_errors)
                {
                    return new WorkloadRun(_lines.ToList(), _errors.ToString(), Process.HasExited ? Process.ExitCode : -1, KilledByTest: false);
                }
            }
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Kill();
            }

            Process.Dispose();
            Ready.Dispose();
        }
    }
}
