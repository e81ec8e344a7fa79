using BenchmarkDotNet.Attributes;
using Store.Versioning;

namespace Store.Benchmarks.Versioning;

/// <summary>
/// The checkpoint-barrier pause: <see cref="StateStore.Freeze"/> on a store pre-loaded with 1M or
/// 10M keys (8-byte keys, 8-byte values). Each invocation is one Freeze and the Release of the
/// version it returned (with at most 2 frozen versions alive the store refuses a third, so the
/// release has to be part of the loop). No writes happen between freezes here; the
/// <c>--freeze-latency</c> harness in Program.cs measures the Freeze call alone, per call, with
/// and without writes in between, and prints p50/p99/max (BenchmarkDotNet's percentiles are of
/// iteration means, not of single calls).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ShortRunConfig))]
public class FreezeBenchmarks
{
    private StateStore _store = null!;

    [Params(1_000_000, 10_000_000)]
    public int Keys { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _store = StateStore.Open(BenchKeys.Options);
        BenchKeys.Load(_store, Keys);
        // One untimed freeze first, so the version registry's list is already sized.
        _store.Freeze().Release();
    }

    [GlobalCleanup]
    public void Cleanup() => _store.Dispose();

    /// <summary>Freeze (the measured pause) plus the Release of the frozen version.</summary>
    [Benchmark]
    public Epoch FreezeThenRelease()
    {
        FrozenVersion frozen = _store.Freeze();
        frozen.Release();
        return frozen.Version;
    }
}
