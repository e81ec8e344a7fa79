using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Store.Pages;

/// <summary>
/// What a version wrote inside one page: a mask of dirty granules (64 per page, so a granule is
/// pageSize/64 bytes) plus, while there are at most two of them, the exact byte extents.
/// Sparse updates (1–2 small values per page per interval, the common case for uniform keys)
/// are then checkpointed byte-exact; denser pages fall back to granules, where whole granules are
/// mostly dirty anyway. The granule mask is always maintained, so dropping the extents is free.
/// </summary>
/// <remarks>
/// Layout (20 bytes): granules u64 | extent0 u32 | extent1 u32 | extentCount u32.
/// An extent packs offset (low 16 bits) and length − 1 (high 16 bits); pages are at most 64 KiB.
/// </remarks>
public struct DirtyRegion
{
    /// <summary>Marks "more extents than we keep": only <see cref="Granules"/> is meaningful.</summary>
    private const uint Overflowed = uint.MaxValue;

    /// <summary>Extents closer than this are merged: a few clean bytes cost less than a second extent header.</summary>
    private const int MergeGap = 8;

    private ulong _granules;
    private uint _extent0;
    private uint _extent1;
    private uint _extentCount;

    public readonly ulong Granules => _granules;

    public readonly bool IsEmpty => _granules == 0;

    /// <summary>True while the exact extents are known (at most two).</summary>
    public readonly bool HasExactExtents => _extentCount != Overflowed && _granules != 0;

    public readonly int ExtentCount => HasExactExtents ? (int)_extentCount : 0;

    public readonly (int Offset, int Length) Extent(int index)
    {
        Debug.Assert(HasExactExtents && (uint)index < _extentCount, "extents are only read while exact");
        return Unpack(index == 0 ? _extent0 : _extent1);
    }

    public static DirtyRegion WholePage => new() { _granules = ulong.MaxValue, _extentCount = Overflowed };

    public static DirtyRegion FromGranules(ulong granules) => new() { _granules = granules, _extentCount = Overflowed };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Mark(int offset, int length, int granuleShift)
    {
        Debug.Assert(length > 0 && offset >= 0 && offset + length <= 64 << granuleShift, "a dirty extent lies inside its page");
        _granules |= GranuleBits(offset, length, granuleShift);
        if (_extentCount != Overflowed)
        {
            AddExtent(offset, length);
        }
    }

    public static ulong GranuleBits(int offset, int length, int granuleShift)
    {
        int first = offset >> granuleShift;
        int last = (offset + length - 1) >> granuleShift;
        int count = last - first + 1;
        ulong bits = count == 64 ? ulong.MaxValue : ((1UL << count) - 1);
        return bits << first;
    }

    private void AddExtent(int offset, int length)
    {
        for (int i = 0; i < (int)_extentCount; i++)
        {
            ref uint slot = ref (i == 0 ? ref _extent0 : ref _extent1);
            (int o, int l) = Unpack(slot);
            if (offset <= o + l + MergeGap && o <= offset + length + MergeGap)
            {
                int start = Math.Min(o, offset);
                int end = Math.Max(o + l, offset + length);
                slot = Pack(start, end - start);
                // A grown extent may now touch the other one; folding them keeps the pair disjoint.
                if (_extentCount == 2)
                {
                    TryFoldExtents();
                }

                return;
            }
        }

        switch (_extentCount)
        {
            case 0:
                _extent0 = Pack(offset, length);
                _extentCount = 1;
                break;
            case 1:
                _extent1 = Pack(offset, length);
                _extentCount = 2;
                break;
            default:
                _extentCount = Overflowed;
                break;
        }
    }

    private void TryFoldExtents()
    {
        (int o0, int l0) = Unpack(_extent0);
        (int o1, int l1) = Unpack(_extent1);
        if (o1 <= o0 + l0 + MergeGap && o0 <= o1 + l1 + MergeGap)
        {
            int start = Math.Min(o0, o1);
            _extent0 = Pack(start, Math.Max(o0 + l0, o1 + l1) - start);
            _extentCount = 1;
        }
    }

    private static uint Pack(int offset, int length) => (uint)offset | ((uint)(length - 1) << 16);

    private static (int Offset, int Length) Unpack(uint packed) => ((int)(packed & 0xFFFF), (int)(packed >> 16) + 1);

    public override readonly string ToString() => HasExactExtents
        ? $"{ExtentCount} extent(s), granules {_granules:X16}"
        : $"granules {_granules:X16}";
}
