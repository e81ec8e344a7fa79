using Xunit.Abstractions;

namespace Store.Tests.Index;

public sealed class ChurnTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Stress")]
    public void DeletedSpaceIsReusedSoAStableKeyCountDoesNotGrowTheStore()
    {
        const int live = 20_000;
        var random = new Random(5);
        using var store = StateStore.Open(new StoreOptions { MaxParallelism = 8 });
        var keys = new List<int>();
        int next = 0;
        for (; next < live; next++)
        {
            store.Put(BitConverter.GetBytes(next), new byte[random.Next(1, 120)]);
            keys.Add(next);
        }

        uint pagesAfterWarmup = 0;
        for (int round = 0; round < 80; round++)
        {
            // Replace a third of the keys with new ones of random sizes, some of them blobs.
            for (int i = 0; i < live / 3; i++)
            {
                int victim = random.Next(keys.Count);
                Assert.True(store.Delete(BitConverter.GetBytes(keys[victim])));
                keys[victim] = next;
                int size = random.Next(20) == 0 ? random.Next(600, 9000) : random.Next(1, 120);
                store.Put(BitConverter.GetBytes(next++), new byte[size]);
            }

            if (round % 10 == 0)
            {
                output.WriteLine($"round {round}: {store.Statistics.Pages} pages");
            }

            // By round 20 the mix of sizes (and of blobs) has replaced the initial load's.
            if (round == 20)
            {
                pagesAfterWarmup = store.Statistics.Pages;
            }
        }

        uint pages = store.Statistics.Pages;
        output.WriteLine($"pages after warm-up {pagesAfterWarmup}, after 80 rounds {pages}; {store.Statistics}");
        Assert.Equal(live, store.Count);
        Assert.True(pages <= pagesAfterWarmup * 1.08, $"pages stay near their warm-up count ({pagesAfterWarmup} → {pages})");
        foreach (int key in keys)
        {
            Assert.NotNull(store.Get(BitConverter.GetBytes(key)));
        }
    }
}
