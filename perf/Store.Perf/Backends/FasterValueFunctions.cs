using System.Buffers.Binary;
using System.Runtime.InteropServices;
using FASTER.core;

namespace Store.Perf.Backends;

/// <summary>
/// FASTER functions for a fixed-size value (see FasterValues.cs): reads return the counter (the
/// value's first 8 bytes, little-endian), upserts copy the value, RMW adds the input to the counter.
/// </summary>
internal sealed class FasterValueFunctions<TValue> : FunctionsBase<long, TValue, long, long, Empty>
    where TValue : unmanaged
{
    public override bool SingleReader(ref long key, ref long input, ref TValue value, ref long dst, ref ReadInfo readInfo)
    {
        dst = Counter(ref value);
        return true;
    }

    public override bool ConcurrentReader(ref long key, ref long input, ref TValue value, ref long dst, ref ReadInfo readInfo)
    {
        dst = Counter(ref value);
        return true;
    }

    public override bool SingleWriter(ref long key, ref long input, ref TValue src, ref TValue dst, ref long output, ref UpsertInfo upsertInfo, WriteReason reason)
    {
        dst = src;
        return true;
    }

    public override bool ConcurrentWriter(ref long key, ref long input, ref TValue src, ref TValue dst, ref long output, ref UpsertInfo upsertInfo)
    {
        dst = src;
        return true;
    }

    public override bool InitialUpdater(ref long key, ref long input, ref TValue value, ref long output, ref RMWInfo rmwInfo)
    {
        value = default;
        Add(ref value, input);
        return true;
    }

    public override bool CopyUpdater(ref long key, ref long input, ref TValue oldValue, ref TValue newValue, ref long output, ref RMWInfo rmwInfo)
    {
        newValue = oldValue;
        Add(ref newValue, input);
        return true;
    }

    public override bool InPlaceUpdater(ref long key, ref long input, ref TValue value, ref long output, ref RMWInfo rmwInfo)
    {
        Add(ref value, input);
        return true;
    }

    private static long Counter(ref TValue value) => BinaryPrimitives.ReadInt64LittleEndian(Bytes(ref value));

    private static void Add(ref TValue value, long delta) => BinaryPrimitives.WriteInt64LittleEndian(Bytes(ref value), Counter(ref value) + delta);

    private static Span<byte> Bytes(ref TValue value) => MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref value, 1));
}
