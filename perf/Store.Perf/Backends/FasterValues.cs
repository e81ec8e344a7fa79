using System.Runtime.CompilerServices;

namespace Store.Perf.Backends;

// FASTER's generic store keeps blittable values inline in its log, so each value size the main job
// runs FASTER with is one fixed-size struct. 8-byte values use long (with PerfShared's
// FasterAddFunctions, as the micro benchmarks do); every other size is one of these, read and
// updated through FasterValueFunctions<TValue>. The counter the workload increments is the first
// 8 bytes, little-endian, as in every other backend.

[InlineArray(Size)]
internal struct Value16
{
    public const int Size = 16;
    private byte _first;
}

[InlineArray(Size)]
internal struct Value24
{
    public const int Size = 24;
    private byte _first;
}

[InlineArray(Size)]
internal struct Value32
{
    public const int Size = 32;
    private byte _first;
}

[InlineArray(Size)]
internal struct Value64
{
    public const int Size = 64;
    private byte _first;
}

[InlineArray(Size)]
internal struct Value100
{
    public const int Size = 100;
    private byte _first;
}

[InlineArray(Size)]
internal struct Value128
{
    public const int Size = 128;
    private byte _first;
}

[InlineArray(Size)]
internal struct Value256
{
    public const int Size = 256;
    private byte _first;
}

[InlineArray(Size)]
internal struct Value512
{
    public const int Size = 512;
    private byte _first;
}

[InlineArray(Size)]
internal struct Value1024
{
    public const int Size = 1024;
    private byte _first;
}
