using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Store.Index;

/// <summary>
/// A hash bucket page: a small Swiss table of slots plus a heap of records growing down from the
/// page end. Little-endian.
/// <code>
/// 0    16   PageHeader   kind Bucket, next = overflow page of the same bucket (0 = none), fieldA/B = 0
/// 16   u32  heapStart    lowest byte used by records (pageSize when empty)
/// 20   u32  deadBytes    heap bytes of deleted records, reclaimed by the next rewrite
/// 24   u16  liveCount
/// 26   u16  tombstones
/// 28   u32  reserved (zero)
/// 32   S/16 slot groups of 48 bytes each, group g at 32 + 48·g:
///        u8[16]  tags     0x00–0x7F: 7 hash bits of a live record; 0x80 empty; 0xFE deleted
///        u16[16] offsets  record offset per slot
/// 32+3S heap
/// record: u16 keyLength | u8 flags (bit 0: value in a blob chain) | u8 reserved | u32 valueLength
///         | key | value, or u32 first blob page when external
/// </code>
/// S = pageSize / 32 slots, probed 16 at a time (one SIMD compare) starting at a group chosen by
/// hash bits independent of the bucket and the tag. A group's tags and offsets share one cache
/// line, so a lookup touches two lines of the page: the slot group and the record. Lookups stop at
/// the first group with an empty slot; deletes leave tombstones so that rule stays true.
/// </summary>
internal static class BucketPage
{
    public const int HeapStartOffset = 16;
    public const int DeadBytesOffset = 20;
    public const int LiveCountOffset = 24;
    public const int TombstonesOffset = 26;
    public const int SlotGroupsOffset = 32;
    public const int SlotGroupSize = 48;
    public const int RecordHeaderSize = 8;

    /// <summary>End of the counters an insert updates (heapStart, deadBytes, liveCount, tombstones).</summary>
    public const int CountersEnd = 28;
    public const int GroupWidth = 16;

    public const byte EmptyTag = 0x80;
    public const byte TombstoneTag = 0xFE;
    public const byte ExternalValueFlag = 0x01;

    public static int SlotCount(int pageSize) => pageSize / 32;

    // Sizes and slots are never negative. Unsigned division and a mask compile to a shift and an
    // and; int division and remainder add sign fix-ups on the lookup path.
    public static int GroupCount(int pageSize) => (int)((uint)pageSize / (32 * GroupWidth));

    /// <summary>First heap byte: where the slot groups end.</summary>
    public static int HeapFloor(int pageSize) => SlotGroupsOffset + (GroupCount(pageSize) * SlotGroupSize);

    public static int GroupOffset(int group) => SlotGroupsOffset + (group * SlotGroupSize);

    private static int GroupOf(int slot) => (int)((uint)slot / GroupWidth);

    private static int LaneOf(int slot) => slot & (GroupWidth - 1);

    public static int TagOffset(int slot) => GroupOffset(GroupOf(slot)) + LaneOf(slot);

    public static int HeapStart(ReadOnlySpan<byte> page) => (int)BinaryPrimitives.ReadUInt32LittleEndian(page[HeapStartOffset..]);

    public static int DeadBytes(ReadOnlySpan<byte> page) => (int)BinaryPrimitives.ReadUInt32LittleEndian(page[DeadBytesOffset..]);

