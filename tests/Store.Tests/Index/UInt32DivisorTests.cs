using Store.Index;

namespace Store.Tests.Index;

public sealed class UInt32DivisorTests
{
    [Theory]
    [InlineData(2u)]
    [InlineData(3u)]
    [InlineData(1020u)] // directory and group-table entries per 4 KiB page
    [InlineData(16380u)] // the same at 64 KiB
    [InlineData(65537u)]
    [InlineData(uint.MaxValue)]
    public void QuotientAndRemainderEqualTheHardwareOnesForEdgeAndRandomValues(uint divisor)
    {
        var fast = new UInt32Divisor(divisor);
        var random = new Random(20261124);
        var values = new List<uint> { 0, 1, divisor - 1, divisor, divisor + 1, uint.MaxValue, uint.MaxValue - 1, uint.MaxValue / divisor * divisor };
        for (int i = 0; i < 100_000; i++)
        {
            values.Add((uint)random.NextInt64(0, 1L << 32));
        }

        foreach (uint value in values)
        {
            uint quotient = fast.Divide(value, out uint remainder);
            Assert.Equal(value / divisor, quotient);
            Assert.Equal(value % divisor, remainder);
        }
    }

    [Fact]
    public void EverySmallValueDividesExactlyByEverySmallDivisor()
    {
        for (uint divisor = 2; divisor <= 2048; divisor++)
        {
            var fast = new UInt32Divisor(divisor);
            for (uint value = 0; value < 4 * 2048; value++)
            {
                Assert.Equal(value / divisor, fast.Divide(value, out uint remainder));
                Assert.Equal(value % divisor, remainder);
            }
        }
    }

    [Fact]
    public void ADivisorBelowTwoIsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new UInt32Divisor(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UInt32Divisor(0));
    }
}
