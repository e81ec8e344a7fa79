using Store.Diagnostics;
using Store.Versioning;

namespace Store.Tests.Versioning;

public sealed class ReclamationTests
{
    [Fact]
    public void TenThousandFreezeReleaseCyclesLeakNoFrame()
    {
        using var store = StateStore.Open();
        var random = new Random(11);
        for (int i = 0; i < 20_000; i++)
        {
            store.Put(BitConverter.GetBytes(i), BitConverter.GetBytes((long)i));
        }

        for (int cycle = 0; cycle < 10_000; cycle++)
        {
            FrozenVersion frozen = store.Freeze();
            for (int w = 0; w < 5; w++)
            {
                store.Put(BitConverter.GetBytes(random.Next(20_000)), BitConverter.GetBytes((long)cycle));
            }

            frozen.Release();
        }

        store.ReclaimReleasedPages();
        StoreStatistics stats = store.Statistics;
        Assert.Equal(0, stats.FrozenVersionsAlive);
        Assert.Equal(0, stats.FrozenBytes);
        Assert.Equal((int)stats.Pages, stats.FramesInUse);
    }

    [Fact]
    public void ReleasingANewerVersionFreesWhatOnlyItUsedWhileAnOlderOneStaysAlive()
    {
        using var store = StateStore.Open();
        for (int i = 0; i < 20_000; i++)
        {
            store.Put(BitConverter.GetBytes(i), BitConverter.GetBytes((long)i));
        }

        using FrozenVersion older = store.Freeze();
        for (int i = 0; i < 20_000; i += 97)
        {
            store.Put(BitConverter.GetBytes(i), BitConverter.GetBytes(-2L)); // copies pages away from 'older'
        }

        long heldByOlder = store.FrozenBytes;
        FrozenVersion newer = store.Freeze();
        for (int i = 0; i < 20_000; i += 97)
        {
            store.Put(BitConverter.GetBytes(i), BitConverter.GetBytes(-3L)); // copies pages only 'newer' reaches
        }

        Assert.True(store.FrozenBytes > heldByOlder, "the newer version holds pages of its own");
        newer.Release();
        store.ReclaimReleasedPages();
        Assert.Equal(heldByOlder, store.FrozenBytes);
        Assert.Equal(1L, BitConverter.ToInt64(older.Get(BitConverter.GetBytes(1))!));
        Assert.Equal(97L, BitConverter.ToInt64(older.Get(BitConverter.GetBytes(97))!));
    }

    [Fact]
    public void FreezingPastTheCapIsRefusedClearlyAndWorksAgainAfterARelease()
    {
        using var store = StateStore.Open(new StoreOptions { MaxFrozenVersions = 2 });
        store.Put("k"u8, "v"u8);
        FrozenVersion first = store.Freeze();
        using FrozenVersion second = store.Freeze();
        var error = Assert.Throws<FrozenVersionLimitException>(() => store.Freeze());
        Assert.Equal(2, error.Limit);
        Assert.Contains("MaxFrozenVersions", error.Message);
        Assert.False(store.TryFreeze(out FrozenVersion? refused));
        Assert.Null(refused);

        first.Release();
        Assert.True(store.TryFreeze(out FrozenVersion? third));
        third.Release();
    }

