using System.Text;
using Store.Diagnostics;
using Store.Pages;
using Store.Versioning;

namespace Store.Tests;

/// <summary>A store rebuilt from page images is the same store, and its next dirty listing starts from the restore.</summary>
public sealed class StoreLoaderTests
{
    private static byte[] Key(int i) => Encoding.UTF8.GetBytes($"key-{i}");

    private static (StateStore Source, FrozenVersion Frozen) Populated(StoreOptions options)
    {
        StateStore store = StateStore.Open(options);
        for (int i = 0; i < 3000; i++)
        {
            store.Put(Key(i), Encoding.UTF8.GetBytes($"value-{i}-{new string('x', i % 700)}"));
        }

        return (store, store.Freeze());
    }

    private static StoreLoader LoadAll(FrozenVersion frozen, StoreOptions options)
    {
        StoreLoader loader = StateStore.BeginRestore(options, frozen.PageCount);
        byte[] page = new byte[frozen.PageSize];
        for (uint p = 0; p < frozen.PageCount; p++)
        {
            frozen.CopyPage(new PageId(p), page);
            loader.Write(new PageId(p), 0, page);
        }

        return loader;
    }

    [Fact]
    public void AStoreLoadedFromEveryPageOfAFrozenVersionHoldsTheSameEntries()
    {
        var options = new StoreOptions();
        (StateStore source, FrozenVersion frozen) = Populated(options);
        using (source)
        using (frozen)
        {
            using StateStore restored = LoadAll(frozen, options).Complete();
            Assert.Equal(frozen.Count, restored.Count);
            for (int i = 0; i < 3000; i++)
            {
                Assert.Equal(frozen.Get(Key(i)), restored.Get(Key(i)));
            }

            restored.Put(Key(1), "changed"u8);
            Assert.Equal("changed"u8.ToArray(), restored.Get(Key(1)));
        }
    }

    [Theory]
    [InlineData(64 * 4096)] // each segment smaller than the 2 MiB block the pre-faulting threads take turns by
    [InlineData(4 << 20)]   // two blocks a segment
    public void ARestoreAcrossManySegmentsHoldsEveryPageWhileThePreFaultingThreadsRun(long segmentBytes)
    {
        var options = new StoreOptions { SegmentBytes = segmentBytes };
        using StateStore source = StateStore.Open(options);
        for (int i = 0; i < 30_000; i++)
        {
            source.Put(Key(i), Encoding.UTF8.GetBytes($"value-{i}-{new string('y', i % 400)}"));
        }

        using FrozenVersion frozen = source.Freeze();
        long framesPerSegment = segmentBytes / frozen.PageSize;
        Assert.True(frozen.PageCount > 2 * framesPerSegment, $"{frozen.PageCount} pages span fewer than three segments of {framesPerSegment}");

        // The loader writes each page as soon as it is created, racing the background pre-faulting.
        using StateStore restored = LoadAll(frozen, options).Complete();
        Assert.Equal(frozen.Count, restored.Count);
        byte[] expected = new byte[frozen.PageSize];
        using FrozenVersion copy = restored.Freeze();
        byte[] actual = new byte[frozen.PageSize];
        for (uint p = 0; p < frozen.PageCount; p++)
        {
            frozen.CopyPage(new PageId(p), expected);
            copy.CopyPage(new PageId(p), actual);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"page {p} differs after the restore");
        }
    }

    [Fact]
    public void PagesWrittenInAnyOrderRestoreTheSameEntriesAndUnwrittenPagesAreZeros()
    {
        var options = new StoreOptions();
        (StateStore source, FrozenVersion frozen) = Populated(options);
        using (source)
        using (frozen)
        {
            // Pages are created when a write first reaches them (last page first here), and the
            // ones no write reaches (two past the frozen version's end) exist, as zeros, after Complete.
            StoreLoader loader = StateStore.BeginRestore(options, frozen.PageCount + 2);
            byte[] page = new byte[frozen.PageSize];
            for (long p = frozen.PageCount - 1; p >= 0; p--)
            {
                frozen.CopyPage(new PageId((uint)p), page);
                loader.Write(new PageId((uint)p), 0, page);
            }

            using StateStore restored = loader.Complete();
            Assert.Equal(frozen.PageCount + 2, restored.Statistics.Pages);
            Assert.Equal(frozen.Count, restored.Count);
            for (int i = 0; i < 3000; i++)
            {
                Assert.Equal(frozen.Get(Key(i)), restored.Get(Key(i)));
            }

            using FrozenVersion restoredFrozen = restored.Freeze();
            byte[] extra = new byte[frozen.PageSize];
            restoredFrozen.CopyPage(new PageId(frozen.PageCount + 1), extra);
            Assert.All(extra, b => Assert.Equal(0, b));
        }
    }

    [Fact]
    public void TheRestoredContentIsConfirmedVersionOneSoTheNextListingHoldsOnlyNewWrites()
    {
        var options = new StoreOptions();
        (StateStore source, FrozenVersion frozen) = Populated(options);
        using (source)
        using (frozen)
        {
            using StateStore restored = LoadAll(frozen, options).Complete();
            Assert.Equal(Epoch.First.Next, restored.LiveVersion);
            restored.Put(Key(5), "new"u8);
            using FrozenVersion next = restored.Freeze();
            Assert.Equal(Epoch.First, next.ConfirmedAtFreeze);
            int dirty = next.DirtyPagesSince(Epoch.First).Count();
            Assert.InRange(dirty, 1, 3);
        }
    }

    [Fact]
    public void AMismatchedKeyGroupCountIsRefusedNamingBothValues()
    {
        (StateStore source, FrozenVersion frozen) = Populated(new StoreOptions());
        using (source)
        using (frozen)
        {
            StoreLoader loader = LoadAll(frozen, new StoreOptions { MaxParallelism = 64 });
            var e = Assert.Throws<ArgumentException>(() => loader.Complete());
            Assert.Contains("MaxParallelism 128", e.Message);
            Assert.Contains("64", e.Message);
        }
    }

    [Fact]
    public void PagesWithoutAMetaPageAreCorruption()
    {
        using StoreLoader loader = StateStore.BeginRestore(new StoreOptions(), 4);
        var e = Assert.Throws<StoreCorruptedException>(() => loader.Complete("checkpoint.ckd"));
        Assert.Equal("checkpoint.ckd", e.File);
        Assert.Equal(0u, e.Page?.Value);
    }

    [Fact]
    public void WritesOutsideThePagesAreRefused()
    {
        using StoreLoader loader = StateStore.BeginRestore(new StoreOptions(), 4);
        Assert.Throws<ArgumentOutOfRangeException>(() => loader.Write(new PageId(4), 0, new byte[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => loader.Write(new PageId(1), 4090, new byte[7]));
    }
}
