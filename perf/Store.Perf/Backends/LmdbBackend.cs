using System.Buffers.Binary;
using System.Diagnostics;
using LightningDB;

namespace Store.Perf.Backends;

/// <summary>
/// LMDB through LightningDB: a memory-mapped copy-on-write B+tree. Updates run inside one write
/// transaction per interval; the checkpoint is that transaction's commit plus a sync, as the
/// issue defines it. The database file is the checkpoint: LMDB keeps no older version once the
/// next commit is synced, so there is nothing to retain and nothing to delete.
/// </summary>
/// <remarks>
/// <para>The environment opens with NoSync so that the commit writes its dirty pages (pwrite) and
/// the explicit <c>mdb_env_sync</c> is the one fsync; the barrier pause is both, since LMDB has no
/// asynchronous part. Bytes are what the commit passed to write calls (<see cref="ProcessIo"/>):
/// every page the interval dirtied, whole, plus the meta page.</para>
/// <para>The checkpoint id is committed with the state under <see cref="CheckpointKey"/>, so a
/// recovery reads which checkpoint it holds from the file, not from this object.</para>
/// <para>LMDB ties a write transaction to the thread that began it: the workload calls every
/// method from one thread (this backend's barrier task is already complete, so no await moves
/// it).</para>
/// </remarks>
internal sealed class LmdbBackend : IStateBackend
{
    /// <summary>Puts per write transaction while loading, far below LMDB's dirty-page limit.</summary>
    private const int LoadBatch = 100_000;

    /// <summary>The key under which a checkpoint's id is committed; workload keys are 0..N-1.</summary>
    private const long CheckpointKey = -1;

    private readonly string _path;
    private readonly LightningEnvironment _environment;
    private readonly LightningDatabase _database;
    private readonly byte[] _key = new byte[8];
    private readonly byte[] _value;
    private LightningTransaction _transaction;
    private int _uncommittedPuts;
    private long _writtenAtLastCheckpoint;
    private bool _loaded;

    public LmdbBackend(string directory, long keys, int valueSize)
    {
        LmdbLibrary.EnsureLoaded();
        _path = Path.Combine(directory, "lmdb");
        Directory.CreateDirectory(_path);
        _value = new byte[valueSize];
        _environment = OpenEnvironment(_path, keys, valueSize, EnvironmentOpenFlags.NoSync | EnvironmentOpenFlags.NoReadAhead);
        _transaction = _environment.BeginTransaction();
        _database = _transaction.OpenDatabase(configuration: new DatabaseConfiguration { Flags = DatabaseOpenFlags.Create });
        _writtenAtLastCheckpoint = ProcessIo.WrittenBytes();
    }

    public string Name => "lmdb";

    public void Put(long key, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_key, key);
        Check(_transaction.Put(_database, _key, value, PutOptions.None), "put");
        if (++_uncommittedPuts == LoadBatch)
        {
            // Loading commits in batches without a sync; the first barrier syncs them all.
            Check(_transaction.Commit(), "commit");
            _transaction.Dispose();
            _transaction = _environment.BeginTransaction();
            _uncommittedPuts = 0;
        }
    }

    public void Increment(long key)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_key, key);
        (MDBResultCode code, _, MDBValue current) = _transaction.Get(_database, _key);
        Check(code, $"get of key {key}");

        // The value points into the map; LMDB's put may move it, so the increment goes through a copy.
        current.AsSpan().CopyTo(_value);
        BinaryPrimitives.WriteInt64LittleEndian(_value, BinaryPrimitives.ReadInt64LittleEndian(_value) + 1);
        Check(_transaction.Put(_database, _key, _value, PutOptions.None), $"put of key {key}");
    }

    public BarrierOutcome Barrier(long checkpointId)
    {
        Span<byte> id = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(_key, CheckpointKey);
        BinaryPrimitives.WriteInt64LittleEndian(id, checkpointId);
        Check(_transaction.Put(_database, _key, id, PutOptions.None), "put of the checkpoint id");

        long start = Stopwatch.GetTimestamp();
        Check(_transaction.Commit(), "commit");
        Check(_environment.Flush(force: true), "sync");
        TimeSpan pause = Stopwatch.GetElapsedTime(start, Stopwatch.GetTimestamp()); // the end is read before the call (see StoreBackend.Barrier)

        _transaction.Dispose();
        _transaction = _environment.BeginTransaction();
        _uncommittedPuts = 0;
        long written = ProcessIo.WrittenBytes();
        long bytes = written - _writtenAtLastCheckpoint;
        _writtenAtLastCheckpoint = written;
        bool incremental = _loaded;
        _loaded = true;
        return new BarrierOutcome(pause, Task.FromResult(new CheckpointOutcome(bytes, incremental, TimeSpan.Zero)));
    }

    public void Confirm(long checkpointId)
    {
        // The synced commit is the only version there is; nothing to retain or release.
    }

    public IRecoveredState Recover()
    {
        // Opening maps the file; the state is then read on demand through page faults, so this
        // "recovery" is nearly free and the verification pays for reading the file.
        LightningEnvironment environment = OpenEnvironment(_path, 0, 0, EnvironmentOpenFlags.ReadOnly | EnvironmentOpenFlags.NoReadAhead);
        LightningTransaction transaction = environment.BeginTransaction(TransactionBeginFlags.ReadOnly);
        return new Recovered(environment, transaction, transaction.OpenDatabase(), _path);
    }

    public void Dispose()
    {
        _transaction.Abort();
        _transaction.Dispose();
        _database.Dispose();
        _environment.Dispose();
    }

    private static LightningEnvironment OpenEnvironment(string path, long keys, int valueSize, EnvironmentOpenFlags flags)
    {
        // The map is only address space (the file grows as pages are used): room for the B+tree
        // at about half-full leaves, the pages that copy-on-write keeps for one commit, and slack.
        long mapSize = Math.Max(1L << 30, keys * (valueSize + 8 + 16) * 4 + (256L << 20));
        var environment = new LightningEnvironment(path, new EnvironmentConfiguration { MapSize = mapSize });
        environment.Open(flags);
        return environment;
    }

    private static void Check(MDBResultCode code, string what)
    {
        if (code != MDBResultCode.Success)
        {
            throw new InvalidOperationException($"lmdb: {what} failed with {code}");
        }
    }

    private sealed class Recovered : IRecoveredState
    {
        private readonly LightningEnvironment _environment;
        private readonly LightningTransaction _transaction;
        private readonly LightningDatabase _database;
        private readonly byte[] _key = new byte[8];

        public Recovered(LightningEnvironment environment, LightningTransaction transaction, LightningDatabase database, string path)
        {
            _environment = environment;
            _transaction = transaction;
            _database = database;
            CheckpointId = TryGetCounter(CheckpointKey, out long id) ? id : throw new InvalidDataException($"lmdb: {path} has no committed checkpoint id");
        }

        public long CheckpointId { get; }

        public bool TryGetCounter(long key, out long counter)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_key, key);
            (MDBResultCode code, _, MDBValue value) = _transaction.Get(_database, _key);
            counter = code == MDBResultCode.Success ? BinaryPrimitives.ReadInt64LittleEndian(value.AsSpan()) : 0;
            return code == MDBResultCode.Success;
        }

        public void Dispose()
        {
            _transaction.Dispose();
            _database.Dispose();
            _environment.Dispose();
        }
    }
}
