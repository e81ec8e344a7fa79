using System.Buffers.Binary;
using Store;

namespace Snapshot.CrashWorkload;

/// <summary>How an interval's checkpoint is settled after its barrier.</summary>
public enum IntervalEnd
{
    /// <summary>Wait for the checkpoint's task, then confirm it.</summary>
    Confirm,

    /// <summary>Abort right after the barrier, usually while the data file is being written.</summary>
    AbortAtOnce,

    /// <summary>Wait for the checkpoint's task (it is committed, unconfirmed), then abort it.</summary>
    AbortWhenWritten,

    /// <summary>Leave the checkpoint in flight: the next interval's barrier overlaps it.</summary>
    KeepInFlight,

    /// <summary>Wait for the checkpoint's task and never confirm it (a later confirmation subsumes it).</summary>
    LeaveUnconfirmed,
}

/// <summary>One Put (or Delete) of the workload; <paramref name="Index"/> is its global sequence number, which the value derives from.</summary>
public readonly record struct Operation(long Key, long Index, bool Delete);

/// <summary>
/// One interval of the workload: operations, then the barrier of checkpoint <see cref="Id"/>.
/// </summary>
/// <param name="InFlight">A checkpoint left in flight by the previous interval (None when there is none): after this barrier the workload waits for it.</param>
/// <param name="ConfirmInFlight">Whether <see cref="InFlight"/> is confirmed once written (else it stays unconfirmed, or this interval's confirmation subsumes it).</param>
public sealed record Interval(
    CheckpointId Id, IReadOnlyList<Operation> Operations, bool ForceFull, IntervalEnd End, CheckpointId InFlight, bool ConfirmInFlight)
{
    /// <summary>The checkpoints the workload calls Confirm on at the end of this interval, in call order.</summary>
    public IEnumerable<CheckpointId> Confirms()
    {
        if (!InFlight.IsNone && ConfirmInFlight)
        {
            yield return InFlight;
        }

        if (End == IntervalEnd.Confirm)
        {
            yield return Id;
        }
    }
}

/// <summary>
/// The crash workload, deterministic from a seed: the child process runs it, and the test replays
/// it in-process to know the store's content at any checkpoint's barrier. Interval n ends with the
/// barrier of checkpoint n, so the model at checkpoint n is every operation of intervals 1..n.
/// </summary>
public sealed class CrashPlan(long seed)
{
    public const string Shard = "crash";

    /// <summary>Keys are 0 .. KeySpace − 1: small enough that later intervals overwrite and delete, large enough for a few hundred pages.</summary>
    public const int KeySpace = 12_000;

    public long Seed { get; } = seed;

    /// <summary>
    /// Restores read data files written with these (PageSize and MaxParallelism must match). Three
    /// frozen versions: two checkpoints in flight plus one whose abort the flusher has not reached.
    /// </summary>
    public static StoreOptions StoreOptions { get; } = new() { MaxFrozenVersions = 3 };

    /// <summary>Two retained checkpoints and chains of at most four files, so retention deletes and full/incremental switches happen every few intervals.</summary>
    public static CheckpointOptions CheckpointOptions(string directory) => new()
    {
        Directory = directory,
        Shard = Shard,
        RetainedCheckpoints = 2,
        MaxChainLength = 4,
    };

    /// <summary>The intervals, endlessly (the child stops when killed or after a given count).</summary>
    public IEnumerable<Interval> Intervals()
    {
        var random = new SplitMix(Seed);
        long index = 0;
        bool inFlight = false;
        for (long n = 1; ; n++)
        {
            var operations = new List<Operation>();
            if (n == 1)
            {
                // Start from a populated store, so full checkpoints span hundreds of pages.
                for (long key = 0; key < KeySpace * 3 / 4; key++)
                {
                    operations.Add(new Operation(key, ++index, Delete: false));
                }
            }
            else
            {
                int count = 50 + random.Next(1500);
                for (int i = 0; i < count; i++)
                {
                    operations.Add(new Operation(random.Next(KeySpace), ++index, Delete: random.Next(100) < 20));
                }
            }

            bool forceFull = random.Next(100) < 10;
            int roll = random.Next(100);
            IntervalEnd end = roll switch
            {
                < 45 => IntervalEnd.Confirm,
                < 55 => IntervalEnd.AbortAtOnce,
                < 65 => IntervalEnd.AbortWhenWritten,
                < 80 => IntervalEnd.LeaveUnconfirmed,
                _ => IntervalEnd.KeepInFlight,
            };
            if (end == IntervalEnd.KeepInFlight && inFlight)
            {
                end = IntervalEnd.Confirm; // at most two checkpoints in flight
            }

            bool confirmInFlight = random.Next(100) < 60;
            yield return new Interval(
                new CheckpointId(n), operations, forceFull, end, inFlight ? new CheckpointId(n - 1) : CheckpointId.None, inFlight && confirmInFlight);
            inFlight = end == IntervalEnd.KeepInFlight;
        }
    }

    /// <summary>The store's content at checkpoint <paramref name="id"/>'s barrier: key → index of the operation that wrote its value.</summary>
    public Dictionary<long, long> ModelAt(CheckpointId id)
    {
        var model = new Dictionary<long, long>();
        foreach (Interval interval in Intervals())
        {
            if (interval.Id > id)
            {
                break;
            }

            foreach (Operation op in interval.Operations)
            {
                if (op.Delete)
                {
                    model.Remove(op.Key);
                }
                else
                {
                    model[op.Key] = op.Index;
                }
            }
        }

        return model;
    }

    /// <summary>Every checkpoint the workload calls Confirm on, up to and including the barrier of <paramref name="last"/>.</summary>
    public HashSet<CheckpointId> ConfirmedUpTo(CheckpointId last)
    {
        var ids = new HashSet<CheckpointId>();
        foreach (Interval interval in Intervals())
        {
            if (interval.Id > last)
            {
                break;
            }

            ids.UnionWith(interval.Confirms());
        }

        return ids;
    }

    public static byte[] Key(long key)
    {
        byte[] bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, key);
        return bytes;
    }

    /// <summary>
    /// The value operation <paramref name="index"/> writes to <paramref name="key"/>: mostly 16 to
    /// 200 bytes, one in a hundred 1 to 3 KB; its first bytes are the index and the key, so a
    /// stale or misplaced value never passes for the right one.
    /// </summary>
    public static byte[] Value(long key, long index)
    {
        var random = new SplitMix((key * 0x2545F4914F6CDD1DL) ^ index);
        int length = random.Next(100) == 0 ? 1000 + random.Next(2000) : 16 + random.Next(185);
        byte[] value = new byte[length];
        for (int i = 16; i < length; i++)
        {
            value[i] = (byte)random.NextUInt64();
        }

        BinaryPrimitives.WriteInt64LittleEndian(value, index);
        BinaryPrimitives.WriteInt64LittleEndian(value.AsSpan(8), key);
        return value;
    }

    /// <summary>SplitMix64: a tiny generator whose sequence is fixed by this code, not by the runtime's Random.</summary>
    private struct SplitMix(long seed)
    {
        private ulong _state = (ulong)seed;

        public ulong NextUInt64()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public int Next(int bound) => (int)(NextUInt64() % (ulong)bound);
    }
}
