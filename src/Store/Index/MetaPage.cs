using System.Buffers.Binary;
using Store.Diagnostics;
using Store.Pages;

namespace Store.Index;

/// <summary>
/// Page 0: what a reader needs to interpret every other page, and the store-wide free-page list.
/// Apart from the free-list head it is written once, when the store is created.
/// <code>
/// 0  16  PageHeader        kind Meta, keyGroup 0xFFFF, next 0
/// 16 u64 magic             "STOREPG\0" (0x0047504552_4F5453 little-endian)
/// 24 u32 formatVersion     1
/// 28 u32 pageSize
/// 32 u32 maxParallelism    number of key groups
/// 36 u32 groupTableFirst   first group-table page (1)
/// 40 u32 groupTablePages   group-table page count
/// 44 u32 granuleSize       pageSize / 64
/// 48 u32 freeListHead      first free page (0 = none); free pages chain through their header's next
/// 52 ..  reserved, zero
/// </code>
/// </summary>
public static class MetaPage
{
    public const ulong Magic = 0x0047504552_4F5453; // "STOREPG\0"
    public const uint FormatVersion = 1;
    public const int MagicOffset = 16;
    public const int FormatVersionOffset = 24;
    public const int PageSizeOffset = 28;
    public const int MaxParallelismOffset = 32;
    public const int GroupTableFirstOffset = 36;
    public const int GroupTablePagesOffset = 40;
    public const int GranuleSizeOffset = 44;
    public const int FreeListHeadOffset = 48;
    public const int UsedBytes = 52;

    public static readonly PageId Page = new(0);

    internal static void Write(Span<byte> image, int pageSize, int maxParallelism, PageId groupTableFirst, int groupTablePages)
    {
        PageHeader.Write(image, PageKind.Meta, PageHeader.StoreWideKeyGroup, PageId.None);
        BinaryPrimitives.WriteUInt64LittleEndian(image[MagicOffset..], Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(image[FormatVersionOffset..], FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(image[PageSizeOffset..], (uint)pageSize);
        BinaryPrimitives.WriteUInt32LittleEndian(image[MaxParallelismOffset..], (uint)maxParallelism);
        BinaryPrimitives.WriteUInt32LittleEndian(image[GroupTableFirstOffset..], groupTableFirst.Value);
        BinaryPrimitives.WriteUInt32LittleEndian(image[GroupTablePagesOffset..], (uint)groupTablePages);
        BinaryPrimitives.WriteUInt32LittleEndian(image[GranuleSizeOffset..], (uint)(pageSize / 64));
    }

    /// <summary>Reads and checks page 0; <paramref name="source"/> names the file for error messages.</summary>
    public static (int PageSize, int MaxParallelism, PageId GroupTableFirst, int GroupTablePages) Read(
        ReadOnlySpan<byte> page, string? source = null)
    {
        ulong magic = BinaryPrimitives.ReadUInt64LittleEndian(page[MagicOffset..]);
        if (PageHeader.Kind(page) != PageKind.Meta || magic != Magic)
        {
            throw new StoreCorruptedException($"meta page magic is 0x{magic:X16}, expected 0x{Magic:X16}",
                source, MagicOffset, Page);
        }

        uint version = BinaryPrimitives.ReadUInt32LittleEndian(page[FormatVersionOffset..]);
        if (version != FormatVersion)
        {
            throw new StoreCorruptedException($"page format version {version} is not supported (this build reads {FormatVersion})",
                source, FormatVersionOffset, Page);
        }

        return ((int)BinaryPrimitives.ReadUInt32LittleEndian(page[PageSizeOffset..]),
            (int)BinaryPrimitives.ReadUInt32LittleEndian(page[MaxParallelismOffset..]),
            new PageId(BinaryPrimitives.ReadUInt32LittleEndian(page[GroupTableFirstOffset..])),
            (int)BinaryPrimitives.ReadUInt32LittleEndian(page[GroupTablePagesOffset..]));
    }
}
