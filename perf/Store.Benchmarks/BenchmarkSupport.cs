using System.Buffers.Binary;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Jobs;

namespace Store.Benchmarks;

/// <summary>
/// The job every benchmark class uses: one launch, 3 warmup and 10 measured iterations, so the
/// whole suite stays well under 30 minutes on a 2-core VM. Medians and P95 are shown next to the
/// mean, and every measured iteration is written to *-measurements.csv (the raw data).
/// </summary>
public sealed class ShortRunConfig : ManualConfig
{
    public ShortRunConfig()
    {
        AddJob(Job.Default
            .WithStrategy(RunStrategy.Throughput)
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(10)
            .WithId("Short"));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Median, StatisticColumn.P95, StatisticColumn.Max);
        AddExporter(CsvMeasurementsExporter.Default);
    }
}

/// <summary>Deterministic keys and key sequences shared by the benchmarks and the latency harness.</summary>
public static class BenchKeys
{
    /// <summary>Every random sequence in the suite comes from this seed.</summary>
    public const int Seed = 42;

    /// <summary>Key i is the 8-byte little-endian encoding of i (FASTER gets the long i itself).</summary>
    public static void Write(Span<byte> destination, long id) => BinaryPrimitives.WriteInt64LittleEndian(destination, id);

    /// <summary>Loads keys 0..count-1 with value = key id (8 bytes each).</summary>
    public static void Load(StateStore store, long count)
    {
        Span<byte> key = stackalloc byte[8];
        Span<byte> value = stackalloc byte[8];
        for (long i = 0; i < count; i++)
        {
            Write(key, i);
            Write(value, i);
            store.Put(key, value);
        }
    }

    /// <summary><paramref name="count"/> key ids drawn uniformly from [0, keySpace) with <see cref="Seed"/>.</summary>
    public static long[] UniformSequence(int count, long keySpace, int seed = Seed)
    {
        var random = new Random(seed);
        var ids = new long[count];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = random.NextInt64(keySpace);
        }

        return ids;
    }

    /// <summary>Options for benchmark stores: anonymous memory, and room for the benchmarks' frozen pages.</summary>
    public static StoreOptions Options => new() { MaxFrozenBytes = 4L << 30 };
}

/// <summary>Adds a delta to the 8-byte little-endian counter at the start of the value (RMW benchmarks).</summary>
public struct AddToCounter(long delta) : IValueUpdater
{
    public readonly int NewLength(scoped ReadOnlySpan<byte> current, bool exists) => 8;

    public readonly void Update(scoped ReadOnlySpan<byte> current, bool exists, scoped Span<byte> destination)
    {
        long value = exists ? BinaryPrimitives.ReadInt64LittleEndian(current) : 0;
        BinaryPrimitives.WriteInt64LittleEndian(destination, value + delta);
    }
}