    public static int LiveCount(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt16LittleEndian(page[LiveCountOffset..]);

    public static int Tombstones(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt16LittleEndian(page[TombstonesOffset..]);

    public static int SlotOffset(int slot) => GroupOffset(GroupOf(slot)) + GroupWidth + (LaneOf(slot) * 2);

    public static int RecordOffset(ReadOnlySpan<byte> page, int slot) =>
        BinaryPrimitives.ReadUInt16LittleEndian(page[SlotOffset(slot)..]);

    public static int RecordSize(int keyLength, int storedValueLength) => RecordHeaderSize + keyLength + storedValueLength;

    /// <summary>Initialises an empty bucket page image (tags empty, heap empty).</summary>
    public static void Format(Span<byte> image, ushort keyGroup, Pages.PageId next)
    {
        image.Clear();
        PageHeader.Write(image, PageKind.Bucket, keyGroup, next);
        BinaryPrimitives.WriteUInt32LittleEndian(image[HeapStartOffset..], (uint)image.Length);
        for (int group = 0; group < GroupCount(image.Length); group++)
        {
            image.Slice(GroupOffset(group), GroupWidth).Fill(EmptyTag);
        }
    }

    /// <summary>The key of the record at <paramref name="offset"/>: all a probe compares, without parsing the rest of the record.</summary>
    private static ReadOnlySpan<byte> KeyOf(ReadOnlySpan<byte> page, int offset) =>
        page.Slice(offset + RecordHeaderSize, BinaryPrimitives.ReadUInt16LittleEndian(page[offset..]));

    /// <summary>
    /// Where the inline value of the record in <paramref name="slot"/> starts, and its length; -1
    /// when the value lives in a blob chain. The fast path of an update: one 8-byte load of the
    /// record header instead of a whole <see cref="RecordView"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int InlineValueOffset(ReadOnlySpan<byte> page, int slot, out int valueLength)
    {
        int offset = RecordOffset(page, slot);
        ulong header = BinaryPrimitives.ReadUInt64LittleEndian(page[offset..]); // keyLength u16 | flags u8 | reserved u8 | valueLength u32
        valueLength = (int)(header >> 32);
        return ((header >> 16) & ExternalValueFlag) != 0 ? -1 : offset + RecordHeaderSize + (ushort)header;
    }

    /// <summary>The record in <paramref name="slot"/> as a view over the page.</summary>
    public static RecordView Record(ReadOnlySpan<byte> page, int slot) => RecordView.At(page, RecordOffset(page, slot));

    /// <summary>Finds <paramref name="key"/> in this page; returns its slot or -1.</summary>
    public static int Find(ReadOnlySpan<byte> page, ReadOnlySpan<byte> key, in KeyHash hash)
    {
        int groups = GroupCount(page.Length);
        Vector128<byte> wanted = Vector128.Create(hash.Tag);
        Vector128<byte> empty = Vector128.Create(EmptyTag);
        int group = hash.SlotGroup(groups);
        for (int probe = 0; probe < groups; probe++)
        {
            int first = group * GroupWidth;
            Vector128<byte> lane = Vector128.Create(page.Slice(GroupOffset(group), GroupWidth));
            uint matches = Vector128.Equals(lane, wanted).ExtractMostSignificantBits();
            while (matches != 0)
            {
                int slot = first + BitOperations.TrailingZeroCount(matches);
                if (KeyOf(page, RecordOffset(page, slot)).SequenceEqual(key))
                {
                    return slot;
                }

                matches &= matches - 1;
            }

            if (Vector128.Equals(lane, empty) != Vector128<byte>.Zero)
            {
                return -1;
            }

            group = group + 1 == groups ? 0 : group + 1;
        }

        return -1;
    }

    /// <summary>The slot an insert of a key with this hash takes: the first empty or deleted slot in probe order, or -1.</summary>
    public static int FreeSlot(ReadOnlySpan<byte> page, in KeyHash hash)
    {
        int groups = GroupCount(page.Length);
        int group = hash.SlotGroup(groups);
        for (int probe = 0; probe < groups; probe++)
        {
            int first = group * GroupWidth;
            Vector128<byte> lane = Vector128.Create(page.Slice(GroupOffset(group), GroupWidth));
            // Live tags have the high bit clear; empty (0x80) and deleted (0xFE) have it set.
            uint free = lane.ExtractMostSignificantBits();
            if (free != 0)
            {
                return first + BitOperations.TrailingZeroCount(free);
            }

            group = group + 1 == groups ? 0 : group + 1;
        }

        return -1;
    }

    /// <summary>
    /// Where an insert of <paramref name="record"/> goes: the free slot, the heap offset, and the
    /// header counters after it. Returns false when slot or heap space is missing.
    /// </summary>
    public static bool PlanInsert(ReadOnlySpan<byte> page, in PendingRecord record, out InsertPlan plan)
    {
        int slot = FreeSlot(page, record.Hash);
        if (slot < 0 || !HeapFits(page, record.Size))
        {
            plan = default;
            return false;
        }

        bool reusesTombstone = page[TagOffset(slot)] == TombstoneTag;
        plan = new InsertPlan(slot, HeapStart(page) - record.Size, LiveCount(page) + 1,
            Tombstones(page) - (reusesTombstone ? 1 : 0));
        return true;
    }

    /// <summary>Inserts into a page image that is not yet live (rewrites build whole pages this way).</summary>
    public static bool TryPlace(Span<byte> image, in PendingRecord record)
    {
        if (!PlanInsert(image, record, out InsertPlan plan))
        {
            return false;
        }

        record.WriteTo(image.Slice(plan.Offset, record.Size));
        image[TagOffset(plan.Slot)] = record.Hash.Tag;
        BinaryPrimitives.WriteUInt16LittleEndian(image[SlotOffset(plan.Slot)..], (ushort)plan.Offset);
        plan.WriteCounters(image[HeapStartOffset..CountersEnd]);
        return true;
    }

    /// <summary>Whether a record of <paramref name="recordSize"/> bytes fits the heap without a rewrite.</summary>
    public static bool HeapFits(ReadOnlySpan<byte> page, int recordSize) =>
        HeapStart(page) - recordSize >= HeapFloor(page.Length);
}

/// <summary>The outcome of <see cref="BucketPage.PlanInsert"/>.</summary>
internal readonly record struct InsertPlan(int Slot, int Offset, int LiveCount, int Tombstones)
{
    /// <summary>Writes heapStart, deadBytes (unchanged: skipped), liveCount and tombstones into header bytes 16..28.</summary>
    public void WriteCounters(Span<byte> header)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)Offset);
        BinaryPrimitives.WriteUInt16LittleEndian(header[(BucketPage.LiveCountOffset - BucketPage.HeapStartOffset)..], (ushort)LiveCount);
        BinaryPrimitives.WriteUInt16LittleEndian(header[(BucketPage.TombstonesOffset - BucketPage.HeapStartOffset)..], (ushort)Tombstones);
    }
}

