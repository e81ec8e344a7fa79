using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Jobs;
using Snapshot;
using Snapshot.Catalog;

namespace Store.Benchmarks.Checkpoints;

/// <summary>
/// Checkpoint write (full and incremental) and restore at a size BenchmarkDotNet can repeat: 1M
/// keys of 32-byte records (8-byte key + 24-byte value, ~69 MB of pages), each category beside
/// the disk's own number (the baseline, so Ratio reads checkpoint time ÷ plain I/O time for the
/// same bytes). The <c>--checkpoint-bench</c> harness (<see cref="CheckpointBench"/>) runs the
/// 10M-key acceptance case with percentiles and a breakdown.
/// </summary>
/// <remarks>
/// <para>Write: <see cref="FullCheckpoint"/> is Barrier(forceFull) → durable commit (data fsync
/// and catalog fsync) → Confirm; <see cref="PlainWrite"/> writes the same byte count in 1 MiB
/// write(2) calls into the same directory and fsyncs. Incremental: each iteration first applies
/// 1% uniform Puts (10,000, seed 42; every value byte changes) untimed in [IterationSetup], then
/// times Barrier → commit → Confirm; its baseline writes a delta's byte count plainly (+ fsync). Restore: [IterationSetup] drops the chain's files (a full
/// checkpoint and one 1% delta) from the page cache (fsync + posix_fadvise DONTNEED), then
/// <see cref="Restore"/> times Checkpointer.Restore (read, verify, rebuild the store) and
/// <see cref="PlainRead"/> a plain 1 MiB sequential read of the same files.</para>
/// <para>Each iteration is one operation (InvocationCount 1), so the setups run before every
/// measured call. The memory diagnoser counts allocations of every thread (the checkpoint writer is
/// a background task).</para>
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(CheckpointRunConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class CheckpointBenchmarks
{
    public const long Keys = 1_000_000;
    private const long UpdatesPerIteration = Keys / 100;

    private string _dir = null!;
    private StateStore _store = null!;
    private Checkpointer? _checkpointer;
    private CheckpointOptions _options = null!;
    private long _nextId = 1;
    private long _fullBytes;
    private long _deltaBytes;
    private Random _random = null!;
    private ulong[] _touched = null!;
    private int _round;
    private byte[] _chunk = null!;
    private string[] _chain = [];
    private RestoredCheckpoint? _restored;

    [GlobalSetup(Targets = [nameof(PlainWrite), nameof(FullCheckpoint), nameof(PlainWriteDeltaSize), nameof(IncrementalCheckpoint)])]
    public void SetupWrites()
    {
        LoadAndCheckpoint();
        // One untimed delta, to know the byte count the delta baseline writes.
        ApplyUpdates();
        _deltaBytes = Take(full: false);
        Console.WriteLine($"// a 1% delta is {_deltaBytes:N0} B");
    }

    [GlobalSetup(Targets = [nameof(PlainRead), nameof(Restore)])]
    public void SetupRestore()
    {
        LoadAndCheckpoint();
        ApplyUpdates();
        Take(full: false);
        _chain = [.. _checkpointer!.Catalog.NewestConfirmed!.Chain.Select(new ShardFiles(_dir, _options.Shard).DataPath)];
        Console.WriteLine($"// restore chain: {_chain.Length} files, {_chain.Sum(p => new FileInfo(p).Length):N0} B");
        // Restore takes the shard's lock: the writer's checkpointer steps aside.
        _checkpointer.Dispose();
        _checkpointer = null;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _checkpointer?.Dispose();
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [IterationSetup(Target = nameof(IncrementalCheckpoint))]
    public void UpdateOnePercent()
    {
        // Stay incremental: BenchmarkDotNet's iterations must not run into MaxChainLength.
        if (_checkpointer!.Catalog.NewestConfirmed!.Chain.Length >= 32)
        {
            Take(full: true);
        }

        ApplyUpdates();
    }

    [IterationSetup(Targets = [nameof(PlainRead), nameof(Restore)])]
    public void DropChainFromPageCache() => SequentialIo.DropFromPageCache(_chain);

    [IterationCleanup(Target = nameof(Restore))]
    public void DisposeRestored()
    {
        _restored?.Checkpointer.Dispose();
        _restored?.Store.Dispose();
        _restored = null;
    }

    /// <summary>The disk: the full checkpoint's byte count written sequentially with fsync.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Write full")]
    public TimeSpan PlainWrite() => SequentialIo.Write(Path.Combine(_dir, "plain-write.bin"), _fullBytes, _chunk);

    /// <summary>A full checkpoint of the loaded store: barrier, durable commit, confirm.</summary>
    [Benchmark]
    [BenchmarkCategory("Write full")]
    public long FullCheckpoint() => Take(full: true);

    /// <summary>The disk: a 1% delta's byte count written sequentially with fsync.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Write 1% delta")]
    public TimeSpan PlainWriteDeltaSize() => SequentialIo.Write(Path.Combine(_dir, "plain-write.bin"), _deltaBytes, _chunk);

    /// <summary>An incremental checkpoint of 1% updated keys: barrier, durable commit, confirm.</summary>
    [Benchmark]
    [BenchmarkCategory("Write 1% delta")]
    public long IncrementalCheckpoint() => Take(full: false);

    /// <summary>The disk: a cold sequential read of the restore chain's files.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Restore (cold)")]
    public long PlainRead() => SequentialIo.Read(_chain, _chunk);

    /// <summary>Checkpointer.Restore of the newest confirmed checkpoint, from cold files.</summary>
    [Benchmark]
    [BenchmarkCategory("Restore (cold)")]
    public long Restore()
    {
        _restored = Checkpointer.Restore(_options, BenchKeys.Options);
        return _restored.Store.Count;
    }

    private void LoadAndCheckpoint()
    {
        _dir = CheckpointWorkload.NewDirectory(null, "checkpoint-bdn");
        _options = CheckpointWorkload.Options(_dir);
        _store = StateStore.Open(BenchKeys.Options);
        CheckpointWorkload.Load(_store, Keys);
        _checkpointer = Checkpointer.Open(_store, _options);
        _fullBytes = Take(full: true);
        _random = new Random(BenchKeys.Seed);
        _touched = CheckpointWorkload.NewBitmap(Keys);
        _chunk = SequentialIo.NewChunk();
        Console.WriteLine($"// loaded {Keys:N0} keys, {_store.Statistics.Pages:N0} pages; full checkpoint {_fullBytes:N0} B in {_dir}");
    }

    private void ApplyUpdates()
    {
        Array.Clear(_touched);
        CheckpointWorkload.Update(_store, _random, UpdatesPerIteration, Keys, ++_round, UpdateKind.Overwrite, _touched);
    }

    private long Take(bool full)
    {
        var id = new CheckpointId(_nextId++);
        CheckpointResult result = _checkpointer!.Barrier(id, full).GetAwaiter().GetResult();
        _checkpointer.Confirm(id);
        return result.Bytes;
    }
}

/// <summary>
/// <see cref="ShortRunConfig"/> with one operation per iteration (the checkpoint classes need a
/// setup before every measured call) and 15 measured iterations.
/// </summary>
public sealed class CheckpointRunConfig : ManualConfig
{
    public CheckpointRunConfig()
    {
        AddJob(Job.Default
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(15)
            .WithInvocationCount(1)
            .WithUnrollFactor(1)
            .WithId("Checkpoint"));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Median, StatisticColumn.P95, StatisticColumn.Max);
        AddExporter(CsvMeasurementsExporter.Default);
    }
}
