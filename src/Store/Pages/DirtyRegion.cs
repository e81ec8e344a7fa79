using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Store.Pages;

/// <summary>
/// What a version wrote inside one page: a mask of dirty granules (64 per page, so a granule is
/// pageSize/64 bytes) plus, while there are at most three of them, the exact byte extents.
/// Sparse updates (1–3 small values per page per checkpoint, the common case for uniform keys)
/// are then checkpointed byte-exact; denser pages fall back to granules, where whole granules are
/// mostly dirty anyway. The granule mask is always maintained, so dropping the extents is free.
/// </summary>
/// <remarks>
/// <para>Layout (20 bytes): granules u64 | slot0 u32 | slot1 u32 | slot2 u32. A slot holds the
/// bitwise complement of (offset | (length − 1) &lt;&lt; 16), so the all-zero default is three empty
/// slots: complement 0xFFFFFFFF decodes to offset 65535 with length 65536, which no page of at
/// most 64 KiB can hold. Slot 0 holding <see cref="OverflowedSlot"/> (offset 65534, length 65536,
/// equally impossible) means "more extents than kept": only the granules are meaningful.</para>
/// <para>Why three: at 1% uniform updates of 32-byte records there are ~0.75 updates per 4 KiB
/// page, and 4.1% of dirty pages get a third one (0.8% a fourth); with two extents those third
/// updates turned whole pages into 64-byte granules, which was a quarter of an incremental
/// checkpoint's bytes. Three still fit the 24 bytes a page-table entry reserves for the region.</para>
/// <para>Invariant: used slots are a prefix (slot 0, then 1, then 2), disjoint and at least
/// <see cref="MergeGap"/> bytes apart.</para>
/// </remarks>
public struct DirtyRegion
{
    private const int SlotCount = 3;
    private const uint EmptySlot = 0;
    private const uint OverflowedSlot = 1; // complement of 0xFFFFFFFE

    /// <summary>Extents closer than this are merged: a few clean bytes cost less than a second extent header.</summary>
    private const int MergeGap = 8;

    private ulong _granules;
    private uint _slot0;
    private uint _slot1;
    private uint _slot2;

    public readonly ulong Granules => _granules;

    public readonly bool IsEmpty => _granules == 0;

    /// <summary>True while the exact extents are known (at most three).</summary>
    public readonly bool HasExactExtents => _slot0 != OverflowedSlot && _granules != 0;

    public readonly int ExtentCount => !HasExactExtents ? 0 : _slot2 != EmptySlot ? 3 : _slot1 != EmptySlot ? 2 : _slot0 != EmptySlot ? 1 : 0;

    public readonly (int Offset, int Length) Extent(int index)
    {
        Debug.Assert(HasExactExtents && (uint)index < (uint)ExtentCount, "extents are only read while exact");
        return Unpack(Slot(index));
    }

    public static DirtyRegion WholePage => new() { _granules = ulong.MaxValue, _slot0 = OverflowedSlot };

    public static DirtyRegion FromGranules(ulong granules) => new() { _granules = granules, _slot0 = OverflowedSlot };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Mark(int offset, int length, int granuleShift)
    {
        Debug.Assert(length > 0 && offset >= 0 && offset + length <= 64 << granuleShift, "a dirty extent lies inside its page");
        _granules |= GranuleBits(offset, length, granuleShift);
        if (_slot0 != OverflowedSlot)
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
        for (int i = 0; i < SlotCount; i++)
        {
            uint slot = Slot(i);
            if (slot == EmptySlot)
            {
                SetSlot(i, Pack(offset, length));
                return;
            }

            (int o, int l) = Unpack(slot);
            if (offset <= o + l + MergeGap && o <= offset + length + MergeGap)
            {
                int start = Math.Min(o, offset);
                SetSlot(i, Pack(start, Math.Max(o + l, offset + length) - start));
                Normalize(); // the grown extent may now reach another one
                return;
            }
        }

        // A fourth extent: keep only the granules from now on.
        (_slot0, _slot1, _slot2) = (OverflowedSlot, EmptySlot, EmptySlot);
    }

    /// <summary>Merges used slots that touch, until none do, and moves them to the front (at most three: a few comparisons).</summary>
    private void Normalize()
    {
        Span<(int Offset, int Length)> extents = stackalloc (int, int)[SlotCount];
        int count = 0;
        for (int i = 0; i < SlotCount && Slot(i) != EmptySlot; i++)
        {
            extents[count++] = Unpack(Slot(i));
        }

        bool merged = true;
        while (merged)
        {
            merged = false;
            for (int a = 0; a < count && !merged; a++)
            {
                for (int b = a + 1; b < count && !merged; b++)
                {
                    (int oa, int la) = extents[a];
                    (int ob, int lb) = extents[b];
                    if (ob <= oa + la + MergeGap && oa <= ob + lb + MergeGap)
                    {
                        int start = Math.Min(oa, ob);
                        extents[a] = (start, Math.Max(oa + la, ob + lb) - start);
                        extents[b] = extents[--count];
                        merged = true; // the merged extent may now reach any other: compare all again
                    }
                }
            }
        }

        _slot0 = count > 0 ? Pack(extents[0].Offset, extents[0].Length) : EmptySlot;
        _slot1 = count > 1 ? Pack(extents[1].Offset, extents[1].Length) : EmptySlot;
        _slot2 = count > 2 ? Pack(extents[2].Offset, extents[2].Length) : EmptySlot;
    }

    private readonly uint Slot(int index) => index switch { 0 => _slot0, 1 => _slot1, _ => _slot2 };

    private void SetSlot(int index, uint value)
    {
        switch (index)
        {
            case 0:
                _slot0 = value;
                break;
            case 1:
                _slot1 = value;
                break;
            default:
                _slot2 = value;
                break;
        }
    }

    private static uint Pack(int offset, int length) => ~((uint)offset | ((uint)(length - 1) << 16));

    private static (int Offset, int Length) Unpack(uint slot)
    {
        uint packed = ~slot;
        return ((int)(packed & 0xFFFF), (int)(packed >> 16) + 1);
    }

    public override readonly string ToString() => HasExactExtents
        ? $"{ExtentCount} extent(s), granules {_granules:X16}"
        : $"granules {_granules:X16}";
}