/// <summary>A record inside a bucket page (see <see cref="BucketPage"/> for the layout).</summary>
internal readonly ref struct RecordView
{
    private RecordView(ReadOnlySpan<byte> page, int offset)
    {
        Offset = offset;
        int keyLength = BinaryPrimitives.ReadUInt16LittleEndian(page[offset..]);
        Flags = page[offset + 2];
        ValueLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(page[(offset + 4)..]);
        Key = page.Slice(offset + BucketPage.RecordHeaderSize, keyLength);
        int stored = IsExternal ? 4 : ValueLength;
        Stored = page.Slice(offset + BucketPage.RecordHeaderSize + keyLength, stored);
    }

    public int Offset { get; }

    public byte Flags { get; }

    public int ValueLength { get; }

    public ReadOnlySpan<byte> Key { get; }

    /// <summary>The inline value, or the 4-byte first blob page when the value is external.</summary>
    public ReadOnlySpan<byte> Stored { get; }

    public bool IsExternal => (Flags & BucketPage.ExternalValueFlag) != 0;

    public Pages.PageId FirstBlobPage => new(BinaryPrimitives.ReadUInt32LittleEndian(Stored));

    public int Size => BucketPage.RecordHeaderSize + Key.Length + Stored.Length;

    public static RecordView At(ReadOnlySpan<byte> page, int offset) => new(page, offset);
}
