using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Snapshot;
using Snapshot.CrashWorkload;
using Snapshot.Diagnostics;
using Store;

// The child process of the crash tests. Usage:
//   Snapshot.CrashWorkload <directory> <seed> [<fault-point> <occurrence>] [--intervals <n>]
// Runs CrashPlan(seed) against a fresh shard in <directory>. With a fault point it SIGKILLs itself
// at that point's <occurrence>-th hit (counting from 1, across all threads). Without --intervals it
// runs until killed. Lines on stdout (each flushed before the next step):
//   ready                   the checkpointer is open; the first interval starts
//   barrier <id>            Barrier(id) returned
//   confirmed <id>          Confirm(id) returned: id is durably confirmed
//   fault <name> <n>        about to SIGKILL itself at the n-th hit of fault point <name>
//   hits <name>=<count> …   fault point hits of a run that completed
//   done                    the run completed (only with --intervals)
// Exit codes: 0 done, 2 bad arguments, anything else an unexpected failure (stack trace on stderr).

string[] faultPoints =
[
    FaultPoints.DataRecords, FaultPoints.DataWritten, FaultPoints.DataSynced,
    FaultPoints.CatalogSlotHalf, FaultPoints.CatalogCommitted, FaultPoints.RetentionDelete,
];

var positional = new List<string>();
long intervals = long.MaxValue;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--intervals" && i + 1 < args.Length && long.TryParse(args[i + 1], CultureInfo.InvariantCulture, out intervals))
    {
        i++;
    }
    else
    {
        positional.Add(args[i]);
    }
}

if (positional.Count is not (2 or 4)
    || !long.TryParse(positional[1], CultureInfo.InvariantCulture, out long seed)
    || (positional.Count == 4 && (!faultPoints.Contains(positional[2]) || !int.TryParse(positional[3], CultureInfo.InvariantCulture, out _))))
{
    Console.Error.WriteLine(
        "usage: Snapshot.CrashWorkload <directory> <seed> [<fault-point> <occurrence>] [--intervals <n>]; fault points: " + string.Join(", ", faultPoints));
    return 2;
}

string directory = positional[0];
string? target = positional.Count == 4 ? positional[2] : null;
int occurrence = positional.Count == 4 ? int.Parse(positional[3], CultureInfo.InvariantCulture) : 0;

var hits = new ConcurrentDictionary<string, int>();
FaultPoints.Hook = name =>
{
    int n = hits.AddOrUpdate(name, 1, (_, count) => count + 1);
    if (name == target && n == occurrence)
    {
        Say($"fault {name} {n}");
        Process.GetCurrentProcess().Kill(); // SIGKILL on Linux: no finally blocks, no flushing, like a power cut minus the page cache
        Thread.Sleep(Timeout.Infinite);
    }
};

var plan = new CrashPlan(seed);
using StateStore store = StateStore.Open(CrashPlan.StoreOptions);
using Checkpointer checkpointer = Checkpointer.Open(store, CrashPlan.CheckpointOptions(directory));
Say("ready");

// Everything runs on this thread, the store's writer thread; checkpoint tasks are waited for synchronously.
(CheckpointId Id, Task<CheckpointResult> Task)? inFlight = null;
foreach (Interval interval in plan.Intervals())
{
    if (interval.Id.Value > intervals)
    {
        break;
    }

    foreach (Operation op in interval.Operations)
    {
        if (op.Delete)
        {
            store.Delete(CrashPlan.Key(op.Key));
        }
        else
        {
            store.Put(CrashPlan.Key(op.Key), CrashPlan.Value(op.Key, op.Index));
        }
    }

    Task<CheckpointResult> task = checkpointer.Barrier(interval.Id, interval.ForceFull);
    Say($"barrier {interval.Id.Value}");
    if (interval.End == IntervalEnd.KeepInFlight)
    {
        inFlight = (interval.Id, task);
        continue;
    }

    if (interval.End == IntervalEnd.AbortAtOnce)
    {
        checkpointer.Abort(interval.Id);
    }

    if (inFlight is { } previous)
    {
        if (previous.Id != interval.InFlight)
        {
            throw new InvalidOperationException($"The plan says {interval.InFlight} is in flight, the workload has {previous.Id}.");
        }

        previous.Task.GetAwaiter().GetResult();
        if (interval.ConfirmInFlight)
        {
            Confirm(previous.Id);
        }

        inFlight = null;
    }

    switch (interval.End)
    {
        case IntervalEnd.Confirm:
            task.GetAwaiter().GetResult();
            Confirm(interval.Id);
            break;
        case IntervalEnd.AbortAtOnce:
            try
            {
                task.GetAwaiter().GetResult(); // committed before the abort reached it: the abort removed it
            }
            catch (OperationCanceledException)
            {
                // Cancelled while being written: its file is gone.
            }

            break;
        case IntervalEnd.AbortWhenWritten:
            task.GetAwaiter().GetResult();
            checkpointer.Abort(interval.Id);
            break;
        case IntervalEnd.LeaveUnconfirmed:
            task.GetAwaiter().GetResult();
            break;
        default:
            throw new InvalidOperationException($"Unexpected interval end {interval.End}.");
    }
}

inFlight?.Task.GetAwaiter().GetResult();
Say("hits " + string.Join(' ', faultPoints.Select(name => $"{name}={hits.GetValueOrDefault(name)}")));
Say("done");
return 0;

void Confirm(CheckpointId id)
{
    checkpointer.Confirm(id);
    Say($"confirmed {id.Value}"); // only now: the parent takes this line as proof that id is durably confirmed
}

static void Say(string line)
{
    Console.Out.WriteLine(line);
    Console.Out.Flush();
}
