using System.Runtime.CompilerServices;
using System.Text;
using Store.Index;
using Store.Pages;
using Store.Versioning;

namespace Store.Tests.Index;

/// <summary>Pins every byte offset that checkpoints and the page-dump tool depend on.</summary>
public sealed class PageLayoutTests
{
    [Fact]
    public void ThePageHeaderIsSixteenBytesWithFixedOffsets()
    {
        Assert.Equal(16, PageHeader.Size);
        Assert.Equal(0, PageHeader.KindOffset);
        Assert.Equal(1, PageHeader.LayoutVersionOffset);
        Assert.Equal(2, PageHeader.KeyGroupOffset);
        Assert.Equal(4, PageHeader.NextOffset);
        Assert.Equal(8, PageHeader.FieldAOffset);
        Assert.Equal(12, PageHeader.FieldBOffset);
    }

    [Fact]
    public void TheMetaPageStartsWithItsMagicAndDescribesTheStore()
    {
        using var store = StateStore.Open(new StoreOptions { PageSize = 8192, MaxParallelism = 3000 });
        using FrozenVersion frozen = store.Freeze();
        byte[] page = new byte[8192];
        frozen.CopyPage(MetaPage.Page, page);
        Assert.Equal("STOREPG\0", Encoding.ASCII.GetString(page, 16, 8));
        Assert.Equal((byte)PageKind.Meta, page[0]);
        (int pageSize, int maxParallelism, PageId groupTable, int groupTablePages) = MetaPage.Read(page);
        Assert.Equal(8192, pageSize);
        Assert.Equal(3000, maxParallelism);
        Assert.Equal(new PageId(1), groupTable);
        Assert.Equal(2, groupTablePages); // (8192 - 16) / 4 = 2044 groups per page
        Assert.Equal(128u, BitConverter.ToUInt32(page, MetaPage.GranuleSizeOffset));
    }

    [Fact]
    public void ACorruptMetaPageIsReportedWithItsOffsetAndPage()
    {
        byte[] page = new byte[4096];
        var error = Assert.Throws<Store.Diagnostics.StoreCorruptedException>(() => MetaPage.Read(page, "x.ckpt"));
        Assert.Equal(MetaPage.MagicOffset, error.Offset);
        Assert.Equal(MetaPage.Page, error.Page);
        Assert.Contains("x.ckpt", error.Message);
    }

    [Fact]
    public void BucketPagesKeepTheirSlotArraysAtPinnedOffsets()
    {
        Assert.Equal(16, BucketPage.HeapStartOffset);
        Assert.Equal(20, BucketPage.DeadBytesOffset);
        Assert.Equal(24, BucketPage.LiveCountOffset);
        Assert.Equal(26, BucketPage.TombstonesOffset);
        Assert.Equal(32, BucketPage.SlotGroupsOffset);
        Assert.Equal(48, BucketPage.SlotGroupSize);
        Assert.Equal(128, BucketPage.SlotCount(4096));
        Assert.Equal(32 + 48 + 3, BucketPage.TagOffset(19));
        Assert.Equal(32 + 48 + 16 + 6, BucketPage.SlotOffset(19));
        Assert.Equal(416, BucketPage.HeapFloor(4096));
        Assert.Equal(8, BucketPage.RecordHeaderSize);
        Assert.Equal(48, GroupPages.RootDirectoryOffset);
    }

    [Fact]
    public void EveryPageNamesItsKindAndEveryGroupPageItsKeyGroup()
    {
        using var store = StateStore.Open(new StoreOptions { MaxParallelism = 16 });
        for (int i = 0; i < 20_000; i++)
        {
            store.Put(BitConverter.GetBytes(i), new byte[i % 50 == 0 ? 3000 : 12]);
        }

        using FrozenVersion frozen = store.Freeze();
        byte[] page = new byte[frozen.PageSize];
        for (uint p = 0; p < frozen.PageCount; p++)
        {
            frozen.CopyPage(new PageId(p), page);
            PageKind kind = PageHeader.Kind(page);
            Assert.InRange((int)kind, (int)PageKind.Meta, (int)PageKind.Free);
            if (kind is PageKind.Meta or PageKind.GroupTable or PageKind.Free)
            {
                Assert.Null(PageHeader.KeyGroup(page));
            }
            else
            {
                Assert.InRange(PageHeader.KeyGroup(page)!.Value, 0, 15);
            }
        }
    }

    [Theory]
    [InlineData("user-1", 0x7C7615C11438E5C9UL, 62, 15931)]
    [InlineData("user-2", 0x20333BB6481664D4UL, 16, 4121)]
    [InlineData("a", 0xE6C632B61E964E1FUL, 115, 29539)]
    public void KeyGroupsAreAPinnedFunctionOfTheKeyBytes(string key, ulong hash, int groupOf128, int groupOf32768)
    {
        // Golden values: the checkpoint format and rescaling depend on these exact assignments,
        // so a change of hash or reduction must fail here first.
        KeyHash keyHash = KeyHash.Of(Encoding.UTF8.GetBytes(key));
        Assert.Equal(hash, keyHash.Value);
        Assert.Equal(groupOf128, keyHash.KeyGroup(128));
        Assert.Equal(groupOf32768, keyHash.KeyGroup(32768));
    }

    [Fact]
    public void APageTableEntryIsFortyEightBytesAndADirtyRegionTwentyFour()
    {
        Assert.Equal(48, Unsafe.SizeOf<Store.PageTable.PageEntry>());
        Assert.Equal(24, Unsafe.SizeOf<DirtyRegion>());
    }
}
