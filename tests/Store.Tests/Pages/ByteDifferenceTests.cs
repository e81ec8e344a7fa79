using Store.Pages;
using Xunit.Abstractions;

namespace Store.Tests.Pages;

public sealed class ByteDifferenceTests(ITestOutputHelper output)
{
    [Fact]
    public void FindsTheSameFirstAndLastDifferingByteAsAByteByByteScanForRandomSpans()
    {
        const int Seed = 24112026;
        output.WriteLine($"seed {Seed}");
        var random = new Random(Seed);
        for (int trial = 0; trial < 50_000; trial++)
        {
            int length = random.Next(0, 140);
            byte[] current = new byte[length];
            random.NextBytes(current);
            byte[] next = (byte[])current.Clone();
            int changes = length == 0 ? 0 : random.Next(0, 4);
            for (int c = 0; c < changes; c++)
            {
                next[random.Next(length)] ^= (byte)random.Next(1, 256);
            }

            bool expected = Naive(current, next, out int expectedFirst, out int expectedLast);
            bool found = ByteDifference.Find(current, next, out int first, out int last);
            Assert.Equal(expected, found);
            if (expected)
            {
                Assert.Equal((expectedFirst, expectedLast), (first, last));
            }
        }
    }

    [Theory]
    [InlineData(8, 0)]
    [InlineData(8, 7)]
    [InlineData(9, 8)]
    [InlineData(15, 7)]
    [InlineData(16, 8)]
    [InlineData(512, 0)]
    [InlineData(512, 511)]
    public void ASingleChangedByteIsBothTheFirstAndTheLast(int length, int changed)
    {
        byte[] current = new byte[length];
        byte[] next = new byte[length];
        next[changed] = 1;
        Assert.True(ByteDifference.Find(current, next, out int first, out int last));
        Assert.Equal((changed, changed), (first, last));
    }

    [Fact]
    public void EqualSpansHaveNoDifference()
    {
        byte[] bytes = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        Assert.False(ByteDifference.Find(bytes, bytes.ToArray(), out _, out _));
        Assert.False(ByteDifference.Find([], [], out _, out _));
    }

    private static bool Naive(byte[] a, byte[] b, out int first, out int last)
    {
        first = -1;
        last = -1;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] != b[i])
            {
                if (first < 0)
                {
                    first = i;
                }

                last = i;
            }
        }

        return first >= 0;
    }
}
