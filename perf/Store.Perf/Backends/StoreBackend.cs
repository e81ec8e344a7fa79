using System.Buffers.Binary;
using System.Diagnostics;
using Snapshot;

namespace Store.Perf.Backends;

/// <summary>This project: a <see cref="StateStore"/> with a <see cref="Checkpointer"/> (incremental checkpoints).</summary>
internal sealed class StoreBackend : IStateBackend
{
    private readonly CheckpointOptions _checkpointOptions;
    private readonly StoreOptions _storeOptions = new();
    private readonly StateStore _store;
    private readonly Checkpointer _checkpoints;
    private readonly byte[] _key = new byte[8];
    private readonly int _valueSize;
    private AddOne _increment;

    /// <param name="maxChainLength">The chain bound to run with; null keeps the library's default.</param>
    public StoreBackend(string directory, int valueSize, int? maxChainLength)
    {
        _valueSize = valueSize;
        _checkpointOptions = new CheckpointOptions { Directory = directory, Shard = "store" };
        if (maxChainLength is int chain)
        {
            _checkpointOptions = _checkpointOptions with { MaxChainLength = chain };
        }

        _store = StateStore.Open(_storeOptions);
        _checkpoints = Checkpointer.Open(_store, _checkpointOptions);
    }

    public string Name => "store";

    public void Put(long key, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_key, key);
        _store.Put(_key, value);
    }

    public void Increment(long key)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_key, key);
        _store.ReadModifyWrite(_key, ref _increment);
    }

    public BarrierOutcome Barrier(long checkpointId)
    {
        // The id is built outside the timed call: in this rarely run harness code its constructor
        // is a tier-0 call, whose promotion after 30 calls once cost a barrier sample ~50 µs.
        // For the same reason the end is a bare timestamp, converted after the timed region.
        var id = new CheckpointId(checkpointId);
        long start = Stopwatch.GetTimestamp();
        Task<CheckpointResult> checkpoint = _checkpoints.Barrier(id);
        long end = Stopwatch.GetTimestamp();
        return new BarrierOutcome(Stopwatch.GetElapsedTime(start, end), Outcome(checkpoint));

        static async Task<CheckpointOutcome> Outcome(Task<CheckpointResult> checkpoint)
        {
            CheckpointResult result = await checkpoint.ConfigureAwait(false);
            return new CheckpointOutcome(result.Bytes, result.Kind == CheckpointKind.Incremental, result.AsyncDuration);
        }
    }

    public void Confirm(long checkpointId) => _checkpoints.Confirm(new CheckpointId(checkpointId));

    public IRecoveredState Recover() => new Recovered(Checkpointer.Restore(_checkpointOptions, _storeOptions), _valueSize);

    public void Dispose()
    {
        // Progress line, stderr: how often a write found its page still held by a checkpoint being written.
        Console.Error.WriteLine($"store: {_store.Statistics.CopyOnWriteCount:N0} copy-on-write page copies over the run");
        _checkpoints.Dispose();
        _store.Dispose();
    }

    private sealed class Recovered(RestoredCheckpoint restored, int valueSize) : IRecoveredState
    {
        private readonly byte[] _key = new byte[8];
        private readonly byte[] _value = new byte[valueSize];

        public long CheckpointId => restored.Id.Value;

        public bool TryGetCounter(long key, out long counter)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_key, key);
            if (restored.Store.TryGetValueLength(_key, out int length) && length == _value.Length && restored.Store.TryGet(_key, _value, out _))
            {
                counter = BinaryPrimitives.ReadInt64LittleEndian(_value);
                return true;
            }

            counter = 0;
            return false;
        }

        public void Dispose()
        {
            restored.Checkpointer.Dispose();
            restored.Store.Dispose();
        }
    }

    /// <summary>Increments the first 8 bytes of the value, keeping its length.</summary>
    private struct AddOne : IValueUpdater
    {
        public readonly int NewLength(scoped ReadOnlySpan<byte> current, bool exists) => current.Length;

        public readonly void Update(scoped ReadOnlySpan<byte> current, bool exists, scoped Span<byte> destination)
        {
            current.CopyTo(destination);
            BinaryPrimitives.WriteInt64LittleEndian(destination, BinaryPrimitives.ReadInt64LittleEndian(current) + 1);
        }
    }
}
