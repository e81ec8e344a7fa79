using System.Diagnostics;
using Store.Diagnostics;
using Xunit.Abstractions;

namespace Store.Tests.Storage;

public sealed class FileBackedStoreTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new("store-tests");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void AStoreInADirectoryKeepsItsStateInTheMappedFrameFile()
    {
        using var store = StateStore.Open(new StoreOptions { Directory = _temp.Path, SegmentBytes = 1 << 20 });
        for (int i = 0; i < 30_000; i++)
        {
            store.Put(BitConverter.GetBytes(i), new byte[64]);
        }

        var file = new FileInfo(Path.Combine(_temp.Path, "frames.dat"));
        Assert.True(file.Exists);
        Assert.True(file.Length >= store.Statistics.MappedBytes, "the file is reserved up to every mapped segment");
        Assert.Equal(30_000, store.Count);
    }

    [Fact]
    public void ASecondStoreOnTheSameDirectoryIsRefusedUntilTheFirstIsDisposed()
    {
        var first = StateStore.Open(new StoreOptions { Directory = _temp.Path });
        var error = Assert.Throws<StoreDirectoryInUseException>(() => StateStore.Open(new StoreOptions { Directory = _temp.Path }));
        Assert.Contains(_temp.Path, error.Message);
        Assert.Contains("store.lock", error.Message);
        first.Dispose();
        using var second = StateStore.Open(new StoreOptions { Directory = _temp.Path });
        second.Put("k"u8, "v"u8);
    }

    [Fact]
    public void AFullDiskWhenTheMappingGrowsIsAClearErrorThatLosesNothingAndPassesWhenSpaceReturns() => OnSmallTmpfs(mount =>
    {
        using var store = StateStore.Open(new StoreOptions { Directory = mount, SegmentBytes = 1 << 20 });
        (List<int> written, StoreFullException full) = FillUntilFull(store);
        output.WriteLine(full.Message);
        Assert.Contains("frames.dat", full.Message);
        Assert.Equal(28, full.Errno);
        Assert.Equal(written.Count, store.Count);
        foreach (int i in written)
        {
            Assert.NotNull(store.Get(BitConverter.GetBytes(i)));
        }

        // Once space is available again, the same store grows and writes go on.
        Assert.Equal(0, Run("mount", $"-o remount,size=32m {mount}"));
        store.Put(BitConverter.GetBytes(-1), new byte[200]);
        Assert.Equal(written.Count + 1, store.Count);
    });

    [Fact]
    public void AnOverwriteThatNeedsACopyOnAFullDiskFailsCleanlyAndKeepsBothVersionsIntact() => OnSmallTmpfs(mount =>
    {
        using var store = StateStore.Open(new StoreOptions { Directory = mount, SegmentBytes = 1 << 20 });
        (List<int> written, _) = FillUntilFull(store);

        // Every page is now shared with the frozen version, so each overwrite of a page copies it:
        // the free frames run out, and the pool's growth meets the full disk.
        using var frozen = store.Freeze();
        long inUseBefore = store.Statistics.FramesInUse;
        long copiesBefore = store.Statistics.CopyOnWriteCount;
        byte[] ones = Enumerable.Repeat((byte)1, 200).ToArray();
        var overwritten = new List<int>();
        StoreFullException? full = null;
        foreach (int i in written)
        {
            try
            {
                store.Put(BitConverter.GetBytes(i), ones);
                overwritten.Add(i);
            }
            catch (StoreFullException e)
            {
                full = e;
                break;
            }
        }

        Assert.NotNull(full);
        output.WriteLine($"{overwritten.Count} of {written.Count} overwritten before: {full.Message}");
        // A failed growth rents nothing: frames in use grew by exactly the copies made.
        Assert.Equal(inUseBefore + (store.Statistics.CopyOnWriteCount - copiesBefore), store.Statistics.FramesInUse);
        var done = overwritten.ToHashSet();
        foreach (int i in written)
        {
            Assert.Equal(done.Contains(i) ? ones : new byte[200], store.Get(BitConverter.GetBytes(i)));
            Assert.Equal(new byte[200], frozen.Get(BitConverter.GetBytes(i)));
        }
    });

    /// <summary>Runs <paramref name="test"/> on a fresh 6 MiB tmpfs, unmounted afterwards.</summary>
    private void OnSmallTmpfs(Action<string> test)
    {
        string mount = Path.Combine(_temp.Path, "small");
        Directory.CreateDirectory(mount);
        if (!Mount(mount))
        {
            // Without root no file system can be made full on purpose; say so rather than pass silently.
            Assert.Fail("mounting a 6 MiB tmpfs needs root (CI and developer machines run as root)");
        }

        try
        {
            test(mount);
        }
        finally
        {
            Run("umount", mount);
        }
    }

    /// <summary>Puts 200-byte values under keys 0, 1, 2, … until the disk is full; returns the keys written and the error.</summary>
    private static (List<int> Written, StoreFullException Full) FillUntilFull(StateStore store)
    {
        var written = new List<int>();
        for (int i = 0; i < 1_000_000; i++)
        {
            try
            {
                store.Put(BitConverter.GetBytes(i), new byte[200]);
                written.Add(i);
            }
            catch (StoreFullException e)
            {
                return (written, e);
            }
        }

        throw new Xunit.Sdk.XunitException("1,000,000 puts of 200 bytes did not fill a 6 MiB file system");
    }

    private static bool Mount(string path) => Run("mount", $"-t tmpfs -o size=6m tmpfs {path}") == 0;

    private static int Run(string command, string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true })!;
            process.WaitForExit();
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }
}
