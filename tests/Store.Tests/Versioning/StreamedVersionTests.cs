using Store.Pages;
using Store.Versioning;
using Xunit.Abstractions;

namespace Store.Tests.Versioning;

/// <summary>
/// A streamed frozen version (<see cref="FrozenVersion.StreamDirtyPagesSince"/>) gives its one
/// consumer exactly the content at the freeze, while the writer skips the copies of pages the
/// stream has passed or never lists.
/// </summary>
public sealed class StreamedVersionTests(ITestOutputHelper output)
{
    private const int Keys = 40_000;

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void AStreamListsTheFreezeContentWhileTheWriterOverwritesPagesBehindAndAheadOfIt(int seed)
    {
        using Scenario scenario = Scenario.Start(seed, updates: 3_000, output);
        (StateStore store, FrozenVersion frozen, Epoch baseVersion, Dictionary<uint, byte[]> expected) = scenario;

        // Writer and consumer take turns, so pages are overwritten both behind the stream (in
        // place) and ahead of it (copied), at points the seed fixes.
        var listed = new List<uint>();
        byte[] image = new byte[frozen.PageSize];
        long copiesBefore = store.Statistics.CopyOnWriteCount;
        foreach (DirtyPage dirty in frozen.StreamDirtyPagesSince(baseVersion))
        {
            frozen.CopyPage(dirty.Page, image);
            Assert.True(expected[dirty.Page.Value].AsSpan().SequenceEqual(image), $"page {dirty.Page.Value} differs from its content at the freeze");
            listed.Add(dirty.Page.Value);
            scenario.UpdateRandomKeys(scenario.Random.Next(0, 8));
        }

        Assert.Equal(expected.Keys.Order(), listed);
        long copies = store.Statistics.CopyOnWriteCount - copiesBefore;
        output.WriteLine($"{listed.Count} pages streamed, {copies} copies for the writes meanwhile");

        // Everything is consumed now: no write copies anything, and the live store holds every write.
        long copiesAfterStream = store.Statistics.CopyOnWriteCount;
        scenario.UpdateRandomKeys(2_000);
        Assert.Equal(copiesAfterStream, store.Statistics.CopyOnWriteCount);
        scenario.AssertStoreMatchesModel();
    }

    [Fact]
    public void AStreamReadOnAnotherThreadMatchesTheFreezeWhileTheWriterRuns()
    {
        using Scenario scenario = Scenario.Start(seed: 21, updates: 5_000, output);
        (StateStore store, FrozenVersion frozen, Epoch baseVersion, Dictionary<uint, byte[]> expected) = scenario;

        var mismatches = new List<uint>();
        int streamed = 0;
        var consumer = new Thread(() =>
        {
            byte[] image = new byte[frozen.PageSize];
            foreach (DirtyPage dirty in frozen.StreamDirtyPagesSince(baseVersion))
            {
                frozen.CopyPage(dirty.Page, image);
                if (!expected[dirty.Page.Value].AsSpan().SequenceEqual(image))
                {
                    mismatches.Add(dirty.Page.Value);
                }

                Volatile.Write(ref streamed, streamed + 1);
            }
        });
        consumer.Start();
        int writes = 0;
        while (consumer.IsAlive || writes < 10_000)
        {
            scenario.UpdateRandomKeys(1);
            writes++;
        }

        consumer.Join();
        output.WriteLine($"{Volatile.Read(ref streamed)} pages streamed during {writes} writes");
        Assert.Empty(mismatches);
        Assert.Equal(expected.Count, streamed);
        scenario.AssertStoreMatchesModel();
    }

