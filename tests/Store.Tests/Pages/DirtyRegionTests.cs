using Store.Pages;
using Xunit.Abstractions;

namespace Store.Tests.Pages;

public sealed class DirtyRegionTests(ITestOutputHelper output)
{
    private const int PageSize = 4096;
    private const int GranuleShift = 6;

    [Fact]
    public void UpToFourSeparateWritesStayExactAndAFifthFallsBackToGranules()
    {
        var region = default(DirtyRegion);
        Assert.True(region.IsEmpty);
        region.Mark(100, 8, GranuleShift);
        region.Mark(1000, 8, GranuleShift);
        region.Mark(3000, 24, GranuleShift);
        region.Mark(2000, 4, GranuleShift);
        Assert.True(region.HasExactExtents);
        Assert.Equal(4, region.ExtentCount);
        Assert.Equal([(100, 8), (1000, 8), (2000, 4), (3000, 24)], Extents(region).Order());

        region.Mark(4000, 2, GranuleShift);
        Assert.False(region.HasExactExtents);
        Assert.Equal(0, region.ExtentCount);
        Assert.Equal(DirtyRegion.GranuleBits(100, 8, GranuleShift) | DirtyRegion.GranuleBits(1000, 8, GranuleShift) |
            DirtyRegion.GranuleBits(3000, 24, GranuleShift) | DirtyRegion.GranuleBits(2000, 4, GranuleShift) |
            DirtyRegion.GranuleBits(4000, 2, GranuleShift), region.Granules);

        region.Mark(100, 8, GranuleShift);
        Assert.False(region.HasExactExtents); // overflowed stays overflowed until the version ends
    }

    [Fact]
    public void RewritingBytesInsideAnExtentLeavesTheExtentsAsTheyWere()
    {
        var region = default(DirtyRegion);
        region.Mark(100, 8, GranuleShift);
        region.Mark(1000, 8, GranuleShift);
        for (int i = 0; i < 10; i++)
        {
            region.Mark(1002, 4, GranuleShift);
            region.Mark(100, 8, GranuleShift);
        }

        Assert.Equal([(100, 8), (1000, 8)], Extents(region).Order());
        Assert.Equal(DirtyRegion.GranuleBits(100, 8, GranuleShift) | DirtyRegion.GranuleBits(1000, 8, GranuleShift), region.Granules);
    }

    [Fact]
    public void AWriteBridgingTwoExtentsMergesThemIntoOne()
    {
        var region = default(DirtyRegion);
        region.Mark(100, 8, GranuleShift);
        region.Mark(200, 8, GranuleShift);
        region.Mark(300, 8, GranuleShift);
        region.Mark(400, 8, GranuleShift);
        region.Mark(104, 200, GranuleShift); // reaches the first three, not the fourth
        Assert.Equal([(100, 208), (400, 8)], Extents(region).Order());
    }

    [Fact]
    public void RandomWritesAreCoveredExactlyWhileExactAndByGranulesAlways()
    {
        const int seed = 20261123;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        for (int round = 0; round < 20_000; round++)
        {
            var region = default(DirtyRegion);
            bool[] marked = new bool[PageSize];
            int writes = random.Next(1, 7);
            for (int w = 0; w < writes; w++)
            {
                int length = random.Next(1, random.Next(2) == 0 ? 16 : 600);
                int offset = random.Next(PageSize - length + 1);
                region.Mark(offset, length, GranuleShift);
                Array.Fill(marked, true, offset, length);
            }

            for (int g = 0; g < 64; g++)
            {
                bool any = marked.AsSpan(g << GranuleShift, 1 << GranuleShift).Contains(true);
                Assert.True(any == ((region.Granules >> g & 1) != 0), $"round {round}: granule {g}");
            }

            if (!region.HasExactExtents)
            {
                continue;
            }

            bool[] covered = new bool[PageSize];
            (int Offset, int Length)[] extents = [.. Extents(region).Order()];
            Assert.InRange(extents.Length, 1, 4);
            for (int i = 0; i < extents.Length; i++)
            {
                Assert.True(i == 0 || extents[i].Offset > extents[i - 1].Offset + extents[i - 1].Length + 8, $"round {round}: extents are disjoint and apart");
                Array.Fill(covered, true, extents[i].Offset, extents[i].Length);
            }

            for (int b = 0; b < PageSize; b++)
            {
                Assert.True(!marked[b] || covered[b], $"round {round}: byte {b} was written but no extent covers it");
                Assert.True(!covered[b] || marked.AsSpan(Math.Max(0, b - 8), Math.Min(PageSize, b + 9) - Math.Max(0, b - 8)).Contains(true),
                    $"round {round}: byte {b} is covered but nothing within 8 bytes was written");
            }
        }
    }

    private static List<(int Offset, int Length)> Extents(DirtyRegion region)
    {
        var list = new List<(int, int)>();
        for (int i = 0; i < region.ExtentCount; i++)
        {
            list.Add(region.Extent(i));
        }

        return list;
    }
}
