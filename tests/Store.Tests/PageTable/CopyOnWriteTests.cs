using Store.Pages;
using Store.Versioning;

namespace Store.Tests.PageTable;

/// <summary>The page table's copy-on-write invariants, observed through the store.</summary>
public sealed class CopyOnWriteTests
{
    private static StateStore Loaded(int keys)
    {
        var store = StateStore.Open();
        for (int i = 0; i < keys; i++)
        {
            store.Put(BitConverter.GetBytes(i), BitConverter.GetBytes((long)i));
        }

        return store;
    }

    [Fact]
    public void FreezeCopiesNoPageAndNoTableNode()
    {
        using StateStore store = Loaded(50_000);
        StoreStatistics before = store.Statistics;
        using FrozenVersion frozen = store.Freeze();
        StoreStatistics after = store.Statistics;
        Assert.Equal(before.FramesInUse, after.FramesInUse);
        Assert.Equal(before.CopyOnWriteCount, after.CopyOnWriteCount);
        Assert.Equal(0, after.FrozenBytes);
    }

    [Fact]
    public void TheFirstWriteToAFrozenPageCopiesItOnceAndLaterWritesDoNot()
    {
        using StateStore store = Loaded(50_000);
        using FrozenVersion frozen = store.Freeze();
        long copies = store.Statistics.CopyOnWriteCount;

        store.Put(BitConverter.GetBytes(7), BitConverter.GetBytes(-7L));
        Assert.Equal(copies + 1, store.Statistics.CopyOnWriteCount);
        store.Put(BitConverter.GetBytes(7), BitConverter.GetBytes(-8L));
        var add = new StateStoreTests.AddToCounter(3);
        store.ReadModifyWrite(BitConverter.GetBytes(7), ref add);
        Assert.Equal(copies + 1, store.Statistics.CopyOnWriteCount);
    }

    [Fact]
    public void OneWriteAfterAFreezeRetiresOneFrameAndOneTablePathNoMore()
    {
        using StateStore store = Loaded(50_000);
        var table = store.PageTableForTests;
        using FrozenVersion frozen = store.Freeze();
        store.Put(BitConverter.GetBytes(42), BitConverter.GetBytes(0L));
        int height = 0;
        for (long capacity = 64; capacity < table.PageCount; capacity *= 64)
        {
            height++;
        }

        // One frame plus the root-to-leaf path (height + 1 nodes): never the whole table.
        long nodeBytes = Store.PageTable.PageTableNode.LeafFootprint + (height * Store.PageTable.PageTableNode.InteriorFootprint);
        Assert.Equal(store.Options.PageSize + nodeBytes, store.FrozenBytes);
    }

    [Fact]
    public void WritesWithNoFrozenVersionAliveCopyNothing()
    {
        using StateStore store = Loaded(20_000);
        store.Freeze().Release();
        long copies = store.Statistics.CopyOnWriteCount;
        for (int i = 0; i < 20_000; i++)
        {
            store.Put(BitConverter.GetBytes(i), BitConverter.GetBytes(-1L));
        }

        Assert.Equal(copies, store.Statistics.CopyOnWriteCount);
        Assert.Equal(0, store.FrozenBytes);
    }

    [Fact]
    public void AFrozenPageKeepsItsBytesWhileTheLiveVersionRewritesIt()
    {
        using StateStore store = Loaded(1_000);
        using FrozenVersion frozen = store.Freeze();
        byte[][] pages = Enumerable.Range(0, (int)frozen.PageCount).Select(p =>
        {
            byte[] copy = new byte[frozen.PageSize];
            frozen.CopyPage(new PageId((uint)p), copy);
            return copy;
        }).ToArray();

        for (int i = 0; i < 1_000; i++)
        {
            store.Put(BitConverter.GetBytes(i), BitConverter.GetBytes(i * 1000L));
        }

        for (int i = 1_000; i < 5_000; i++)
        {
            store.Put(BitConverter.GetBytes(i), new byte[40]);
        }

        byte[] now = new byte[frozen.PageSize];
        for (int p = 0; p < pages.Length; p++)
        {
            frozen.CopyPage(new PageId((uint)p), now);
            Assert.True(pages[p].AsSpan().SequenceEqual(now), $"frozen page {p} is unchanged");
        }
    }

    [Fact]
    public void DirtyListingSkipsCleanSubtreesAndListsOnlyWrittenPages()
    {
        using StateStore store = Loaded(200_000);
        using (FrozenVersion base1 = store.Freeze())
        {
            store.ConfirmVersion(base1.Version);
        }

        var written = new HashSet<int> { 5, 77_777, 199_999 };
        foreach (int key in written)
        {
            store.Put(BitConverter.GetBytes(key), BitConverter.GetBytes(-5L));
        }

        using FrozenVersion frozen = store.Freeze();
        int listed = 0;
        foreach (DirtyPage page in frozen.DirtyPagesSince(frozen.ConfirmedAtFreeze))
        {
            listed++;
            Assert.False(page.Region.IsEmpty);
        }

        Assert.InRange(listed, 1, written.Count);
    }
}