    [Fact]
    public void PagesTheStreamNeverListsAndPagesBehindItAreWrittenInPlaceButPagesAheadAreCopied()
    {
        using StateStore store = Loaded(Keys);
        var table = store.PageTableForTests;
        Epoch baseVersion = FreezeAndConfirm(store);
        UpdateRandomKeys(store, new Random(5), 200);
        using FrozenVersion frozen = store.Freeze();
        uint[] dirty = [.. PageImages(frozen, baseVersion).Keys.Order()];
        uint clean = Enumerable.Range(0, (int)frozen.PageCount).Select(p => (uint)p).First(p => !dirty.Contains(p));
        Assert.True(dirty.Length >= 3, "the updates dirtied a few pages");

        using IEnumerator<DirtyPage> stream = frozen.StreamDirtyPagesSince(baseVersion).GetEnumerator();
        Assert.True(stream.MoveNext());
        Assert.True(stream.MoveNext()); // the consumer is done with dirty[0]
        Assert.Equal(dirty[1], stream.Current.Page.Value);

        Assert.Equal(0, CopiesOfRewrite(store, table, new PageId(clean)));    // never listed
        Assert.Equal(0, CopiesOfRewrite(store, table, new PageId(dirty[0]))); // behind the stream
        Assert.Equal(1, CopiesOfRewrite(store, table, new PageId(dirty[1]))); // the page being read
        Assert.Equal(1, CopiesOfRewrite(store, table, new PageId(dirty[2]))); // ahead of it
    }

    [Fact]
    public void AnotherFrozenVersionKeepsEveryPageWhileOneStreams()
    {
        using StateStore store = Loaded(Keys);
        Epoch baseVersion = FreezeAndConfirm(store);
        UpdateRandomKeys(store, new Random(8), 500);
        using FrozenVersion streamed = store.Freeze();
        store.Put(BitConverter.GetBytes(1), BitConverter.GetBytes(-1L));
        using FrozenVersion whole = store.Freeze();
        long[] expected = [.. Enumerable.Range(0, Keys).Select(k => BitConverter.ToInt64(whole.Get(BitConverter.GetBytes(k))))];

        foreach (DirtyPage _ in streamed.StreamDirtyPagesSince(baseVersion))
        {
        }

        UpdateRandomKeys(store, new Random(9), 5_000);
        for (int k = 0; k < Keys; k++)
        {
            Assert.Equal(expected[k], BitConverter.ToInt64(whole.Get(BitConverter.GetBytes(k))));
        }
    }

