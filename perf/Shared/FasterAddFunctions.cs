using FASTER.core;

namespace PerfShared;

/// <summary>
/// FASTER functions for long keys and values: read copies, upsert overwrites, RMW adds the input.
/// Shared by the micro benchmarks and the main job (linked into both projects).
/// </summary>
public sealed class FasterAddFunctions : FunctionsBase<long, long, long, long, Empty>
{
    public override bool SingleReader(ref long key, ref long input, ref long value, ref long dst, ref ReadInfo readInfo)
    {
        dst = value;
        return true;
    }

    public override bool ConcurrentReader(ref long key, ref long input, ref long value, ref long dst, ref ReadInfo readInfo)
    {
        dst = value;
        return true;
    }

    public override bool SingleWriter(ref long key, ref long input, ref long src, ref long dst, ref long output, ref UpsertInfo upsertInfo, WriteReason reason)
    {
        dst = src;
        return true;
    }

    public override bool ConcurrentWriter(ref long key, ref long input, ref long src, ref long dst, ref long output, ref UpsertInfo upsertInfo)
    {
        dst = src;
        return true;
    }

    public override bool InitialUpdater(ref long key, ref long input, ref long value, ref long output, ref RMWInfo rmwInfo)
    {
        value = input;
        return true;
    }

    public override bool CopyUpdater(ref long key, ref long input, ref long oldValue, ref long newValue, ref long output, ref RMWInfo rmwInfo)
    {
        newValue = oldValue + input;
        return true;
    }

    public override bool InPlaceUpdater(ref long key, ref long input, ref long value, ref long output, ref RMWInfo rmwInfo)
    {
        value += input;
        return true;
    }
}
