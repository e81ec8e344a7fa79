using Store.Storage;
using Store.Versioning;

namespace Store.Tests.Storage;

/// <summary>
/// Measures the process's address space, so it runs alone: every store opened by a test running
/// beside it would reserve 1 TiB of its own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AddressSpaceCollection
{
    public const string Name = "address space";
}

[Collection(AddressSpaceCollection.Name)]
public sealed class FrameMemoryAddressSpaceTests
{
    private const int PageSize = 4096;
    private const long SegmentBytes = 16 << 20; // 65,536 of them make the full 1 TiB reservation

    [Fact]
    public void DisposingTheMemoryGivesBackItsWholeAddressSpaceReservation() =>
        AssertEachRoundUnmapsItsReservation("each disposed memory unmapped its 1 TiB reservation", () =>
        {
            using var memory = new FrameMemory(null, PageSize, SegmentBytes);
            Assert.Equal(FrameMemory.MaxReservedBytes, memory.MaxSegmentCount * SegmentBytes);
            memory.AddSegment();
        });

    [Fact]
    public void DisposingAStoreAfterAWriteGivesBackItsAddressSpaceThoughNoBarrierUsedTheNextFrozenShell() =>
        // A write prepares the next barrier's frozen-version shell, which holds a reference on the
        // frame memory; a store disposed before any barrier took that shell must drop it too.
        AssertEachRoundUnmapsItsReservation("each disposed store unmapped its 1 TiB reservation", () =>
        {
            using StateStore store = StateStore.Open(new StoreOptions { SegmentBytes = SegmentBytes });
            store.Put("key"u8, "value"u8);
        });

    [Fact]
    public void AFrozenVersionKeepsTheFramesMappedAfterItsStoreIsDisposedAndReleasesThemLast() =>
        AssertEachRoundUnmapsItsReservation("each store's memory was unmapped once its frozen version went", () =>
        {
            StateStore store = StateStore.Open(new StoreOptions { SegmentBytes = SegmentBytes });
            store.Put("key"u8, "value"u8);
            FrozenVersion frozen = store.Freeze();
            store.Put("key"u8, "later"u8); // prepares the next shell, which the disposal must drop
            store.Dispose();
            Assert.Equal("value"u8.ToArray(), frozen.Get("key"u8));
            frozen.Release();
        });

    [Fact]
    public void ReleasesRacingTheStoresDisposalLeaveNoShellHoldingTheMemory() =>
        // A frozen version's last release makes the next barrier's shell on its own thread; one
        // that races Dispose must not leave that shell, and its memory reference, behind.
        AssertEachRoundUnmapsItsReservation("each store's memory was unmapped after its versions and the store went", () =>
        {
            StateStore store = StateStore.Open(new StoreOptions { SegmentBytes = SegmentBytes, MaxFrozenVersions = 4 });
            store.Put("key"u8, "value"u8);
            FrozenVersion[] versions = [store.Freeze(), store.Freeze(), store.Freeze()];
            using var start = new Barrier(versions.Length + 1);
            Thread[] releasers = versions.Select(v => new Thread(() =>
            {
                start.SignalAndWait();
                v.Release();
            })).ToArray();
            foreach (Thread releaser in releasers)
            {
                releaser.Start();
            }

            start.SignalAndWait();
            store.Dispose();
            foreach (Thread releaser in releasers)
            {
                releaser.Join();
            }
        });

    /// <summary>
    /// Runs <paramref name="round"/> eight times. Eight reservations left behind would add 8 TiB to
    /// the address space; what remains after the rounds is other allocations' noise.
    /// </summary>
    private static void AssertEachRoundUnmapsItsReservation(string expectation, Action round)
    {
        long before = MappedAddressSpace();
        for (int i = 0; i < 8; i++)
        {
            round();
        }

        long grown = MappedAddressSpace() - before;
        Assert.True(grown < FrameMemory.MaxReservedBytes, $"{expectation}; the address space grew by {grown} bytes");
    }

    /// <summary>The process's mapped address space (VmSize), in bytes.</summary>
    private static long MappedAddressSpace()
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmSize:", StringComparison.Ordinal));
        return long.Parse(line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
