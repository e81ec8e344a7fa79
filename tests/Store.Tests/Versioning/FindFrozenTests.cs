using Store.Index;
using Store.Versioning;

using static Store.Tests.TestInfrastructure.TestKeys;

namespace Store.Tests.Versioning;

/// <summary>
/// <see cref="StateStore.FindFrozen"/> hands out a frozen version only between its barrier's end
/// and its owner's release. The registry lists a version for longer on both sides: from before
/// the barrier fills its shell in (so that the copy-on-write rule sees it first) until its last
/// reader is done.
/// </summary>
public sealed class FindFrozenTests
{
    [Fact]
    public async Task AVersionIsNeverFoundBeforeItsBarrierHasActivatedIt()
    {
        using StateStore store = StateStore.Open();
        for (long id = 0; id < 1_000; id++)
        {
            store.Put(Key(id), Key(id));
        }

        uint pages = store.Statistics.Pages;
        int found = 0;
        int wrong = 0;
        using var started = new ManualResetEventSlim();
        using var done = new CancellationTokenSource();
        var probe = Task.Factory.StartNew(() =>
        {
            // Asks for the version the writer is about to freeze, over and over: the window
            // between its listing and its activation is a few instructions wide.
            started.Set();
            while (!done.IsCancellationRequested)
            {
                Epoch asked = store.LiveVersion;
                if (store.FindFrozen(asked) is { } frozen)
                {
                    Volatile.Write(ref found, found + 1);
                    if (frozen.Version != asked || frozen.PageCount != pages)
                    {
                        wrong++;
                    }
                }
            }
        }, TaskCreationOptions.LongRunning);

        started.Wait();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Volatile.Read(ref found) < 5_000 && clock.Elapsed < TimeSpan.FromSeconds(5) && !probe.IsCompleted)
        {
            store.Freeze().Release();
        }

        done.Cancel();
        await probe;
        Assert.Equal(0, wrong);
        Assert.True(found > 0, "the probe found no version at all, so it tested nothing");
    }

    [Fact]
    public void AVersionItsOwnerReleasedIsNotFoundWhileAReaderStillHoldsIt()
    {
        using StateStore store = StateStore.Open();
        store.Put(Key(1), Key(2));
        FrozenVersion frozen = store.Freeze();
        using (EntryEnumerator reader = frozen.GetEntries()) // holds a lease until disposed
        {
            frozen.Release();
            Assert.Null(store.FindFrozen(frozen.Version));
            Assert.True(reader.MoveNext(), "the reader that started before the release still reads");
        }

        Assert.Null(store.FindFrozen(frozen.Version));
    }
}
