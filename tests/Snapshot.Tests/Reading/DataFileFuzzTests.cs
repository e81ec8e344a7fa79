using Snapshot.Catalog;
using Snapshot.Format;
using Snapshot.Reading;
using Snapshot.Tests.TestInfrastructure;
using Store;
using Store.Diagnostics;
using Xunit.Abstractions;

namespace Snapshot.Tests.Reading;

/// <summary>
/// Every byte of a data file is under some checksum (header, record or batch, trailer), so no
/// single flipped bit anywhere in a delta may be read back as valid.
/// </summary>
public sealed class DataFileFuzzTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Fuzz")]
    public async Task EveryBitFlipInADeltaWithBatchesAndGranuleRecordsIsDetected()
    {
        using var dir = new TempDirectory();
        string path = await WriteMixedDelta(dir.Path);
        byte[] original = File.ReadAllBytes(path);
        (int batched, _, DataFileTrailer trailer) = DataFiles.BatchedPages(path);
        long standalone = trailer.Pages - batched;
        output.WriteLine($"delta of {original.Length} bytes: {batched} batched pages, {standalone} records of their own");
        Assert.True(batched > 0 && standalone > 0, "the delta mixes page batches and records of their own");

        // One bit of every byte, chosen by a fixed seed: all eight bits of every byte of a 22 KB delta took a minute.
        const int seed = 20261124;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        string damaged = Path.Combine(dir.Path, "damaged.ckd");
        for (int offset = 0; offset < original.Length; offset++)
        {
            int bit = random.Next(8);
            byte[] bytes = (byte[])original.Clone();
            bytes[offset] ^= (byte)(1 << bit);
            File.WriteAllBytes(damaged, bytes);
            StoreCorruptedException? e = ReadToEnd(damaged, original.Length);
            Assert.True(e is not null, $"a flip of bit {bit} at offset {offset} was read back as valid");
            Assert.Equal(damaged, e.File);
            Assert.InRange(e.Offset, 0, original.Length);
        }

        output.WriteLine($"{original.Length} flips, every one refused");
    }

    /// <summary>Reads every record as a restore does; the corruption it reports, or null when the file reads clean.</summary>
    private static StoreCorruptedException? ReadToEnd(string path, long committedLength)
    {
        try
        {
            using DataFileReader reader = DataFileReader.Open(path, committedLength);
            while (reader.MoveNext())
            {
            }

            return null;
        }
        catch (StoreCorruptedException e)
        {
            return e;
        }
    }

    /// <summary>
    /// 1,500 keys, about a dozen to a bucket page (128 key groups); after the full checkpoint every
    /// 7th value is replaced. Pages with up to four changed values become batch entries, the few
    /// with more become granule records.
    /// </summary>
    private static async Task<string> WriteMixedDelta(string directory)
    {
        using StateStore store = StateStore.Open();
        using Checkpointer checkpoints = Checkpointer.Open(store, new CheckpointOptions { Directory = directory });
        for (long k = 0; k < 1_500; k++)
        {
            store.Put(Keys.Key(k), Keys.Value(k, 1, 24));
        }

        await checkpoints.Barrier(new CheckpointId(1));
        checkpoints.Confirm(new CheckpointId(1));
        for (long k = 0; k < 1_500; k += 7)
        {
            store.Put(Keys.Key(k), Keys.Value(k, 2, 24));
        }

        await checkpoints.Barrier(new CheckpointId(2));
        var files = new ShardFiles(directory, "store");
        return files.DataPath(CatalogReader.Read(files).Catalog.Checkpoint(new CheckpointId(2))!.OwnFile);
    }
}
