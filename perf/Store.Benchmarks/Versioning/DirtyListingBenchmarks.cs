using BenchmarkDotNet.Attributes;
using Store.Pages;
using Store.Versioning;

namespace Store.Benchmarks.Versioning;

/// <summary>
/// What a checkpoint writer reads from a frozen version: every page written since the confirmed
/// base, and of each its key group (header) and its exact dirty extents, as DataFileWriter does.
/// Listed is <see cref="FrozenVersion.DirtyPagesSince"/>; Streamed is
/// <see cref="FrozenVersion.StreamDirtyPagesSince"/>, which prefetches the pages it lists next.
/// </summary>
/// <remarks>
/// 10M keys (8-byte keys and values); before each invocation, 100k uniform updates (1%, about
/// 65k dirty pages scattered over 134k), then a Freeze. A version streams once, so each invocation
/// needs its own: one invocation per iteration.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(ShortRunConfig))]
[InvocationCount(1)]
public class DirtyListingBenchmarks
{
    private const int Keys = 10_000_000;
    private const int UpdatesPerVersion = 100_000;

    private readonly byte[] _header = new byte[2];
    private readonly byte[] _extent = new byte[4096];
    private StateStore _store = null!;
    private long[] _updates = null!;
    private int _next;
    private Epoch _base;
    private FrozenVersion _frozen = null!;

    [GlobalSetup]
    public void Setup()
    {
        _store = StateStore.Open(BenchKeys.Options);
        BenchKeys.Load(_store, Keys);
        _updates = BenchKeys.UniformSequence(UpdatesPerVersion * 64, Keys);
        _base = FreezeAndConfirm();
    }

    [IterationSetup]
    public void UpdateAndFreeze()
    {
        Span<byte> key = stackalloc byte[8];
        Span<byte> value = stackalloc byte[8];
        for (int i = 0; i < UpdatesPerVersion; i++)
        {
            long id = _updates[_next++ % _updates.Length];
            BenchKeys.Write(key, id);
            BenchKeys.Write(value, id + _next);
            _store.Put(key, value);
        }

        _frozen = _store.Freeze();
    }

    [IterationCleanup]
    public void ConfirmAndRelease()
    {
        _store.ConfirmVersion(_frozen.Version);
        _base = _frozen.Version;
        _frozen.Release();
    }

    [GlobalCleanup]
    public void Cleanup() => _store.Dispose();

    [Benchmark(Baseline = true)]
    public long Listed() => ReadAll(_frozen.DirtyPagesSince(_base));

    [Benchmark]
    public long Streamed() => ReadAll(_frozen.StreamDirtyPagesSince(_base));

    private long ReadAll(IEnumerable<DirtyPage> pages)
    {
        long bytes = 0;
        foreach (DirtyPage dirty in pages)
        {
            _frozen.CopyPage(dirty.Page, 2, _header);
            for (int i = 0; i < dirty.Region.ExtentCount; i++)
            {
                (int offset, int length) = dirty.Region.Extent(i);
                _frozen.CopyPage(dirty.Page, offset, _extent.AsSpan(0, length));
                bytes += length;
            }
        }

        return bytes;
    }

    private Epoch FreezeAndConfirm()
    {
        using FrozenVersion frozen = _store.Freeze();
        _store.ConfirmVersion(frozen.Version);
        return frozen.Version;
    }
}
