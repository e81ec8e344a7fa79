using System.Buffers.Binary;
using Store.Pages;

namespace Store.Index;

/// <summary>
/// Layouts of the pages that locate a key group's buckets. All little-endian.
/// <para>Group table (kind GroupTable, pages 1..n): after the header, u32 root page id per key group
/// (0 = the group holds no key yet); group g is entry g − (page index × entries per page).</para>
/// <para>Group root (kind GroupRoot, one per non-empty key group):</para>
/// <code>
/// 0  16  PageHeader   next = 0, fieldA = level, fieldB = split pointer (linear hashing)
/// 16 u64 entryCount   keys in the group
/// 24 u32 reserved     (zero; free pages are listed store-wide in the meta page)
/// 28 u32 directoryPageCount
/// 32 u64 recordBytes  bytes of the group's bucket records (drives splitting)
/// 40 ..  reserved (8 bytes, zero)
/// 48 u32[] directory page ids
/// </code>
/// <para>Directory (kind Directory): after the header, u32 bucket page ids. Bucket b lives in
/// directory page b / (entries per page), slot b % (entries per page).</para>
/// Linear hashing: the group has 2^level + split buckets; key hash h maps to h mod 2^level, or to
/// h mod 2^(level+1) when that is below the split pointer.
/// </summary>
internal static class GroupPages
{
    public const int EntryCountOffset = 16;
    public const int DirectoryCountOffset = 28;
    public const int RecordBytesOffset = 32;
    public const int RootDirectoryOffset = 48;

    public static int GroupTableEntriesPerPage(int pageSize) => (pageSize - PageHeader.Size) / 4;

    public static int RootDirectoryCapacity(int pageSize) => (pageSize - RootDirectoryOffset) / 4;

    public static int DirectoryEntriesPerPage(int pageSize) => (pageSize - PageHeader.Size) / 4;

    public static uint Level(ReadOnlySpan<byte> root) => PageHeader.FieldA(root);

    public static uint Split(ReadOnlySpan<byte> root) => PageHeader.FieldB(root);

    public static ulong EntryCount(ReadOnlySpan<byte> root) => BinaryPrimitives.ReadUInt64LittleEndian(root[EntryCountOffset..]);

    public static ulong RecordBytes(ReadOnlySpan<byte> root) => BinaryPrimitives.ReadUInt64LittleEndian(root[RecordBytesOffset..]);

    public static int DirectoryCount(ReadOnlySpan<byte> root) => (int)BinaryPrimitives.ReadUInt32LittleEndian(root[DirectoryCountOffset..]);

    public static PageId DirectoryPage(ReadOnlySpan<byte> root, int index) =>
        new(BinaryPrimitives.ReadUInt32LittleEndian(root[(RootDirectoryOffset + (index * 4))..]));

    public static PageId DirectoryEntry(ReadOnlySpan<byte> directory, int slot) =>
        new(BinaryPrimitives.ReadUInt32LittleEndian(directory[(PageHeader.Size + (slot * 4))..]));

    public static long BucketCount(ReadOnlySpan<byte> root) => (1L << (int)Level(root)) + Split(root);

    /// <summary>The bucket of a key with bucket hash <paramref name="hash"/> under linear hashing.</summary>
    public static uint BucketOf(uint hash, uint level, uint split)
    {
        uint bucket = hash & ((1u << (int)level) - 1);
        return bucket < split ? hash & (uint)((1L << ((int)level + 1)) - 1) : bucket;
    }
}
