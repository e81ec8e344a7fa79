using System.IO.Hashing;
using Snapshot.Catalog;
using Snapshot.Reading;
using Snapshot.Tests.TestInfrastructure;
using Store;

namespace Snapshot.Tests.Reading;

/// <summary>
/// The reader hands out the same verified records whether it reads each chunk itself or a
/// read-ahead thread does, including records that straddle two chunks.
/// </summary>
public sealed class DataFileReaderTests
{

    /// <summary>A full checkpoint of several chunks, then a delta of variable-length records.</summary>
    private static async Task<string[]> WriteChain(TempDirectory dir)
    {
        using StateStore store = StateStore.Open();
        using Checkpointer checkpoints = Checkpointer.Open(store, new CheckpointOptions { Directory = dir.Path });
        for (long k = 0; k < 40_000; k++)
        {
            store.Put(Keys.Key(k), Keys.Value(k, 1, 8 + (int)(k % 200)));
        }

        await checkpoints.Barrier(new CheckpointId(1));
        checkpoints.Confirm(new CheckpointId(1));
        for (long k = 0; k < 40_000; k += 3)
        {
            store.Put(Keys.Key(k), Keys.Value(k, 2, 8 + (int)(k % 200)));
        }

        await checkpoints.Barrier(new CheckpointId(2));
        checkpoints.Confirm(new CheckpointId(2));
        var files = new ShardFiles(dir.Path, "store");
        ShardCatalog catalog = CatalogReader.Read(files).Catalog;
        return catalog.NewestConfirmed!.Chain.Select(files.DataPath).ToArray();
    }

    private static List<(long Offset, uint Page, int Length, ulong PayloadHash)> ReadAll(string path, bool readAhead)
    {
        var records = new List<(long, uint, int, ulong)>();
        using DataFileReader reader = DataFileReader.Open(path, readAhead: readAhead);
        while (reader.MoveNext())
        {
            records.Add((reader.CurrentOffset, reader.Current.Page.Value, reader.Current.PayloadLength, XxHash3.HashToUInt64(reader.CurrentPayload)));
        }

        return records;
    }

    [Fact]
    public async Task ReadAheadReturnsTheSameRecordsAsInlineReadingAcrossChunkBoundaries()
    {
        using var dir = new TempDirectory();
        string[] chain = await WriteChain(dir);
        Assert.True(new FileInfo(chain[0]).Length > 3 * ChunkSource.ChunkSize, "the full file spans several chunks");
        foreach (string path in chain)
        {
            var inline = ReadAll(path, readAhead: false);
            var ahead = ReadAll(path, readAhead: true);
            Assert.Equal(inline, ahead);
        }

        // The boundaries were really crossed inside records, not only between them.
        var full = ReadAll(chain[0], readAhead: true);
        Assert.Contains(full, r => r.Offset / ChunkSource.ChunkSize != (r.Offset + 20 + r.Length - 1) / ChunkSource.ChunkSize);
    }

    [Fact]
    public async Task AReadAheadReaderDisposedMidFileLetsTheFileBeReadAgain()
    {
        using var dir = new TempDirectory();
        string[] chain = await WriteChain(dir);
        using (DataFileReader reader = DataFileReader.Open(chain[0], readAhead: true))
        {
            for (int i = 0; i < 10; i++)
            {
                Assert.True(reader.MoveNext());
            }
        }

        // Disposing stopped the read-ahead thread and returned its buffers: a new reader sees every record.
        Assert.Equal(ReadAll(chain[0], readAhead: false).Count, ReadAll(chain[0], readAhead: true).Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AFileCutShortAfterOpeningIsReportedAsEndingInsideARecord(bool readAhead)
    {
        using var dir = new TempDirectory();
        string[] chain = await WriteChain(dir);
        string path = chain[0];
        long length = new FileInfo(path).Length;
        long cut = 3 * ChunkSource.ChunkSize + 1000;
        var e = Assert.Throws<Store.Diagnostics.StoreCorruptedException>(() =>
        {
            using DataFileReader reader = DataFileReader.Open(path, readAhead: readAhead);
            using (var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
            {
                file.SetLength(cut); // after the header and trailer checks, as a concurrent truncation would
            }

            while (reader.MoveNext())
            {
            }
        });
        Assert.Equal(path, e.File);
        Assert.Contains("ended inside a record", e.Message);
        // The offset is where the bytes ran out: the cut, or later when read-ahead got there before the cut did.
        Assert.InRange(e.Offset, cut, length);
    }
}
