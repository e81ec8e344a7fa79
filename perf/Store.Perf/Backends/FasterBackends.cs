namespace Store.Perf.Backends;

/// <summary>The FASTER backend for a value size: FASTER keeps values inline, so each size is its own struct.</summary>
internal static class FasterBackends
{
    public static readonly int[] ValueSizes = [8, Value16.Size, Value24.Size, Value32.Size, Value64.Size, Value100.Size, Value128.Size, Value256.Size, Value512.Size, Value1024.Size];

    public static IStateBackend Create(string directory, int keys, int valueSize) => valueSize switch
    {
        8 => new FasterBackend<long, PerfShared.FasterAddFunctions>(directory, keys),
        Value16.Size => new FasterBackend<Value16, FasterValueFunctions<Value16>>(directory, keys),
        Value24.Size => new FasterBackend<Value24, FasterValueFunctions<Value24>>(directory, keys),
        Value32.Size => new FasterBackend<Value32, FasterValueFunctions<Value32>>(directory, keys),
        Value64.Size => new FasterBackend<Value64, FasterValueFunctions<Value64>>(directory, keys),
        Value100.Size => new FasterBackend<Value100, FasterValueFunctions<Value100>>(directory, keys),
        Value128.Size => new FasterBackend<Value128, FasterValueFunctions<Value128>>(directory, keys),
        Value256.Size => new FasterBackend<Value256, FasterValueFunctions<Value256>>(directory, keys),
        Value512.Size => new FasterBackend<Value512, FasterValueFunctions<Value512>>(directory, keys),
        Value1024.Size => new FasterBackend<Value1024, FasterValueFunctions<Value1024>>(directory, keys),
        _ => throw new ArgumentException($"FASTER has no backend for {valueSize}-byte values (it has {string.Join(", ", ValueSizes)})"),
    };
}