    [Fact]
    public void AStreamedVersionRefusesEveryReadButItsStream()
    {
        using StateStore store = Loaded(2_000);
        Epoch baseVersion = FreezeAndConfirm(store);
        store.Put(BitConverter.GetBytes(3), BitConverter.GetBytes(33L)); // a real change (an equal value writes nothing)
        using FrozenVersion frozen = store.Freeze();
        uint[] listed = [.. PageImages(frozen, baseVersion).Keys];
        Assert.NotEmpty(listed);
        uint unlisted = Enumerable.Range(0, (int)frozen.PageCount).Select(p => (uint)p).Last(p => !listed.Contains(p));
        using IEnumerator<DirtyPage> stream = frozen.StreamDirtyPagesSince(baseVersion).GetEnumerator();
        Assert.True(frozen.IsStreamed);

        // Ahead of the watermark but never listed: the writer may change it in place, so it is refused too.
        Assert.Contains("not listed", Assert.Throws<InvalidOperationException>(() => frozen.CopyPage(new PageId(unlisted), new byte[frozen.PageSize])).Message);
        Assert.True(stream.MoveNext());
        frozen.CopyPage(stream.Current.Page, new byte[frozen.PageSize]); // the page just listed reads fine

        byte[] value = new byte[8];
        Assert.Contains("streamed", Assert.Throws<InvalidOperationException>(() => frozen.TryGet(BitConverter.GetBytes(3), value, out _)).Message);
        Assert.Throws<InvalidOperationException>(() => frozen.Get(BitConverter.GetBytes(3)));
        Assert.Throws<InvalidOperationException>(() => frozen.Count);
        Assert.Throws<InvalidOperationException>(() => frozen.GetEntries());
        Assert.Throws<InvalidOperationException>(() => frozen.DirtyPagesSince(baseVersion));
        Assert.Throws<InvalidOperationException>(() => frozen.StreamDirtyPagesSince(baseVersion));

        while (stream.MoveNext())
        {
        }

        var error = Assert.Throws<InvalidOperationException>(() => frozen.CopyPage(new PageId(0), new byte[frozen.PageSize]));
        Assert.Contains("page 0", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    private static StateStore Loaded(int keys)
    {
        var store = StateStore.Open();
        for (int k = 0; k < keys; k++)
        {
            store.Put(BitConverter.GetBytes(k), BitConverter.GetBytes((long)k));
        }

        return store;
    }

    /// <summary>A confirmed checkpoint's version: the base a stream lists changes since.</summary>
    private static Epoch FreezeAndConfirm(StateStore store)
    {
        using FrozenVersion frozen = store.Freeze();
        store.ConfirmVersion(frozen.Version);
        return frozen.Version;
    }

    private static void UpdateRandomKeys(StateStore store, Random random, int count, long[]? model = null)
    {
        for (int i = 0; i < count; i++)
        {
            int key = random.Next(Keys);
            long value = random.NextInt64();
            store.Put(BitConverter.GetBytes(key), BitConverter.GetBytes(value));
            model?[key] = value;
        }
    }

    /// <summary>
    /// A loaded store with a confirmed base, updates after it, a frozen version of them, and that
    /// version's dirty pages read whole before any stream starts; a model of the live values.
    /// </summary>
    private sealed class Scenario : IDisposable
    {
        private readonly long[] _model = [.. Enumerable.Range(0, Keys).Select(k => (long)k)];

        private Scenario(int seed)
        {
            Random = new Random(seed);
            Store = Loaded(Keys);
            Base = FreezeAndConfirm(Store);
        }

        public Random Random { get; }

        public StateStore Store { get; }

        public Epoch Base { get; }

        public FrozenVersion Frozen { get; private set; } = null!;

        public Dictionary<uint, byte[]> Expected { get; private set; } = null!;

        public static Scenario Start(int seed, int updates, ITestOutputHelper output)
        {
            output.WriteLine($"seed {seed}");
            var scenario = new Scenario(seed);
            scenario.UpdateRandomKeys(updates);
            scenario.Frozen = scenario.Store.Freeze();
            scenario.Expected = PageImages(scenario.Frozen, scenario.Base);
            return scenario;
        }

        public void Deconstruct(out StateStore store, out FrozenVersion frozen, out Epoch baseVersion, out Dictionary<uint, byte[]> expected) =>
            (store, frozen, baseVersion, expected) = (Store, Frozen, Base, Expected);

        public void UpdateRandomKeys(int count) => StreamedVersionTests.UpdateRandomKeys(Store, Random, count, _model);

        public void AssertStoreMatchesModel()
        {
            for (int k = 0; k < Keys; k++)
            {
                Assert.Equal(_model[k], BitConverter.ToInt64(Store.Get(BitConverter.GetBytes(k))));
            }
        }

        public void Dispose()
        {
            Frozen.Dispose();
            Store.Dispose();
        }
    }

    /// <summary>Every page the version lists since the base, read whole before any stream starts.</summary>
    private static Dictionary<uint, byte[]> PageImages(FrozenVersion frozen, Epoch baseVersion)
    {
        var images = new Dictionary<uint, byte[]>();
        foreach (DirtyPage dirty in frozen.DirtyPagesSince(baseVersion))
        {
            byte[] image = new byte[frozen.PageSize];
            frozen.CopyPage(dirty.Page, image);
            images.Add(dirty.Page.Value, image);
        }

        return images;
    }

    /// <summary>Rewrites a page's first byte with its own value (content unchanged) and returns the copies it caused.</summary>
    private static long CopiesOfRewrite(StateStore store, Store.PageTable.PageTable table, PageId page)
    {
        long before = store.Statistics.CopyOnWriteCount;
        byte current = table.Read(page)[0];
        table.Write(page, 0, 1)[0] = current;
        return store.Statistics.CopyOnWriteCount - before;
    }
}
