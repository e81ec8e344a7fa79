using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Hashing;

namespace Store.Perf.Backends;

/// <summary>
/// The naive baseline, like Flink's heap backend without incremental checkpoints: a Dictionary,
/// and at every barrier a full snapshot. The synchronous part copies every value (the state is
/// updated in place, so the snapshot must not share it); the asynchronous part writes the copy
/// to a new file, with a checksum, and fsyncs it. Barrier pause and bytes therefore grow with
/// the state, not with the change.
/// </summary>
/// <remarks>
/// File: u64 entry count, then per entry u64 key | value bytes (fixed size), then the u64
/// XxHash3 of everything before it. A checkpoint's file is complete once the write returned.
/// </remarks>
internal sealed class FullSnapshotBackend(string directory, int valueSize) : IStateBackend
{
    private readonly Dictionary<long, byte[]> _state = [];
    private long _confirmed;

    public string Name => "full";

    public void Put(long key, ReadOnlySpan<byte> value) => _state[key] = value.ToArray();

    public void Increment(long key)
    {
        byte[] value = _state[key];
        BinaryPrimitives.WriteInt64LittleEndian(value, BinaryPrimitives.ReadInt64LittleEndian(value) + 1);
    }

    public BarrierOutcome Barrier(long checkpointId)
    {
        long pauseStart = Stopwatch.GetTimestamp();
        int recordSize = 8 + valueSize;
        byte[] image = GC.AllocateUninitializedArray<byte>(8 + (_state.Count * recordSize) + 8);
        BinaryPrimitives.WriteInt64LittleEndian(image, _state.Count);
        int at = 8;
        foreach ((long key, byte[] value) in _state)
        {
            BinaryPrimitives.WriteInt64LittleEndian(image.AsSpan(at), key);
            value.CopyTo(image.AsSpan(at + 8));
            at += recordSize;
        }

        TimeSpan pause = Stopwatch.GetElapsedTime(pauseStart, Stopwatch.GetTimestamp()); // the end is read before the call (see StoreBackend.Barrier)
        return new BarrierOutcome(pause, Task.Run(() =>
        {
            long start = Stopwatch.GetTimestamp();
            BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(at), XxHash3.HashToUInt64(image.AsSpan(0, at)));
            using (var file = new FileStream(PathOf(checkpointId), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                file.Write(image);
                file.Flush(flushToDisk: true);
            }

            return new CheckpointOutcome(image.Length, Incremental: false, Stopwatch.GetElapsedTime(start));
        }));
    }

    public void Confirm(long checkpointId)
    {
        // Keep only the newest confirmed snapshot, as a retained-1 full backend would.
        if (_confirmed != 0)
        {
            File.Delete(PathOf(_confirmed));
        }

        _confirmed = checkpointId;
    }

    public IRecoveredState Recover()
    {
        byte[] image = File.ReadAllBytes(PathOf(_confirmed));
        int end = image.Length - 8;
        if (end < 8 || BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(end)) != XxHash3.HashToUInt64(image.AsSpan(0, end)))
        {
            throw new InvalidDataException($"'{PathOf(_confirmed)}': the snapshot's checksum does not match.");
        }

        long count = BinaryPrimitives.ReadInt64LittleEndian(image);
        var state = new Dictionary<long, long>((int)count);
        for (int at = 8; at < end; at += 8 + valueSize)
        {
            state[BinaryPrimitives.ReadInt64LittleEndian(image.AsSpan(at))] = BinaryPrimitives.ReadInt64LittleEndian(image.AsSpan(at + 8));
        }

        return new Recovered(_confirmed, state);
    }

    public void Dispose()
    {
    }

    private string PathOf(long checkpointId) => Path.Combine(directory, $"full.{checkpointId:D12}.snapshot");

    private sealed class Recovered(long checkpointId, Dictionary<long, long> counters) : IRecoveredState
    {
        public long CheckpointId => checkpointId;

        public bool TryGetCounter(long key, out long counter) => counters.TryGetValue(key, out counter);

        public void Dispose()
        {
        }
    }
}
