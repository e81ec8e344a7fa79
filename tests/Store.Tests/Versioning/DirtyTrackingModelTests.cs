using Store.Pages;
using Store.Versioning;
using Xunit.Abstractions;

namespace Store.Tests.Versioning;

/// <summary>
/// The contract a checkpoint relies on: the pages of the last confirmed version, patched with only
/// the dirty bytes a later frozen version lists, equal that frozen version page for page. Checked
/// with random workloads, aborted checkpoints and two checkpoints in flight.
/// </summary>
public sealed class DirtyTrackingModelTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(7, 4096, false)]
    [InlineData(8, 4096, true)]
    [InlineData(9, 65536, true)]
    [Trait("Category", "Stress")]
    public void ConfirmedPagesPatchedWithTheListedDirtyBytesEqualEachFrozenVersion(int seed, int pageSize, bool twoInFlight)
    {
        output.WriteLine($"seed {seed}, page size {pageSize}, two in flight: {twoInFlight}");
        var random = new Random(seed);
        using var store = StateStore.Open(new StoreOptions { PageSize = pageSize, MaxParallelism = 8, MaxFrozenVersions = 3 });
        var confirmedPages = new Dictionary<uint, byte[]>();
        Epoch confirmed = Epoch.None;
        var inFlight = new Queue<FrozenVersion>();
        int aborted = 0;

        for (int round = 0; round < 120; round++)
        {
            int operations = random.Next(1, 3000);
            for (int i = 0; i < operations; i++)
            {
                byte[] key = BitConverter.GetBytes(random.Next(4000));
                switch (random.Next(10))
                {
                    case < 6:
                        byte[] value = new byte[random.Next(10) == 0 ? random.Next(1, 5000) : random.Next(1, 64)];
                        random.NextBytes(value);
                        store.Put(key, value);
                        break;
                    case < 8:
                        var add = new StateStoreTests.AddToCounter(1);
                        store.ReadModifyWrite(key, ref add);
                        break;
                    default:
                        store.Delete(key);
                        break;
                }
            }

            inFlight.Enqueue(store.Freeze());
            if (twoInFlight && inFlight.Count < 2)
            {
                continue;
            }

            using FrozenVersion version = inFlight.Dequeue();
            Dictionary<uint, byte[]> patched = Patch(version, confirmedPages, confirmed);
            AssertEqualsVersion(version, patched);
            if (random.Next(10) < 7)
            {
                store.ConfirmVersion(version.Version);
                confirmedPages = patched;
                confirmed = version.Version;
            }
            else
            {
                aborted++;
            }
        }

        output.WriteLine($"{aborted} aborted checkpoints; {store.Statistics}");
        Assert.True(aborted > 10, "the run exercised aborted checkpoints");
        while (inFlight.TryDequeue(out FrozenVersion? left))
        {
            left.Release();
        }
    }

    [Fact]
    public void UpdatingOneSmallValueListsOneExactExtentNoLargerThanTheValue()
    {
        using var store = StateStore.Open();
        for (int i = 0; i < 10_000; i++)
        {
            store.Put(BitConverter.GetBytes(i), BitConverter.GetBytes((long)i));
        }

        using (FrozenVersion first = store.Freeze())
        {
            store.ConfirmVersion(first.Version);
        }

        store.Put(BitConverter.GetBytes(1234), BitConverter.GetBytes(-1L));
        using FrozenVersion second = store.Freeze();
        DirtyPage[] dirty = ToArray(second.DirtyPagesSince(second.ConfirmedAtFreeze));
        DirtyPage page = Assert.Single(dirty);
        Assert.True(page.Region.HasExactExtents, "a single in-place update keeps its exact extent");
        Assert.Equal(1, page.Region.ExtentCount);
        Assert.InRange(page.Region.Extent(0).Length, 1, 8);
    }

    [Fact]
    public void AnAbortedCheckpointsBytesAreListedAgainByTheNextOne()
    {
        using var store = StateStore.Open();
        store.Put("a"u8, BitConverter.GetBytes(1L));
        using (FrozenVersion baseVersion = store.Freeze())
        {
            store.ConfirmVersion(baseVersion.Version);
        }

        store.Put("a"u8, BitConverter.GetBytes(2L)); // written in the aborted version...
        store.Freeze().Release();                   // ...whose checkpoint is dropped
        using FrozenVersion next = store.Freeze();  // nothing written in this one
        DirtyPage[] dirty = ToArray(next.DirtyPagesSince(next.ConfirmedAtFreeze));
        Assert.NotEmpty(dirty);
        Assert.Contains(dirty, d => !d.Region.IsEmpty);
    }

    [Fact]
    public void AListingAgainstABaseOlderThanTheConfirmedVersionIsRefused()
    {
        using var store = StateStore.Open();
        store.Put("a"u8, "1"u8);
        using (FrozenVersion v1 = store.Freeze())
        {
            store.ConfirmVersion(v1.Version);
        }

        store.Put("a"u8, "2"u8);
        using (FrozenVersion v2 = store.Freeze())
        {
            store.ConfirmVersion(v2.Version);
        }

        using FrozenVersion v3 = store.Freeze();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => v3.DirtyPagesSince(new Epoch(1)));
        Assert.Contains("confirmed", error.Message);
        Assert.NotEmpty(ToArray(v3.DirtyPagesSince(Epoch.None)));
    }

    private static DirtyPage[] ToArray(IEnumerable<DirtyPage> pages) => [.. pages];

    /// <summary>What a restore does: start from the confirmed pages, overwrite only the listed bytes.</summary>
    private static Dictionary<uint, byte[]> Patch(FrozenVersion version, Dictionary<uint, byte[]> confirmedPages, Epoch confirmed)
    {
        var patched = confirmedPages.ToDictionary(p => p.Key, p => (byte[])p.Value.Clone());
        byte[] current = new byte[version.PageSize];
        uint previous = 0;
        bool first = true;
        foreach (DirtyPage dirty in version.DirtyPagesSince(confirmed))
        {
            Assert.True(first || dirty.Page.Value > previous, "pages are listed in increasing order");
            first = false;
            previous = dirty.Page.Value;
            version.CopyPage(dirty.Page, current);
            if (!patched.TryGetValue(dirty.Page.Value, out byte[]? image))
            {
                image = new byte[version.PageSize];
                patched[dirty.Page.Value] = image;
            }

            DirtyRegion region = dirty.Region;
            if (region.HasExactExtents)
            {
                for (int i = 0; i < region.ExtentCount; i++)
                {
                    (int offset, int length) = region.Extent(i);
                    current.AsSpan(offset, length).CopyTo(image.AsSpan(offset));
                }
            }
            else
            {
                int granule = version.GranuleSize;
                for (int g = 0; g < 64; g++)
                {
                    if ((region.Granules & (1UL << g)) != 0)
                    {
                        current.AsSpan(g * granule, granule).CopyTo(image.AsSpan(g * granule));
                    }
                }
            }
        }

        return patched;
    }

    private static void AssertEqualsVersion(FrozenVersion version, Dictionary<uint, byte[]> patched)
    {
        byte[] actual = new byte[version.PageSize];
        byte[] zero = new byte[version.PageSize];
        for (uint page = 0; page < version.PageCount; page++)
        {
            version.CopyPage(new PageId(page), actual);
            byte[] expected = patched.GetValueOrDefault(page, zero);
            if (!expected.AsSpan().SequenceEqual(actual))
            {
                int at = expected.AsSpan().CommonPrefixLength(actual);
                Assert.Fail($"{version}: page {page} differs from the patched confirmed page at byte {at} " +
                    $"(kind {actual[0]}, expected 0x{expected[at]:X2}, actual 0x{actual[at]:X2})");
            }
        }
    }
}
