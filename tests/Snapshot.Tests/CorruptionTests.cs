using System.Buffers.Binary;
using Snapshot.Catalog;
using Snapshot.Format;
using Snapshot.Reading;
using Snapshot.Tests.TestInfrastructure;
using Store;
using Store.Diagnostics;

namespace Snapshot.Tests;

/// <summary>Damaged checkpoints are refused with the file, offset and page named, never restored silently.</summary>
public sealed class CorruptionTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ShardFiles _files;
    private readonly StoreOptions _storeOptions = new();

    public CorruptionTests()
    {
        _files = new ShardFiles(_dir.Path, "store");
        // Checkpoint 1 full, checkpoint 2 incremental on it; both confirmed and retained.
        using StateStore store = StateStore.Open(_storeOptions);
        using Checkpointer checkpoints = Checkpointer.Open(store, new CheckpointOptions { Directory = _dir.Path });
        for (long k = 0; k < 3000; k++)
        {
            store.Put(Keys.Key(k), Keys.Value(k, 1, 40));
        }

        checkpoints.Barrier(new CheckpointId(1)).GetAwaiter().GetResult();
        checkpoints.Confirm(new CheckpointId(1));
        for (long k = 0; k < 3000; k += 7)
        {
            store.Put(Keys.Key(k), Keys.Value(k, 2, 40));
        }

        checkpoints.Barrier(new CheckpointId(2)).GetAwaiter().GetResult();
        checkpoints.Confirm(new CheckpointId(2));
    }

    public void Dispose() => _dir.Dispose();

    private string DataFileOf(long checkpoint)
    {
        ShardCatalog catalog = CatalogReader.Read(_files).Catalog;
        return _files.DataPath(catalog.Checkpoint(new CheckpointId(checkpoint))!.OwnFile);
    }

    /// <remarks>
    /// Checkpoint 2's delta is streamed record by record; checkpoint 1's full file is read straight
    /// into the store's pages (FullFileRestore). Both name the same things.
    /// </remarks>
    [Theory]
    [InlineData(2, 3, 1)]
    [InlineData(1, 5, 100)]
    public void ABitFlipInAPageRecordNamesTheFileTheRecordOffsetAndThePage(long checkpoint, int record, int payloadByte)
    {
        string path = DataFileOf(checkpoint);
        (long offset, uint page) = Corrupt.NthRecord(path, record);
        Corrupt.FlipBit(path, offset + PageRecordHeader.Size + payloadByte);

        var e = Assert.Throws<StoreCorruptedException>(() => CheckpointRestorer.Restore(_files, _storeOptions, new CheckpointId(checkpoint)).Dispose());
        Assert.Equal(path, e.File);
        Assert.Equal(offset, e.Offset);
        Assert.Equal(page, e.Page?.Value);
        Assert.Contains("checksum", e.Message);
    }

    [Fact]
    public void ABitFlipInAFullCheckpointFailsTheRestoreOfEveryDeltaBuiltOnIt()
    {
        string path = DataFileOf(1);
        (long offset, uint page) = Corrupt.NthRecord(path, 10);
        Corrupt.FlipBit(path, offset + 2000);

        var e = Assert.Throws<StoreCorruptedException>(() => CheckpointRestorer.Restore(_files, _storeOptions, new CheckpointId(2)).Dispose());
        Assert.Equal((path, offset, page), (e.File, e.Offset, e.Page?.Value));
    }

    [Fact]
    public void AFullCheckpointRecordThatNamesAnotherPageIsRefusedEvenWithAValidChecksum()
    {
        // Record 5 claims page 6, with a checksum recomputed to match: only the fixed full-file
        // layout (record i is page i) catches it.
        string path = DataFileOf(1);
        (long offset, uint page) = Corrupt.NthRecord(path, 5);
        byte[] bytes = File.ReadAllBytes(path);
        Span<byte> record = bytes.AsSpan((int)offset, PageRecordHeader.Size + _storeOptions.PageSize);
        BinaryPrimitives.WriteUInt32LittleEndian(record[PageRecordHeader.PageIdOffset..], page + 1);
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)System.IO.Hashing.XxHash3.HashToUInt64(record[PageRecordHeader.PageIdOffset..]));
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<StoreCorruptedException>(() => CheckpointRestorer.Restore(_files, _storeOptions, new CheckpointId(1)).Dispose());
        Assert.Equal(path, e.File);
        Assert.Equal(offset + PageRecordHeader.PageIdOffset, e.Offset);
        Assert.Equal(page + 1, e.Page?.Value);
        Assert.Contains($"must be the full image of page {page}", e.Message);
    }

    /// <remarks>
    /// A full file of several hundred pages is read in 64-page batches, several in flight at once.
    /// However the reads and checks are spread over threads, the restore reports the record that
    /// comes first in the file, and reports it the same way every time.
    /// </remarks>
    [Fact]
    public async Task OfTwoDamagedRecordsInDifferentBatchesOfAFullFileTheFirstInTheFileIsReported()
    {
        using var dir = new TempDirectory();
        var files = new ShardFiles(dir.Path, "store");
        using (StateStore store = StateStore.Open(_storeOptions))
        using (Checkpointer checkpoints = Checkpointer.Open(store, new CheckpointOptions { Directory = dir.Path }))
        {
            for (long k = 0; k < 20_000; k++)
            {
                store.Put(Keys.Key(k), Keys.Value(k, 1, 100));
            }

            await checkpoints.Barrier(new CheckpointId(1));
            checkpoints.Confirm(new CheckpointId(1));
        }

        string path = files.DataPath(CatalogReader.Read(files).Catalog.Checkpoint(new CheckpointId(1))!.OwnFile);
        (long first, uint firstPage) = Corrupt.NthRecord(path, 70);
        (long later, _) = Corrupt.NthRecord(path, 330);
        Corrupt.FlipBit(path, later + PageRecordHeader.Size + 10);
        Corrupt.FlipBit(path, first + PageRecordHeader.Size + 4000);

        for (int attempt = 0; attempt < 5; attempt++)
        {
            var e = Assert.Throws<StoreCorruptedException>(() => CheckpointRestorer.Restore(files, _storeOptions).Dispose());
            Assert.Equal((path, first, firstPage), (e.File, e.Offset, e.Page?.Value));
        }
    }

    [Fact]
    public void ABitFlipInADataFileHeaderIsReportedAtTheHeaderChecksum()
    {
        string path = DataFileOf(2);
        Corrupt.FlipBit(path, DataFileHeader.PageCountOffset);

        var e = Assert.Throws<StoreCorruptedException>(() => CheckpointRestorer.Restore(_files, _storeOptions).Dispose());
        Assert.Equal(path, e.File);
        Assert.Equal(DataFileHeader.ChecksumOffset, e.Offset);
    }

    [Fact]
    public void ATruncatedDataFileIsReportedWithItsCommittedLength()
    {
        string path = DataFileOf(2);
        long length = new FileInfo(path).Length;
        using (FileStream stream = File.Open(path, FileMode.Open))
        {
            stream.SetLength(length - 100);
        }

        var e = Assert.Throws<StoreCorruptedException>(() => CheckpointRestorer.Restore(_files, _storeOptions).Dispose());
        Assert.Equal(path, e.File);
        Assert.Equal(length - 100, e.Offset);
        Assert.Contains($"committed {length} bytes", e.Message);
    }

    [Fact]
    public void ATruncatedDataFileIsCaughtByItsTrailerEvenWithoutTheCatalog()
    {
        string path = DataFileOf(1);
        long length = new FileInfo(path).Length;
        using (FileStream stream = File.Open(path, FileMode.Open))
        {
            stream.SetLength(length - 4096);
        }

        var e = Assert.Throws<StoreCorruptedException>(() => DataFileReader.Open(path).Dispose());
        Assert.Equal(path, e.File);
        Assert.Equal(length - 4096 - DataFileTrailer.Size, e.Offset);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void AMissingDataFileIsReportedByName()
    {
        string path = DataFileOf(1);
        File.Delete(path);

        var e = Assert.Throws<StoreCorruptedException>(() => CheckpointRestorer.Restore(_files, _storeOptions).Dispose());
        Assert.Equal(path, e.File);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void ADamagedNewestCheckpointFailsUnlessTheCallerAsksToFallBack()
    {
        string path = DataFileOf(2);
        (long offset, _) = Corrupt.NthRecord(path, 0);
        Corrupt.FlipBit(path, offset + PageRecordHeader.Size);
        var options = new CheckpointOptions { Directory = _dir.Path };

        Assert.Throws<StoreCorruptedException>(() => Checkpointer.Restore(options, _storeOptions));

        RestoredCheckpoint restored = Checkpointer.Restore(options, _storeOptions, fallBackToOlder: true);
        using (restored.Store)
        using (restored.Checkpointer)
        {
            Assert.Equal(new CheckpointId(1), restored.Id);
            Assert.Equal(path, Assert.Single(restored.Skipped).File);
            Assert.Equal(Keys.Value(7, 1, 40), restored.Store.Get(Keys.Key(7)));
        }
    }

    [Fact]
    public void ATornNewestCatalogSlotLeavesThePreviousRevisionAndIsReported()
    {
        ShardCatalog before = CatalogReader.Read(_files).Catalog;
        long newestSlot = before.Revision % 2 * CatalogCodec.SlotSize;
        Corrupt.FlipBit(_files.CatalogPath, newestSlot + CatalogCodec.HeaderSize + 5);

        CatalogReadResult read = CatalogReader.Read(_files);
        Assert.Equal(before.Revision - 1, read.Catalog.Revision);
        StoreCorruptedException damage = Assert.Single(read.DamagedSlots);
        Assert.Equal(_files.CatalogPath, damage.File);
        Assert.Equal(newestSlot + CatalogCodec.ChecksumOffset, damage.Offset);
    }

    [Fact]
    public void ATornFirstCatalogCommitReadsAsTheEmptyCatalogItReplaced()
    {
        using var dir = new TempDirectory();
        var files = new ShardFiles(dir.Path, "store");
        ShardCatalog first = ShardCatalog.Empty("store") with { Revision = 1, PageSize = 4096, MaxParallelism = 128 };
        byte[] slot = new byte[CatalogCodec.SlotSize];
        int length = CatalogCodec.Encode(first, slot);
        byte[] catalog = new byte[2 * CatalogCodec.SlotSize]; // both slots zeroed, as a new catalog starts
        slot.AsSpan(0, length / 2).CopyTo(catalog.AsSpan(CatalogCodec.SlotSize)); // revision 1 goes to slot 1; the crash cut it in half
        File.WriteAllBytes(files.CatalogPath, catalog);

        CatalogReadResult read = CatalogReader.Read(files);
        Assert.Equal(0, read.Catalog.Revision);
        Assert.Empty(read.Catalog.Checkpoints);
        Assert.Equal(CatalogCodec.SlotSize + CatalogCodec.ChecksumOffset, Assert.Single(read.DamagedSlots).Offset);
        using StateStore store = StateStore.Open();
        using Checkpointer reopened = Checkpointer.Open(store, new CheckpointOptions { Directory = dir.Path });
        Assert.Empty(reopened.Catalog.Checkpoints);
    }

    [Fact]
    public void DamageToBothCatalogSlotsIsCorruptionNamingTheCatalog()
    {
        Corrupt.FlipBit(_files.CatalogPath, CatalogCodec.HeaderSize + 3);
        Corrupt.FlipBit(_files.CatalogPath, CatalogCodec.SlotSize + CatalogCodec.HeaderSize + 3);

        var e = Assert.Throws<StoreCorruptedException>(() => CatalogReader.Read(_files));
        Assert.Equal(_files.CatalogPath, e.File);
        Assert.Throws<StoreCorruptedException>(() => Checkpointer.Restore(new CheckpointOptions { Directory = _dir.Path }, _storeOptions));
    }

    [Fact]
    public void ADataFileFromANewerFormatVersionAsksForANewerReader()
    {
        string path = DataFileOf(2);
        Corrupt.WithNewerFormatVersion(path);

        var e = Assert.Throws<UnsupportedFormatException>(() => CheckpointRestorer.Restore(_files, _storeOptions).Dispose());
        Assert.Equal(DataFileHeader.FormatVersion + 1, e.FoundVersion);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void RestoringAnUnknownCheckpointNamesTheOnesThatExist()
    {
        var e = Assert.Throws<CheckpointNotFoundException>(() => CheckpointRestorer.Restore(_files, _storeOptions, new CheckpointId(9)));
        Assert.Contains("checkpoints 1, 2", e.Message);
    }

    [Fact]
    public void VerificationOfAnIntactShardIsClean()
    {
        VerificationReport report = CheckpointVerifier.Verify(_files);
        Assert.True(report.IsClean);
        Assert.Equal(2, report.Files);
        Assert.True(report.Records > 0);
    }

    [Fact]
    public void VerificationListsEveryDamagedRecordAndGoesOnPastThem()
    {
        string full = DataFileOf(1), delta = DataFileOf(2);
        (long offsetA, uint pageA) = Corrupt.NthRecord(full, 4);
        (long offsetB, uint pageB) = Corrupt.NthRecord(full, 9);
        (long offsetC, uint pageC) = Corrupt.NthRecord(delta, 1);
        Corrupt.FlipBit(full, offsetA + 100);
        Corrupt.FlipBit(full, offsetB + 200);
        Corrupt.FlipBit(delta, offsetC + PageRecordHeader.Size);

        var progress = new List<long>();
        VerificationReport report = CheckpointVerifier.Verify(_files, progress: new SynchronousProgress(progress));

        Assert.Equal(
            [(full, offsetA, pageA), (full, offsetB, pageB), (delta, offsetC, pageC)],
            report.Damage.Select(d => (d.File!, d.Offset, d.Page!.Value.Value)));
        Assert.Equal(report.Bytes, progress[^1]);
    }

    private sealed class SynchronousProgress(List<long> seen) : IProgress<long>
    {
        public void Report(long value) => seen.Add(value);
    }
}
