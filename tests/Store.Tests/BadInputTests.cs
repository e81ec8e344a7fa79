using Store.Diagnostics;
using Store.Versioning;

namespace Store.Tests;

/// <summary>Every misuse gets an exception that names the cause, and leaves the store intact.</summary>
public sealed class BadInputTests
{
    [Fact]
    public void EmptyKeysAreRefusedByEveryOperation()
    {
        using var store = StateStore.Open();
        var add = new StateStoreTests.AddToCounter(1);
        Assert.Contains("must not be empty", Assert.Throws<ArgumentException>(() => store.Put([], "v"u8)).Message);
        Assert.Throws<ArgumentException>(() => store.Get([]));
        Assert.Throws<ArgumentException>(() => store.Delete([]));
        Assert.Throws<ArgumentException>(() => store.ReadModifyWrite([], ref add));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void KeysLongerThanTheLimitAreRefusedWithTheirLength()
    {
        using var store = StateStore.Open();
        byte[] key = new byte[StateStore.MaxKeyLength + 1];
        var error = Assert.Throws<ArgumentException>(() => store.Put(key, "v"u8));
        Assert.Contains("1025 bytes", error.Message);
        Assert.Contains("1024", error.Message);
        store.Put(new byte[StateStore.MaxKeyLength], "v"u8); // the limit itself is fine
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void EmptyAndOversizedValuesAreRefusedAndNothingIsWritten()
    {
        using var store = StateStore.Open(new StoreOptions { MaxValueLength = 1 << 20 });
        Assert.Contains("Delete", Assert.Throws<ArgumentException>(() => store.Put("k"u8, [])).Message);
        var error = Assert.Throws<ArgumentException>(() => store.Put("k"u8, new byte[(1 << 20) + 1]));
        Assert.Contains("MaxValueLength", error.Message);
        var tooLong = new FixedLength((1 << 20) + 1);
        Assert.Throws<ArgumentException>(() => store.ReadModifyWrite("k"u8, ref tooLong));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void ADestinationTooSmallForTheValueSaysHowLargeItMustBe()
    {
        using var store = StateStore.Open();
        store.Put("k"u8, new byte[100]);
        byte[] small = new byte[10];
        var error = Assert.Throws<ArgumentException>(() => store.TryGet("k"u8, small, out _));
        Assert.Contains("100 bytes", error.Message);
    }

    [Fact]
    public void ADisposedStoreRefusesEveryOperation()
    {
        var store = StateStore.Open();
        store.Put("k"u8, "v"u8);
        store.Dispose();
        store.Dispose(); // idempotent
        var add = new StateStoreTests.AddToCounter(1);
        Assert.Throws<ObjectDisposedException>(() => store.Put("k"u8, "v"u8));
        Assert.Throws<ObjectDisposedException>(() => store.Get("k"u8));
        Assert.Throws<ObjectDisposedException>(() => store.Delete("k"u8));
        Assert.Throws<ObjectDisposedException>(() => store.ReadModifyWrite("k"u8, ref add));
        Assert.Throws<ObjectDisposedException>(() => store.Freeze());
        Assert.Throws<ObjectDisposedException>(() => store.Count);
    }

    [Fact]
    public void AReleasedFrozenVersionRefusesReadsAndNamesItsVersion()
    {
        using var store = StateStore.Open();
        store.Put("k"u8, "v"u8);
        FrozenVersion frozen = store.Freeze();
        frozen.Release();
        frozen.Release(); // idempotent
        var error = Assert.Throws<ObjectDisposedException>(() => frozen.Get("k"u8));
        Assert.Contains($"version {frozen.Version.Value}", error.Message);
        Assert.Throws<ObjectDisposedException>(() => frozen.CopyPage(new Store.Pages.PageId(0), new byte[4096]));
        Assert.Throws<ObjectDisposedException>(() => frozen.DirtyPagesSince(Epoch.None));
        Assert.Throws<ObjectDisposedException>(() => frozen.GetEntries());
        Assert.Throws<ObjectDisposedException>(() => frozen.Count);
    }

    [Fact]
    public void AFrozenVersionStaysReadableAfterItsStoreIsDisposed()
    {
        var store = StateStore.Open();
        store.Put("k"u8, "v"u8);
        using FrozenVersion frozen = store.Freeze();
        store.Dispose();
        Assert.Equal("v"u8.ToArray(), frozen.Get("k"u8));
    }

    [Fact]
    public void ConfirmingAVersionThatWasNeverFrozenIsRefused()
    {
        using var store = StateStore.Open();
        Assert.Throws<ArgumentOutOfRangeException>(() => store.ConfirmVersion(store.LiveVersion));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.ConfirmVersion(Epoch.None));
    }

    [Theory]
    [InlineData(nameof(StoreOptions.PageSize))]
    [InlineData(nameof(StoreOptions.MaxParallelism))]
    [InlineData(nameof(StoreOptions.MaxFrozenVersions))]
    [InlineData(nameof(StoreOptions.SegmentBytes))]
    public void InvalidOptionsNameTheOption(string option)
    {
        StoreOptions options = option switch
        {
            nameof(StoreOptions.PageSize) => new StoreOptions { PageSize = 3000 },
            nameof(StoreOptions.MaxParallelism) => new StoreOptions { MaxParallelism = 0 },
            nameof(StoreOptions.MaxFrozenVersions) => new StoreOptions { MaxFrozenVersions = 65 },
            _ => new StoreOptions { SegmentBytes = 4096 },
        };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => StateStore.Open(options));
        Assert.Contains(option, error.Message);
    }

#if DEBUG
    [Fact]
    public async Task ASecondThreadWritingDuringAWriteIsDetectedInDebugBuilds()
    {
        using var store = StateStore.Open();
        using var inside = new ManualResetEventSlim();
        using var proceed = new ManualResetEventSlim();
        var blocking = new BlockingUpdater(inside, proceed);
        // Its own thread, not the pool's: this test blocks a pool thread below, and under a busy
        // parallel run a pooled first writer once did not start within the 10 s wait.
        var writer = Task.Factory.StartNew(() => store.ReadModifyWrite("k"u8, ref blocking), TaskCreationOptions.LongRunning);
        Assert.True(inside.Wait(TimeSpan.FromSeconds(10)));
        var error = Assert.Throws<InvalidOperationException>(() => store.Put("other"u8, "v"u8));
        Assert.Contains("one writer thread", error.Message);
        proceed.Set();
        await writer.WaitAsync(TimeSpan.FromSeconds(10));
        store.Put("other"u8, "v"u8); // the guard is released after the first writer finishes
    }

    private struct BlockingUpdater(ManualResetEventSlim inside, ManualResetEventSlim proceed) : IValueUpdater
    {
        public readonly int NewLength(scoped ReadOnlySpan<byte> current, bool exists) => 1;

        public readonly void Update(scoped ReadOnlySpan<byte> current, bool exists, scoped Span<byte> destination)
        {
            inside.Set();
            proceed.Wait(TimeSpan.FromSeconds(10));
            destination[0] = 1;
        }
    }
#endif

    private struct FixedLength(int length) : IValueUpdater
    {
        public readonly int NewLength(scoped ReadOnlySpan<byte> current, bool exists) => length;

        public readonly void Update(scoped ReadOnlySpan<byte> current, bool exists, scoped Span<byte> destination) =>
            destination.Clear();
    }
}
