using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FASTER.core;

namespace Store.Perf.Backends;

/// <summary>A 100-byte FASTER value (blittable, stored inline in its log): the main job's --value-size 100.</summary>
[InlineArray(Size)]
internal struct Value100
{
    public const int Size = 100;

    private byte _first;

    /// <summary>The counter the workload increments: the value's first 8 bytes, little-endian.</summary>
    public static long Counter(ref Value100 value) => BinaryPrimitives.ReadInt64LittleEndian(MemoryMarshal.CreateReadOnlySpan(ref value[0], Size));

    public static void Add(ref Value100 value, long delta) =>
        BinaryPrimitives.WriteInt64LittleEndian(MemoryMarshal.CreateSpan(ref value[0], Size), Counter(ref value) + delta);
}

/// <summary>FASTER functions for <see cref="Value100"/>: reads return the counter, upserts copy, RMW adds the input to the counter.</summary>
internal sealed class Value100Functions : FunctionsBase<long, Value100, long, long, Empty>
{
    public override bool SingleReader(ref long key, ref long input, ref Value100 value, ref long dst, ref ReadInfo readInfo)
    {
        dst = Value100.Counter(ref value);
        return true;
    }

    public override bool ConcurrentReader(ref long key, ref long input, ref Value100 value, ref long dst, ref ReadInfo readInfo)
    {
        dst = Value100.Counter(ref value);
        return true;
    }

    public override bool SingleWriter(ref long key, ref long input, ref Value100 src, ref Value100 dst, ref long output, ref UpsertInfo upsertInfo, WriteReason reason)
    {
        dst = src;
        return true;
    }

    public override bool ConcurrentWriter(ref long key, ref long input, ref Value100 src, ref Value100 dst, ref long output, ref UpsertInfo upsertInfo)
    {
        dst = src;
        return true;
    }

    public override bool InitialUpdater(ref long key, ref long input, ref Value100 value, ref long output, ref RMWInfo rmwInfo)
    {
        value = default;
        Value100.Add(ref value, input);
        return true;
    }

    public override bool CopyUpdater(ref long key, ref long input, ref Value100 oldValue, ref Value100 newValue, ref long output, ref RMWInfo rmwInfo)
    {
        newValue = oldValue;
        Value100.Add(ref newValue, input);
        return true;
    }

    public override bool InPlaceUpdater(ref long key, ref long input, ref Value100 value, ref long output, ref RMWInfo rmwInfo)
    {
        Value100.Add(ref value, input);
        return true;
    }
}
