using System.Buffers.Binary;
using System.Diagnostics;
using RocksDbSharp;

namespace Store.Perf.Backends;

/// <summary>
/// RocksDB as Flink's RocksDB state backend runs it with incremental checkpoints: writes skip the
/// WAL (the checkpoint, not a log, is what makes state durable), an update is a get and a put,
/// and a checkpoint is a memtable flush plus a native checkpoint, a directory of hard links to the
/// live SST files.
/// </summary>
/// <remarks>
/// <para>Flink takes the native checkpoint in its synchronous phase, so the flush and the hard
/// links are the barrier pause here. The SST files are written and synced by the flush, so the
/// checkpoint is durable when the barrier returns; the asynchronous part has nothing left to do
/// (Flink's would upload the new files to the checkpoint storage).</para>
/// <para>Bytes: as the issue defines them, the SST files that the previous checkpoint did not
/// have, which is what Flink's incremental checkpoint uploads. MANIFEST, CURRENT and OPTIONS
/// (a few KB each time) are left out.</para>
/// <para>Options are RocksDB's defaults (64 MB write buffers, levelled compaction, no bloom filter,
/// as Flink's defaults), with an LRU block cache of <see cref="BlockCacheBytes"/>, in the range of
/// what Flink's managed memory gives one slot.</para>
/// </remarks>
internal sealed class RocksDbBackend : IStateBackend
{
    private const long BlockCacheBytes = 256L << 20;

    /// <summary>Confirmed checkpoint directories kept, as the store keeps its last two.</summary>
    private const int Retained = 2;

    private readonly string _directory;
    private readonly int _valueSize;
    private readonly RocksDb _db;
    private readonly WriteOptions _noWal = new WriteOptions().DisableWal(1);
    private readonly FlushOptions _flush = new FlushOptions().SetWaitForFlush(true);
    private readonly byte[] _key = new byte[8];
    private readonly byte[] _value;
    private readonly Queue<long> _confirmed = new();
    private HashSet<string> _previousSsts = [];

    public RocksDbBackend(string directory, int valueSize)
    {
        _directory = directory;
        _valueSize = valueSize;
        _value = new byte[valueSize];
        _db = RocksDb.Open(Options(), Path.Combine(directory, "db"));
    }

    public string Name => "rocksdb";

    public void Put(long key, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_key, key);
        _db.Put(_key, value, null, _noWal);
    }

    public void Increment(long key)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_key, key);
        if (!_db.GetFixedSizeValue(_key, _value, null, null))
        {
            throw new InvalidOperationException($"rocksdb: key {key} is missing");
        }

        BinaryPrimitives.WriteInt64LittleEndian(_value, BinaryPrimitives.ReadInt64LittleEndian(_value) + 1);
        _db.Put(_key, _value, null, _noWal);
    }

    public BarrierOutcome Barrier(long checkpointId)
    {
        string target = CheckpointPath(checkpointId);
        long start = Stopwatch.GetTimestamp();
        _db.Flush(_flush);
        using (Checkpoint checkpoint = _db.Checkpoint())
        {
            checkpoint.Save(target, 0);
        }

        TimeSpan pause = Stopwatch.GetElapsedTime(start, Stopwatch.GetTimestamp()); // the end is read before the call (see StoreBackend.Barrier)

        // Counting the new files is bookkeeping, not part of the checkpoint: it runs after the pause.
        HashSet<string> ssts = Directory.EnumerateFiles(target, "*.sst").Select(Path.GetFileName).ToHashSet()!;
        long bytes = ssts.Where(name => !_previousSsts.Contains(name)).Sum(name => new FileInfo(Path.Combine(target, name)).Length);
        bool incremental = _previousSsts.Count > 0;
        _previousSsts = ssts;
        return new BarrierOutcome(pause, Task.FromResult(new CheckpointOutcome(bytes, incremental, TimeSpan.Zero)));
    }

    public void Confirm(long checkpointId)
    {
        _confirmed.Enqueue(checkpointId);
        while (_confirmed.Count > Retained)
        {
            // Hard links: deleting a checkpoint never touches the live database's files.
            Directory.Delete(CheckpointPath(_confirmed.Dequeue()), recursive: true);
        }
    }

    public IRecoveredState Recover()
    {
        // Flink downloads (or, with local recovery, links) the checkpoint's files into a fresh
        // instance directory and opens it; opening the checkpoint directory itself is the same here.
        long newest = _confirmed.Last();
        return new Recovered(newest, RocksDb.Open(Options(), CheckpointPath(newest)), _valueSize);
    }

    public void Dispose()
    {
        _db.Dispose();
    }

    private static DbOptions Options()
    {
        var table = new BlockBasedTableOptions().SetBlockCache(Cache.CreateLru((ulong)BlockCacheBytes));
        return new DbOptions().SetCreateIfMissing(true).SetBlockBasedTableFactory(table);
    }

    private string CheckpointPath(long checkpointId) => Path.Combine(_directory, $"chk-{checkpointId}");

    private sealed class Recovered(long checkpointId, RocksDb db, int valueSize) : IRecoveredState
    {
        private readonly byte[] _key = new byte[8];
        private readonly byte[] _value = new byte[valueSize];

        public long CheckpointId => checkpointId;

        public bool TryGetCounter(long key, out long counter)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_key, key);
            bool found = db.GetFixedSizeValue(_key, _value, null, null);
            counter = found ? BinaryPrimitives.ReadInt64LittleEndian(_value) : 0;
            return found;
        }

        public void Dispose() => db.Dispose();
    }
}
