using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using FASTER.core;
using PerfShared;

namespace Store.Benchmarks.Index;

/// <summary>
/// Single-thread Get, Put (upsert of an existing key) and RMW (add 1 to the 8-byte value) over
/// 10M loaded keys, 8-byte keys and values, Store side by side with FASTER's FasterKV&lt;long,long&gt;
/// on the same uniform random key sequence (seed 42). FASTER is each category's baseline, so the
/// Ratio column reads Store / FASTER time per op (below 1 means Store is faster).
/// </summary>
/// <remarks>
/// <para>FASTER is configured to keep the whole working set in memory and mutable: a NullDevice
/// log with 1 GiB of memory (10M records of 24 bytes is 240 MB, far below the 90% mutable
/// region, so updates are in place), an index of 2^23 hash buckets (FASTER's own YCSB sizing of
/// keys/2, rounded up), and no record locking (ConcurrencyControlMode.None), which matches
/// Store's single-writer contract. Its functions are a sealed class that overrides the callbacks
/// directly (SimpleFunctions would call a merge delegate per RMW).</para>
/// <para>Every invocation runs <see cref="Ops"/> operations; each Put writes a value never written
/// before (a running counter), so no write is a no-op. Loading is in [GlobalSetup], not measured.</para>
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(ShortRunConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class KeyValueBenchmarks
{
    public const int Ops = 1_000_000;
    internal const long LoadedKeys = 10_000_000;

    private long[] _sequence = null!;
    private byte[] _keyBytes = null!;
    private long _counter = LoadedKeys;

    private StateStore _store = null!;

    private IDevice _device = null!;
    private FasterKV<long, long> _faster = null!;
    private ClientSession<long, long, long, long, Empty, FasterAddFunctions> _session = null!;

    /// <summary>
    /// How many of the loaded keys the operations draw from (all by default). A few hundred keep
    /// every line the operations touch in cache, so the time is the CPU cost of an operation
    /// rather than its memory latency (--kv-paired --key-space N).
    /// </summary>
    internal long KeySpace { get; init; } = LoadedKeys;

    [GlobalSetup(Targets = [nameof(StoreGetUniform), nameof(StorePutUniform), nameof(StoreRmwUniform)])]
    public void SetupStore()
    {
        MakeSequence();
        _store = StateStore.Open(BenchKeys.Options);
        BenchKeys.Load(_store, LoadedKeys);
        Console.WriteLine($"// Store loaded: {_store.Count:N0} keys, {_store.Statistics}");
    }

    [GlobalSetup(Targets = [nameof(FasterGetUniform), nameof(FasterPutUniform), nameof(FasterRmwUniform)])]
    public void SetupFaster()
    {
        MakeSequence();
        _device = new NullDevice();
        _faster = new FasterKV<long, long>(
            1L << 23,
            new LogSettings { LogDevice = _device, MemorySizeBits = 30, PageSizeBits = 25 },
            concurrencyControlMode: ConcurrencyControlMode.None);
        _session = _faster.For(new FasterAddFunctions()).NewSession<FasterAddFunctions>();
        for (long i = 0; i < LoadedKeys; i++)
        {
            long key = i;
            long value = i;
            _session.Upsert(ref key, ref value);
        }

        Console.WriteLine($"// FASTER loaded: {_faster.EntryCount:N0} keys, {DescribeFasterLog()}");
    }

    [GlobalCleanup(Targets = [nameof(StoreGetUniform), nameof(StorePutUniform), nameof(StoreRmwUniform)])]
    public void CleanupStore()
    {
        // Same page count as after loading means updates stayed in place (no growth, no copies).
        Console.WriteLine($"// Store after run: {_store.Count:N0} keys, {_store.Statistics}");
        _store.Dispose();
    }

    [GlobalCleanup(Targets = [nameof(FasterGetUniform), nameof(FasterPutUniform), nameof(FasterRmwUniform)])]
    public void CleanupFaster()
    {
        // An unchanged tail address means every Upsert and RMW was in place (no appends).
        Console.WriteLine($"// FASTER after run: {DescribeFasterLog()}");
        _session.Dispose();
        _faster.Dispose();
        _device.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    [BenchmarkCategory("Get")]
    public long FasterGetUniform() => FasterGet(0, Ops);

    [Benchmark(OperationsPerInvoke = Ops)]
    [BenchmarkCategory("Get")]
    public long StoreGetUniform() => StoreGet(0, Ops);

    [Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    [BenchmarkCategory("Put")]
    public long FasterPutUniform() => FasterPut(0, Ops);

    [Benchmark(OperationsPerInvoke = Ops)]
    [BenchmarkCategory("Put")]
    public long StorePutUniform() => StorePut(0, Ops);

    [Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    [BenchmarkCategory("RMW")]
    public long FasterRmwUniform() => FasterRmw(0, Ops);

    [Benchmark(OperationsPerInvoke = Ops)]
    [BenchmarkCategory("RMW")]
    public long StoreRmwUniform() => StoreRmw(0, Ops);

    // The loops take a slice of the key sequence so the paired harness (--kv-paired) can warm them up
    // with short runs and alternate the stores on short, different slices.

    internal long FasterGet(int start, int count)
    {
        long sum = 0;
        long[] sequence = _sequence;
        for (int i = start; i < start + count; i++)
        {
            long key = sequence[i];
            long output = 0;
            Status status = _session.Read(ref key, ref output);
            if (!status.Found)
            {
                ThrowMissing(key);
            }

            sum += output;
        }

        return sum;
    }

    internal long StoreGet(int start, int count)
    {
        long sum = 0;
        Span<byte> value = stackalloc byte[8];
        ReadOnlySpan<byte> keys = _keyBytes;
        for (int i = start; i < start + count; i++)
        {
            if (!_store.TryGet(keys.Slice(i * 8, 8), value, out _))
            {
                ThrowMissing(_sequence[i]);
            }

            sum += System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(value);
        }

        return sum;
    }

    internal long FasterPut(int start, int count)
    {
        long[] sequence = _sequence;
        long counter = _counter;
        for (int i = start; i < start + count; i++)
        {
            long key = sequence[i];
            long value = ++counter;
            _session.Upsert(ref key, ref value);
        }

        _counter = counter;
        return counter;
    }

    internal long StorePut(int start, int count)
    {
        Span<byte> value = stackalloc byte[8];
        ReadOnlySpan<byte> keys = _keyBytes;
        long counter = _counter;
        for (int i = start; i < start + count; i++)
        {
            BenchKeys.Write(value, ++counter);
            _store.Put(keys.Slice(i * 8, 8), value);
        }

        _counter = counter;
        return counter;
    }

    internal long FasterRmw(int start, int count)
    {
        long[] sequence = _sequence;
        long input = 1;
        for (int i = start; i < start + count; i++)
        {
            long key = sequence[i];
            _session.RMW(ref key, ref input);
        }

        return ++_counter;
    }

    internal long StoreRmw(int start, int count)
    {
        var increment = new AddToCounter(1);
        ReadOnlySpan<byte> keys = _keyBytes;
        for (int i = start; i < start + count; i++)
        {
            _store.ReadModifyWrite(keys.Slice(i * 8, 8), ref increment);
        }

        return ++_counter;
    }

    private void MakeSequence()
    {
        _sequence = BenchKeys.UniformSequence(Ops, KeySpace);
        // Store's keys are the same ids as 8-byte little-endian spans, laid out once so the timed
        // loop does not encode them (FASTER's long keys need no encoding either).
        _keyBytes = new byte[Ops * 8];
        for (int i = 0; i < Ops; i++)
        {
            BenchKeys.Write(_keyBytes.AsSpan(i * 8, 8), _sequence[i]);
        }
    }

    private string DescribeFasterLog() =>
        $"log begin {_faster.Log.BeginAddress:N0}, read-only {_faster.Log.ReadOnlyAddress:N0}, tail {_faster.Log.TailAddress:N0}, " +
        $"head {_faster.Log.HeadAddress:N0} (bytes of log address space)";

    private static void ThrowMissing(long key) => throw new InvalidOperationException($"Key {key} is missing.");
}
