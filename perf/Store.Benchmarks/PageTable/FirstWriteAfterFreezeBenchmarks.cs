using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Store.Versioning;

namespace Store.Benchmarks.PageTable;

/// <summary>
/// Copy-on-write cost: the first write, after a Freeze, to a page that the frozen version holds.
/// </summary>
/// <remarks>
/// <para>Setup loads 1M keys (8-byte keys and values) and picks <see cref="Writes"/> keys that lie
/// on distinct pages: it freezes, updates keys in a seeded random order and keeps a key only when
/// its update raised <see cref="StoreStatistics.CopyOnWriteCount"/> by one (a page no earlier
/// chosen key is on).</para>
/// <para>Each invocation freezes, writes every chosen key once (a changed value, so each write
/// really copies its page) and releases the frozen version. The per-op time therefore includes,
/// amortized over <see cref="Writes"/> writes, one Freeze, one Release, the page-table leaf
/// copies and the reclamation of the copied-away frames at the next invocation's first write:
/// the full life cycle of a copy-on-write. The "NoFrozenVersion" baselines do the same writes
/// with no frozen version alive (pages are written in place).</para>
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(ShortRunConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class FirstWriteAfterFreezeBenchmarks
{
    /// <summary>Distinct pages written per invocation (1M keys occupy several thousand pages).</summary>
    public const int Writes = 1024;

    private const int LoadedKeys = 1_000_000;

    private readonly byte[] _keys = new byte[Writes * 8];
    private StateStore _store = null!;
    private long _counter = LoadedKeys;

    [GlobalSetup]
    public void Setup()
    {
        _store = StateStore.Open(BenchKeys.Options);
        BenchKeys.Load(_store, LoadedKeys);
        PickKeysOnDistinctPages(_store, LoadedKeys, _keys, ref _counter);
    }

    /// <summary>
    /// Fills <paramref name="keys"/> (8 bytes per key) with loaded keys that lie on distinct pages:
    /// freezes, updates keys in a seeded random order, and keeps a key when its update copied a
    /// page (CopyOnWriteCount rose by one). Releases the frozen version before returning.
    /// </summary>
    internal static void PickKeysOnDistinctPages(StateStore store, long loadedKeys, byte[] keys, ref long counter)
    {
        int wanted = keys.Length / 8;
        long[] order = new long[loadedKeys];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        new Random(BenchKeys.Seed).Shuffle(order);
        Span<byte> key = stackalloc byte[8];
        Span<byte> value = stackalloc byte[8];
        int chosen = 0;
        FrozenVersion frozen = store.Freeze();
        foreach (long id in order)
        {
            long before = store.Statistics.CopyOnWriteCount;
            BenchKeys.Write(key, id);
            BenchKeys.Write(value, ++counter);
            store.Put(key, value);
            if (store.Statistics.CopyOnWriteCount == before + 1)
            {
                key.CopyTo(keys.AsSpan(chosen * 8, 8));
                if (++chosen == wanted)
                {
                    break;
                }
            }
        }

        frozen.Release();
        if (chosen != wanted)
        {
            throw new InvalidOperationException($"Only {chosen} distinct pages found among {loadedKeys} keys.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _store.Dispose();

    [Benchmark(OperationsPerInvoke = Writes)]
    [BenchmarkCategory("Put")]
    public long PutDistinctPagesAfterFreeze()
    {
        FrozenVersion frozen = _store.Freeze();
        PutAll();
        frozen.Release();
        return _counter;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Writes)]
    [BenchmarkCategory("Put")]
    public long PutDistinctPagesNoFrozenVersion()
    {
        PutAll();
        return _counter;
    }

    [Benchmark(OperationsPerInvoke = Writes)]
    [BenchmarkCategory("RMW")]
    public long RmwDistinctPagesAfterFreeze()
    {
        FrozenVersion frozen = _store.Freeze();
        RmwAll();
        frozen.Release();
        return _counter;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Writes)]
    [BenchmarkCategory("RMW")]
    public long RmwDistinctPagesNoFrozenVersion()
    {
        RmwAll();
        return _counter;
    }

    private void PutAll()
    {
        Span<byte> value = stackalloc byte[8];
        ReadOnlySpan<byte> keys = _keys;
        for (int i = 0; i < Writes; i++)
        {
            BenchKeys.Write(value, ++_counter);
            _store.Put(keys.Slice(i * 8, 8), value);
        }
    }

    private void RmwAll()
    {
        var increment = new AddToCounter(1);
        ReadOnlySpan<byte> keys = _keys;
        for (int i = 0; i < Writes; i++)
        {
            _store.ReadModifyWrite(keys.Slice(i * 8, 8), ref increment);
        }

        _counter++;
    }
}
