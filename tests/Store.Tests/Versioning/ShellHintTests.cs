using Store.Versioning;

using static Store.Tests.TestInfrastructure.TestKeys;

namespace Store.Tests.Versioning;

/// <summary>
/// The barrier stores no reference when the shell's hints hold: the live root it was handed, and
/// its stream staged in the registry. When a hint is stale (the page table grew after the last
/// write began, or no shell was prepared), the barrier must store the reference itself.
/// </summary>
public sealed class ShellHintTests
{
    private static long CountEntries(FrozenVersion frozen)
    {
        long count = 0;
        foreach (var _ in frozen.GetEntries())
        {
            count++;
        }

        return count;
    }

    [Fact]
    public void AFreezeRightAfterAWriteGrewThePageTableSeesEveryKey()
    {
        // The page table grows a level when the page count passes 64 and 4,096 pages; the write that
        // grows it began with the old root as the shell's hint.
        using StateStore store = StateStore.Open();
        int growths = 0;
        for (long id = 0; id < 400_000 && growths < 2; id++)
        {
            uint before = store.Statistics.Pages;
            store.Put(Key(id), Key(id * 3));
            uint after = store.Statistics.Pages;
            if ((before <= 64 && after > 64) || (before <= 4096 && after > 4096))
            {
                growths++;
                FrozenVersion frozen = store.Freeze();
                Assert.Equal(id + 1, CountEntries(frozen));
                for (long check = id; check >= 0; check -= 997)
                {
                    Assert.Equal(Key(check * 3), frozen.Get(Key(check)));
                }

                frozen.Release();
            }
        }

        Assert.Equal(2, growths);
    }

    [Fact]
    public void FindFrozenReturnsEachAliveVersionByItsEpochAndNullOnceItIsReleased()
    {
        using StateStore store = StateStore.Open(new StoreOptions { MaxFrozenVersions = 3 });
        store.Put(Key(1), Key(10));
        FrozenVersion first = store.Freeze();
        store.Put(Key(1), Key(11));
        FrozenVersion second = store.Freeze();
        Assert.Same(first, store.FindFrozen(first.Version));
        Assert.Same(second, store.FindFrozen(second.Version));

        first.Release(); // the oldest goes: the slots after it, the staged one included, move down
        Assert.Null(store.FindFrozen(first.Version));
        Assert.Same(second, store.FindFrozen(second.Version));

        store.Put(Key(1), Key(12));
        FrozenVersion third = store.Freeze();
        Assert.Same(third, store.FindFrozen(third.Version));
        Assert.Same(second, store.FindFrozen(second.Version));
        Assert.Equal(Key(11), second.Get(Key(1)));
        Assert.Equal(Key(12), third.Get(Key(1)));

        second.Release();
        third.Release();
        Assert.Null(store.FindFrozen(second.Version));
        Assert.Null(store.FindFrozen(third.Version));
    }

    [Fact]
    public void AFreezeWithNoShellPreparedStoresItsOwnRootAndStream()
    {
        // The second freeze finds no shell (no write or release since the first took it), so it makes
        // one on the spot, which has neither hint: the barrier stores both references.
        using StateStore store = StateStore.Open(new StoreOptions { MaxFrozenVersions = 3 });
        for (long id = 0; id < 1_000; id++)
        {
            store.Put(Key(id), Key(id + 7));
        }

        FrozenVersion first = store.Freeze();
        FrozenVersion second = store.Freeze();
        Assert.Same(second, store.FindFrozen(second.Version));
        Assert.Same(first, store.FindFrozen(first.Version));
        Assert.Equal(1_000, CountEntries(second));
        Assert.Equal(Key(999 + 7), second.Get(Key(999)));
        first.Release();
        second.Release();
    }
}
