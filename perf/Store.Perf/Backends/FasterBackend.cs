using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FASTER.core;

namespace Store.Perf.Backends;

/// <summary>
/// Microsoft.FASTER.Core's FasterKV with long keys and a fixed-size value stored inline (long for
/// 8-byte values, a struct of the value's size otherwise; see <see cref="FasterBackends"/>), the whole log in memory and
/// incremental snapshot checkpoints, as issue 5 asks:
/// <c>TryInitiateHybridLogCheckpoint(CheckpointType.Snapshot, tryIncremental: true)</c>, then
/// <c>CompleteCheckpointAsync</c>.
/// </summary>
/// <remarks>
/// <para>Setup as in the micro benchmarks (perf/README, "FASTER setup"): an index of keys/2 buckets
/// rounded up to a power of two, a log with room for twice the records in memory, no record
/// locking (one writer, like Store's contract).</para>
/// <para>Barrier pause: the initiation call. FASTER then moves its version on through epochs while
/// the session goes on. Checkpoint bytes: how much its checkpoint directory grew, since FASTER
/// does not report them. Incremental: what was asked for; FASTER decides per checkpoint.</para>
/// </remarks>
/// <typeparam name="TValue">The value as FASTER stores it; its size is the workload's value size.</typeparam>
/// <typeparam name="TFunctions">Reads return the value's counter; RMW adds its input to the counter.</typeparam>
internal sealed class FasterBackend<TValue, TFunctions> : IStateBackend
    where TValue : unmanaged
    where TFunctions : FunctionsBase<long, TValue, long, long, Empty>, new()
{
    private readonly string _logPath;
    private readonly string _checkpointDirectory;
    private readonly long _indexBuckets;
    private readonly int _memoryBits;
    private readonly IDevice _device;
    private readonly FasterKV<long, TValue> _store;
    private readonly ClientSession<long, TValue, long, long, Empty, TFunctions> _session;
    private readonly Dictionary<long, long> _versions = []; // checkpoint id → FASTER's version once it completed
    private long _confirmed;

    // Bytes in the checkpoint directory after the last completed checkpoint. With one checkpoint
    // in flight nothing else writes there, so the next checkpoint's bytes are the growth from
    // here, measured when it completes, off the update path (not by listing files at the barrier).
    private long _checkpointBytesSoFar;

    public FasterBackend(string directory, int keys)
    {
        _logPath = Path.Combine(directory, "hlog.log");
        _checkpointDirectory = Path.Combine(directory, "checkpoints");
        _indexBuckets = (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)Math.Max(keys / 2, 1024));
        // A record is an 8-byte header, the key and the value; twice over for records that move to
        // the tail, at least 32 MiB.
        long recordBytes = 16 + Unsafe.SizeOf<TValue>();
        _memoryBits = Math.Max(25, System.Numerics.BitOperations.Log2((ulong)(keys * recordBytes * 2)) + 1);
        (_device, _store) = Create();
        _session = _store.For(new TFunctions()).NewSession<TFunctions>();
    }

    public string Name => "faster";

    public void Put(long key, ReadOnlySpan<byte> value)
    {
        TValue v = MemoryMarshal.Read<TValue>(value);
        _session.Upsert(ref key, ref v);
    }

    public void Increment(long key)
    {
        long input = 1;
        _session.RMW(ref key, ref input);
    }

    public BarrierOutcome Barrier(long checkpointId)
    {
        long start = Stopwatch.GetTimestamp();
        bool initiated = _store.TryInitiateHybridLogCheckpoint(out _, CheckpointType.Snapshot, tryIncremental: checkpointId > 1);
        TimeSpan pause = Stopwatch.GetElapsedTime(start, Stopwatch.GetTimestamp()); // the end is read before the call (see StoreBackend.Barrier)
        if (!initiated)
        {
            throw new InvalidOperationException($"FASTER refused to start checkpoint {checkpointId} (another is in progress).");
        }

        // An incremental snapshot keeps its base snapshot's token; the version tells checkpoints apart.
        return new BarrierOutcome(pause, Complete(checkpointId));
    }

    private async Task<CheckpointOutcome> Complete(long checkpointId)
    {
        long start = Stopwatch.GetTimestamp();
        await _store.CompleteCheckpointAsync().ConfigureAwait(false);
        _versions[checkpointId] = _store.CurrentVersion;
        TimeSpan durable = Stopwatch.GetElapsedTime(start);
        long total = DirectoryBytes(_checkpointDirectory);
        long bytes = total - _checkpointBytesSoFar;
        _checkpointBytesSoFar = total;
        return new CheckpointOutcome(bytes, checkpointId > 1, durable);
    }

    public void Confirm(long checkpointId) => _confirmed = checkpointId;

    public IRecoveredState Recover()
    {
        (IDevice device, FasterKV<long, TValue> store) = Create();
        store.Recover(); // the newest checkpoint; FASTER keeps no notion of confirmation
        long version = store.CurrentVersion;
        long id = _versions.Where(v => v.Value == version).Select(v => v.Key).DefaultIfEmpty(-1).Max();
        Console.Error.WriteLine($"faster: recovered to version {version}, checkpoint {id} (newest confirmed: {_confirmed})");
        return new Recovered(device, store, id);
    }

    public void Dispose()
    {
        _session.Dispose();
        _store.Dispose();
        _device.Dispose();
    }

    private (IDevice Device, FasterKV<long, TValue> Store) Create()
    {
        IDevice device = Devices.CreateLogDevice(_logPath, preallocateFile: false, deleteOnClose: false);
        var store = new FasterKV<long, TValue>(
            _indexBuckets,
            new LogSettings { LogDevice = device, MemorySizeBits = _memoryBits, PageSizeBits = 22 },
            new CheckpointSettings { CheckpointDir = _checkpointDirectory, RemoveOutdated = false },
            concurrencyControlMode: ConcurrencyControlMode.None);
        return (device, store);
    }

    private static long DirectoryBytes(string directory) =>
        Directory.Exists(directory) ? new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) : 0;

    private sealed class Recovered(IDevice device, FasterKV<long, TValue> store, long checkpointId) : IRecoveredState
    {
        private readonly ClientSession<long, TValue, long, long, Empty, TFunctions> _session =
            store.For(new TFunctions()).NewSession<TFunctions>();

        public long CheckpointId => checkpointId;

        public bool TryGetCounter(long key, out long counter)
        {
            counter = 0;
            Status status = _session.Read(ref key, ref counter);
            if (status.IsPending)
            {
                _session.CompletePendingWithOutputs(out CompletedOutputIterator<long, TValue, long, long, Empty> outputs, wait: true);
                using (outputs)
                {
                    if (!outputs.Next())
                    {
                        return false;
                    }

                    status = outputs.Current.Status;
                    counter = outputs.Current.Output;
                }
            }

            return status.Found;
        }

        public void Dispose()
        {
            _session.Dispose();
            store.Dispose();
            device.Dispose();
        }
    }
}
