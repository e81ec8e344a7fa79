using System.Buffers.Binary;
using Store.Pages;

namespace Store.Index;

/// <summary>
/// The 16-byte header every page starts with (little-endian):
/// <code>
/// 0  u8  kind            PageKind
/// 1  u8  layoutVersion   1
/// 2  u16 keyGroup        0xFFFF for store-wide pages (meta, group table)
/// 4  u32 next            next page of a chain (bucket overflow, blob, free list); 0 = none
/// 8  u32 fieldA          kind-specific
/// 12 u32 fieldB          kind-specific
/// </code>
/// The key group lets a checkpoint reader (and rescaling) select a key-group range page by page.
/// </summary>
public static class PageHeader
{
    public const int Size = 16;
    public const int KindOffset = 0;
    public const int LayoutVersionOffset = 1;
    public const int KeyGroupOffset = 2;
    public const int NextOffset = 4;
    public const int FieldAOffset = 8;
    public const int FieldBOffset = 12;

    public const byte CurrentLayoutVersion = 1;
    public const ushort StoreWideKeyGroup = 0xFFFF;

    public static PageKind Kind(ReadOnlySpan<byte> page) => (PageKind)page[KindOffset];

    /// <summary>The key group a page belongs to, or null for store-wide pages.</summary>
    public static int? KeyGroup(ReadOnlySpan<byte> page)
    {
        ushort group = BinaryPrimitives.ReadUInt16LittleEndian(page[KeyGroupOffset..]);
        return group == StoreWideKeyGroup ? null : group;
    }

    public static PageId Next(ReadOnlySpan<byte> page) => new(BinaryPrimitives.ReadUInt32LittleEndian(page[NextOffset..]));

    internal static uint FieldA(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt32LittleEndian(page[FieldAOffset..]);

    internal static uint FieldB(ReadOnlySpan<byte> page) => BinaryPrimitives.ReadUInt32LittleEndian(page[FieldBOffset..]);

    internal static void Write(Span<byte> image, PageKind kind, ushort keyGroup, PageId next, uint fieldA = 0, uint fieldB = 0)
    {
        image[KindOffset] = (byte)kind;
        image[LayoutVersionOffset] = CurrentLayoutVersion;
        BinaryPrimitives.WriteUInt16LittleEndian(image[KeyGroupOffset..], keyGroup);
        BinaryPrimitives.WriteUInt32LittleEndian(image[NextOffset..], next.Value);
        BinaryPrimitives.WriteUInt32LittleEndian(image[FieldAOffset..], fieldA);
        BinaryPrimitives.WriteUInt32LittleEndian(image[FieldBOffset..], fieldB);
    }
}
