using Store.Versioning;

namespace Store.Tests.Versioning;

/// <summary>
/// The barrier takes a version shell made ahead of time: by a write, or by the last release of a
/// frozen version, so that a barrier with no write since the one before allocates nothing either.
/// </summary>
public sealed class FrozenShellTests
{
    private static long AllocatedByFreeze(StateStore store, out FrozenVersion frozen)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        frozen = store.Freeze();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void AFreezeAfterAWriteAllocatesNothing()
    {
        using StateStore store = StateStore.Open();
        store.Put("key"u8, "value"u8);
        Assert.Equal(0, AllocatedByFreeze(store, out FrozenVersion frozen));
        frozen.Release();
    }

    [Fact]
    public void AFreezeWithNoWriteSinceTheLastVersionWasReleasedAllocatesNothing()
    {
        using StateStore store = StateStore.Open();
        store.Put("key"u8, "value"u8);
        store.Freeze().Release();
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(0, AllocatedByFreeze(store, out FrozenVersion frozen));
            frozen.Release();
        }
    }

    [Fact]
    public void AReleaseOnAnotherThreadPreparesTheNextShellToo()
    {
        using StateStore store = StateStore.Open();
        store.Put("key"u8, "value"u8);
        FrozenVersion first = store.Freeze();
        var releaser = new Thread(first.Release);
        releaser.Start();
        releaser.Join();
        Assert.Equal(0, AllocatedByFreeze(store, out FrozenVersion second));
        Assert.Equal("value"u8.ToArray(), second.Get("key"u8));
        second.Release();
    }

    [Fact]
    public void AFreezeRefusedAtTheCapKeepsItsShellForTheNextOne()
    {
        using StateStore store = StateStore.Open(new StoreOptions { MaxFrozenVersions = 1 });
        store.Put("key"u8, "value"u8);
        FrozenVersion held = store.Freeze();
        store.Put("key"u8, "later"u8);
        Assert.False(store.TryFreeze(out _));

        // The release finds the refused freeze's shell kept, so it makes none: had the refusal
        // dropped it, this release would allocate the next one and the freeze below could not tell.
        long before = GC.GetAllocatedBytesForCurrentThread();
        held.Release();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(0, AllocatedByFreeze(store, out FrozenVersion next));
        Assert.Equal("later"u8.ToArray(), next.Get("key"u8));
        next.Release();
    }
}
