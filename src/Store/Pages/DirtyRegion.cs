using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Store.Pages;

/// <summary>
/// What a version wrote inside one page: a mask of dirty granules (64 per page, so a granule is
/// pageSize/64 bytes) plus, while there are at most four of them, the exact byte extents.
/// Sparse updates (1–4 small values per page per checkpoint, the common case for uniform keys)
/// are then checkpointed byte-exact; denser pages fall back to granules, where whole granules are
/// mostly dirty anyway. The granule mask is always maintained, so dropping the extents is free.
/// </summary>
/// <remarks>
/// <para>Layout (24 bytes): granules u64 | slot0..slot3 u32. A slot holds the
/// bitwise complement of (offset | (length − 1) &lt;&lt; 16), so the all-zero default is four empty
/// slots: complement 0xFFFFFFFF decodes to offset 65535 with length 65536, which no page of at
/// most 64 KiB can hold. Slot 0 holding <see cref="OverflowedSlot"/> (offset 65534, length 65536,
/// equally impossible) means "more extents than kept": only the granules are meaningful.</para>
/// <para>Why four: the main job at 10M keys of 8-byte values (100k uniform read-modify-writes
/// per checkpoint) dirtied about 65.5k pages per checkpoint, with 1, 2 and 3 extents on 41.1k,
/// 17.1k and 5.6k of them. The 1.8k pages with more (1.3k of them with exactly four) fell back to
/// 64-byte granules and were 22% of the delta's bytes. The same cut from two extents to three
/// had removed a quarter of a delta's bytes before. Four slots fill the 24 bytes a page-table
/// entry reserves for the region, where three left 4 bytes of padding.</para>
/// <para>Invariant: used slots are a prefix (slot 0, then 1, …), disjoint and at least
/// <see cref="MergeGap"/> bytes apart.</para>
/// </remarks>
public struct DirtyRegion
{
    private const int SlotCount = 4;
    private const uint EmptySlot = 0;
    private const uint OverflowedSlot = 1; // complement of 0xFFFFFFFE

    /// <summary>Extents closer than this are merged: a few clean bytes cost less than a second extent header.</summary>
    private const int MergeGap = 8;

    private ulong _granules;
    private Slots _slots;

    public readonly ulong Granules => _granules;

    public readonly bool IsEmpty => _granules == 0;

    /// <summary>True while the exact extents are known (at most <see cref="SlotCount"/>).</summary>
    public readonly bool HasExactExtents => _slots[0] != OverflowedSlot && _granules != 0;

    /// <summary>
    /// Used slots are a prefix, so the count is how many are not empty. One comparison per slot,
    /// written out, and no loop: a loop kept this getter in unoptimized tier-0 code through the
    /// first checkpoints (1.5% of the update phase's samples).
    /// </summary>
    public readonly int ExtentCount
    {
        get
        {
            Debug.Assert(SlotCount == 4, "ExtentCount compares each of the four slots; change it with SlotCount");
            return !HasExactExtents ? 0 :
                (_slots[0] != EmptySlot ? 1 : 0) + (_slots[1] != EmptySlot ? 1 : 0) + (_slots[2] != EmptySlot ? 1 : 0) + (_slots[3] != EmptySlot ? 1 : 0);
        }
    }

    public readonly (int Offset, int Length) Extent(int index)
    {
        Debug.Assert(HasExactExtents && (uint)index < (uint)ExtentCount, "extents are only read while exact");
        return Unpack(_slots[index]);
    }

    public static DirtyRegion WholePage => FromGranules(ulong.MaxValue);

    public static DirtyRegion FromGranules(ulong granules)
    {
        var region = new DirtyRegion { _granules = granules };
        region._slots[0] = OverflowedSlot;
        return region;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Mark(int offset, int length, int granuleShift)
    {
        Debug.Assert(length > 0 && offset >= 0 && offset + length <= 64 << granuleShift, "a dirty extent lies inside its page");
        _granules |= GranuleBits(offset, length, granuleShift);
        if (_slots[0] != OverflowedSlot)
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
            uint slot = _slots[i];
            if (slot == EmptySlot)
            {
                _slots[i] = Pack(offset, length);
                return;
            }

            (int o, int l) = Unpack(slot);
            if (offset >= o && offset + length <= o + l)
            {
                // Already covered: a counter rewritten again in the same version, the common case
                // under skewed keys. Nothing grows, so nothing can newly touch another extent.
                return;
            }

            if (offset <= o + l + MergeGap && o <= offset + length + MergeGap)
            {
                int start = Math.Min(o, offset);
                _slots[i] = Pack(start, Math.Max(o + l, offset + length) - start);
                Normalize(); // the grown extent may now reach another one
                return;
            }
        }

        // One extent more than the slots hold: keep only the granules from now on.
        this = FromGranules(_granules);
    }

    /// <summary>Merges used slots that touch, until none do, and moves them to the front (at most four: a few comparisons).</summary>
    private void Normalize()
    {
        Span<(int Offset, int Length)> extents = stackalloc (int, int)[SlotCount];
        int count = 0;
        for (int i = 0; i < SlotCount && _slots[i] != EmptySlot; i++)
        {
            extents[count++] = Unpack(_slots[i]);
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

        for (int i = 0; i < SlotCount; i++)
        {
            _slots[i] = i < count ? Pack(extents[i].Offset, extents[i].Length) : EmptySlot;
        }
    }

    private static uint Pack(int offset, int length) => ~((uint)offset | ((uint)(length - 1) << 16));

    private static (int Offset, int Length) Unpack(uint slot)
    {
        uint packed = ~slot;
        return ((int)(packed & 0xFFFF), (int)(packed >> 16) + 1);
    }

    /// <summary>The extent slots, indexable without a switch.</summary>
    [InlineArray(SlotCount)]
    private struct Slots
    {
        private uint _slot;
    }

    public override readonly string ToString() => HasExactExtents
        ? $"{ExtentCount} extent(s), granules {_granules:X16}"
        : $"granules {_granules:X16}";
}