    [Fact]
    public async Task AWriterPastTheFrozenMemoryCapIsToldAndNothingIsAppliedUntilAVersionIsReleased()
    {
        using var store = StateStore.Open(new StoreOptions { MaxFrozenBytes = 64 * 1024 });
        for (int i = 0; i < 20_000; i++)
        {
            store.Put(BitConverter.GetBytes(i), BitConverter.GetBytes((long)i));
        }

        FrozenVersion frozen = store.Freeze();
        FrozenMemoryLimitException? error = null;
        int key = 0;
        for (; key < 20_000; key++)
        {
            try
            {
                store.Put(BitConverter.GetBytes(key), BitConverter.GetBytes(-1L));
            }
            catch (FrozenMemoryLimitException e)
            {
                error = e;
                break;
            }
        }

        Assert.NotNull(error);
        Assert.Equal(64 * 1024, error.LimitBytes);
        Assert.Equal((long)key, BitConverter.ToInt64(store.Get(BitConverter.GetBytes(key))));

        Task released = store.WhenFrozenVersionReleased;
        Assert.False(released.IsCompleted);
        frozen.Release();
        await released.WaitAsync(TimeSpan.FromSeconds(10));
        store.Put(BitConverter.GetBytes(key), BitConverter.GetBytes(-1L));
        Assert.Equal(-1L, BitConverter.ToInt64(store.Get(BitConverter.GetBytes(key))));
    }

    [Fact]
    public void AReadInProgressKeepsPagesAliveAcrossARelease()
    {
        using var store = StateStore.Open();
        for (int i = 0; i < 5_000; i++)
        {
            store.Put(BitConverter.GetBytes(i), BitConverter.GetBytes((long)i));
        }

        FrozenVersion frozen = store.Freeze();
        var entries = frozen.GetEntries(); // holds a lease
        frozen.Release();
        for (int i = 0; i < 5_000; i++)
        {
            store.Put(BitConverter.GetBytes(i), BitConverter.GetBytes(-1L));
        }

        int count = 0;
        foreach (var entry in entries)
        {
            Assert.NotEqual(-1L, BitConverter.ToInt64(entry.Value));
            count++;
        }

        Assert.Equal(5_000, count);
        Assert.Throws<ObjectDisposedException>(() => frozen.Get("k"u8));
    }

    [Fact]
    public void ADirtyListingInProgressKeepsTheTreeAliveAcrossARelease()
    {
        using var store = StateStore.Open();
        for (int i = 0; i < 50_000; i++)
        {
            store.Put(BitConverter.GetBytes(i), BitConverter.GetBytes((long)i));
        }

        FrozenVersion frozen = store.Freeze();
        uint pages = frozen.PageCount;
        using IEnumerator<DirtyPage> listing = frozen.DirtyPagesSince(Epoch.None).GetEnumerator();
        Assert.True(listing.MoveNext());
        frozen.Release();
        for (int i = 0; i < 50_000; i++)
        {
            store.Put(BitConverter.GetBytes(i), BitConverter.GetBytes(-1L)); // copies and retires every page
        }

        uint listed = 1;
        uint previous = listing.Current.Page.Value;
        while (listing.MoveNext())
        {
            Assert.Equal(previous + 1, listing.Current.Page.Value);
            previous = listing.Current.Page.Value;
            listed++;
        }

        Assert.Equal(pages, listed);
    }

    [Fact]
    public void WritesAfterAReleaseReclaimGraduallyUntilEverythingIsBack()
    {
        using var store = StateStore.Open();
        for (int i = 0; i < 50_000; i++)
        {
            store.Put(BitConverter.GetBytes(i), BitConverter.GetBytes((long)i));
        }

        FrozenVersion frozen = store.Freeze();
        for (int i = 0; i < 50_000; i++)
        {
            store.Put(BitConverter.GetBytes(i), BitConverter.GetBytes(-1L)); // copies every page
        }

        long held = store.FrozenBytes;
        frozen.Release();
        store.Put(BitConverter.GetBytes(0), BitConverter.GetBytes(-2L));
        Assert.True(store.FrozenBytes > 0 && store.FrozenBytes < held, "one write returns a bounded slice, not everything");

        int writes = 1;
        while (store.FrozenBytes > 0)
        {
            store.Put(BitConverter.GetBytes(writes % 50_000), BitConverter.GetBytes(-3L));
            writes++;
            Assert.True(writes < 100_000, "gradual reclamation finishes");
        }

        Assert.Equal((int)store.Statistics.Pages, store.Statistics.FramesInUse);
    }
}
