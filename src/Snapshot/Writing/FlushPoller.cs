using System.Diagnostics;

namespace Snapshot.Writing;

/// <summary>Something with queued checkpoint writes; the poller asks it to start them.</summary>
internal interface IFlushTarget
{
    /// <summary>Starts writing queued checkpoints if any arrived and no writer is running. Must not block.</summary>
    void StartQueuedWrites();
}

/// <summary>
/// One process-wide thread that notices new barriers by polling every millisecond, so that a
/// barrier never wakes a thread. Waking a parked thread (SemaphoreSlim.Release, a
/// ManualResetEventSlim.Set) cost 4.5–9 µs at the median and 60–90 µs at p99 on these VMs
/// (native-notes/thread-wakeup.md), 60–100× the store's freeze; a poll costs the async part at most
/// a millisecond, which a checkpoint's fsyncs dwarf anyway.
/// </summary>
internal static class FlushPoller
{
    private const int PollMilliseconds = 1;

    private static readonly object Gate = new(); // a monitor: Run parks on it while nothing is registered
    private static readonly List<IFlushTarget> Targets = [];
    private static Thread? _thread;
    private static int _version; // bumped on every change of Targets, so a poll copies the list only then

    public static void Register(IFlushTarget target)
    {
        lock (Gate)
        {
            Targets.Add(target);
            _version++;
            if (_thread is null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = "Store checkpoint poller" };
                _thread.Start();
            }

            Monitor.PulseAll(Gate);
        }
    }

    public static void Unregister(IFlushTarget target)
    {
        lock (Gate)
        {
            Targets.Remove(target);
            _version++;
        }
    }

    private static void Run()
    {
        IFlushTarget[] targets = [];
        int seen = -1;
        while (true)
        {
            lock (Gate)
            {
                while (Targets.Count == 0)
                {
                    Monitor.Wait(Gate); // nothing to poll: park until a checkpointer opens
                }

                if (seen != _version)
                {
                    targets = [.. Targets];
                    seen = _version;
                }
            }

            foreach (IFlushTarget target in targets)
            {
                try
                {
                    target.StartQueuedWrites();
                }
                catch (Exception e)
                {
                    // A target reports its failures through its checkpoints' tasks; this is a bug guard.
                    Debug.Fail("StartQueuedWrites does not throw: " + e);
                }
            }

            Thread.Sleep(PollMilliseconds);
        }
    }
}
