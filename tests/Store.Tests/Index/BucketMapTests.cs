using System.Buffers.Binary;
using Store.Diagnostics;
using Store.Index;
using Store.Pages;
using Store.Versioning;
using Xunit.Abstractions;

using static Store.Tests.TestInfrastructure.TestKeys;

namespace Store.Tests.Index;

/// <summary>The writer's bucket map always says what the directory pages say, and a restore refuses pages it cannot map.</summary>
public sealed class BucketMapTests(ITestOutputHelper output)
{
    private const int Keys = 60_000;

    /// <summary>Every key's group root and first bucket page, through the map and through the pages.</summary>
    private static void AssertMapMatchesPages(StateStore store, BucketMap map, int keys)
    {
        IndexReader<LivePages> pages = store.IndexForTests.Reader;
        for (long i = 0; i < keys; i++)
        {
            KeyHash hash = KeyHash.Of(Key(i));
            int keyGroup = hash.KeyGroup(store.Options.MaxParallelism);
            PageId root = pages.GroupRoot(keyGroup);
            Assert.True(map.TryFind(keyGroup, hash.BucketHash, out PageId mappedRoot, out PageId mappedFirst), $"key {i}: group {keyGroup} is missing from the map");
            Assert.Equal(root, mappedRoot);
            Assert.Equal(pages.BucketFor(root, hash), mappedFirst);
        }
    }

    [Fact]
    public void AfterThousandsOfSplitsAndCopyOnWritesTheMapMatchesTheDirectoryPagesForEveryKey()
    {
        using var store = StateStore.Open(new StoreOptions { MaxParallelism = 16 });
        for (long i = 0; i < Keys; i++)
        {
            store.Put(Key(i), BitConverter.GetBytes(i));
        }

        // A frozen version makes the next writes copy the directory and root pages to new frames;
        // their ids, which is all the map holds, stay.
        using (FrozenVersion frozen = store.Freeze())
        {
            for (long i = Keys; i < Keys + 5_000; i++)
            {
                store.Put(Key(i), BitConverter.GetBytes(i));
            }
        }

        BucketMap maintained = store.IndexForTests.Buckets;
        AssertMapMatchesPages(store, maintained, Keys + 5_000);

        var loaded = new BucketMap(store.Options.MaxParallelism);
        loaded.Load(store.IndexForTests.Reader, store.Statistics.Pages, source: null);
        AssertMapMatchesPages(store, loaded, Keys + 5_000);
        output.WriteLine($"{store.Statistics.Pages} pages, {store.Count} keys");
    }

    [Fact]
    public void AGroupThatHoldsNoKeyIsAbsentFromTheMap()
    {
        using var store = StateStore.Open(new StoreOptions { MaxParallelism = 128 });
        byte[] key = Key(7);
        int keyGroup = store.KeyGroupOf(key);
        Assert.False(store.IndexForTests.Buckets.TryFind(keyGroup, 0, out _, out _));
        store.Put(key, "v"u8);
        Assert.True(store.IndexForTests.Buckets.TryFind(keyGroup, 0, out PageId root, out _));
        Assert.Equal(store.IndexForTests.Reader.GroupRoot(keyGroup), root);
        Assert.False(store.IndexForTests.Buckets.TryFind((keyGroup + 1) % 128, 0, out _, out _));
    }

    /// <summary>Restores every page of a populated store, after <paramref name="damage"/> changes them; returns what Complete threw.</summary>
    private static StoreCorruptedException RestoreDamaged(Action<byte[][]> damage)
    {
        var options = new StoreOptions { MaxParallelism = 8 };
        using StateStore source = StateStore.Open(options);
        for (long i = 0; i < 20_000; i++)
        {
            source.Put(Key(i), BitConverter.GetBytes(i));
        }

        using FrozenVersion frozen = source.Freeze();
        byte[][] images = new byte[frozen.PageCount][];
        for (uint p = 0; p < frozen.PageCount; p++)
        {
            images[p] = new byte[frozen.PageSize];
            frozen.CopyPage(new PageId(p), images[p]);
        }

        damage(images);
        using StoreLoader loader = StateStore.BeginRestore(options, frozen.PageCount);
        for (uint p = 0; p < images.Length; p++)
        {
            loader.Write(new PageId(p), 0, images[p]);
        }

        return Assert.Throws<StoreCorruptedException>(() => loader.Complete("shard.ckd"));
    }

    private static uint FirstPageOfKind(byte[][] images, PageKind kind) =>
        (uint)Array.FindIndex(images, image => PageHeader.Kind(image) == kind);

    /// <summary>Restores with the first directory page's first entry (bucket 0 of its group) set to <paramref name="entry"/>.</summary>
    private static (StoreCorruptedException Error, uint Directory) RestoreWithFirstDirectoryEntry(uint entry)
    {
        uint directory = 0;
        StoreCorruptedException e = RestoreDamaged(images =>
        {
            directory = FirstPageOfKind(images, PageKind.Directory);
            BinaryPrimitives.WriteUInt32LittleEndian(images[directory].AsSpan(PageHeader.Size), entry);
        });
        return (e, directory);
    }

    [Fact]
    public void ARestoredDirectoryNamingAPageBeyondTheStoreIsCorruptionNamingTheDirectoryPage()
    {
        (StoreCorruptedException e, uint directory) = RestoreWithFirstDirectoryEntry(0x7FFF_0000);
        Assert.Equal("shard.ckd", e.File);
        Assert.Equal(directory, e.Page?.Value);
        Assert.Equal(PageHeader.Size, e.Offset);
        Assert.Contains("page 2147418112", e.Message);
    }

    [Fact]
    public void ARestoredDirectoryWithAnEmptyEntryIsCorruptionNamingTheDirectoryPage()
    {
        (StoreCorruptedException e, uint directory) = RestoreWithFirstDirectoryEntry(0); // page 0 is the meta page, never a bucket
        Assert.Equal(directory, e.Page?.Value);
        Assert.Contains("names page 0 as a Bucket page", e.Message);
    }

    /// <summary>Restores with the u32 at <paramref name="offset"/> of the first group root set to <paramref name="value"/>.</summary>
    private static (StoreCorruptedException Error, uint Root) RestoreWithFirstRootField(int offset, uint value)
    {
        uint root = 0;
        StoreCorruptedException e = RestoreDamaged(images =>
        {
            root = FirstPageOfKind(images, PageKind.GroupRoot);
            BinaryPrimitives.WriteUInt32LittleEndian(images[root].AsSpan(offset), value);
        });
        return (e, root);
    }

    [Fact]
    public void ARestoredRootNamingAPageThatIsNoDirectoryIsCorruptionNamingTheRoot()
    {
        (StoreCorruptedException e, uint root) = RestoreWithFirstRootField(GroupPages.RootDirectoryOffset, MetaPage.Page.Value + 1); // a group-table page
        Assert.Equal(root, e.Page?.Value);
        Assert.Equal(GroupPages.RootDirectoryOffset, e.Offset);
        Assert.Contains("it is a GroupTable page", e.Message);
    }

    [Fact]
    public void ARestoredGroupRootClaimingMoreBucketsThanItsDirectoryHoldsIsCorruptionNamingTheRoot()
    {
        (StoreCorruptedException e, uint root) = RestoreWithFirstRootField(PageHeader.FieldAOffset, 24); // level 24: 16M buckets
        Assert.Equal(root, e.Page?.Value);
        Assert.Equal(PageHeader.FieldAOffset, e.Offset);
        Assert.Contains("level 24", e.Message);
    }
}
