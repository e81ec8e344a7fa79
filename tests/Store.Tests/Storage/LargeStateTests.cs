using Store.Versioning;
using Xunit.Abstractions;

namespace Store.Tests.Storage;

public sealed class LargeStateTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new("store-large");

    public void Dispose() => _temp.Dispose();

    [Fact]
    [Trait("Category", "Slow")]
    public void MoreThanTwoGibibytesOfStateStayExactAcrossAFreeze()
    {
        const int keys = 600_000;
        const int valueLength = 3_900; // one blob page per value: ≥ 2.3 GiB of pages in all
        using var store = StateStore.Open(new StoreOptions { Directory = _temp.Path, MaxFrozenBytes = 4L << 30 });
        byte[] value = new byte[valueLength];
        for (int i = 0; i < keys; i++)
        {
            Fill(value, i, 0);
            store.Put(BitConverter.GetBytes(i), value);
        }

        long mapped = store.Statistics.MappedBytes;
        output.WriteLine($"{store.Statistics}");
        Assert.True(mapped >= 2L << 30, $"the state spans at least 2 GiB of frames ({mapped} bytes)");

        using FrozenVersion frozen = store.Freeze();
        for (int i = 0; i < keys; i += 3)
        {
            Fill(value, i, 1);
            store.Put(BitConverter.GetBytes(i), value);
        }

        byte[] expected = new byte[valueLength];
        byte[] actual = new byte[valueLength];
        for (int i = 0; i < keys; i++)
        {
            Fill(expected, i, 0);
            Assert.True(frozen.TryGet(BitConverter.GetBytes(i), actual, out int length));
            Assert.True(length == valueLength && expected.AsSpan().SequenceEqual(actual), $"frozen key {i}");

            Fill(expected, i, i % 3 == 0 ? 1 : 0);
            Assert.True(store.TryGet(BitConverter.GetBytes(i), actual, out _));
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"live key {i}");
        }
    }

    private static void Fill(byte[] value, int key, int generation)
    {
        uint x = (uint)key * 2654435761u + (uint)generation;
        for (int j = 0; j < value.Length; j += 4)
        {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            BitConverter.TryWriteBytes(value.AsSpan(j), x);
        }
    }
}
