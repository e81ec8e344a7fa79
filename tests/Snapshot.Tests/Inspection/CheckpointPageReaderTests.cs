using Snapshot.Catalog;
using Snapshot.Format;
using Snapshot.Reading;
using Snapshot.Tests.TestInfrastructure;
using Store;
using Store.Diagnostics;
using Store.Index;
using Store.Pages;

namespace Snapshot.Tests.Inspection;

/// <summary>Pages streamed from a chain are the pages a restore builds; damage is listed and skipped, not thrown.</summary>
public sealed class CheckpointPageReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ShardFiles _files;
    private readonly Dictionary<long, Dictionary<long, byte[]>> _models = [];

    public CheckpointPageReaderTests()
    {
        _files = new ShardFiles(_dir.Path, "store");
        var model = new Dictionary<long, byte[]>();
        using StateStore store = StateStore.Open();
        using Checkpointer checkpoints = Checkpointer.Open(store, new CheckpointOptions { Directory = _dir.Path, RetainedCheckpoints = 4 });
        for (int revision = 1; revision <= 3; revision++)
        {
            Keys.PutAll(store, model, Keys.Ids(revision == 1 ? 0 : revision, 2000 + 300 * revision, step: revision == 1 ? 1 : 5), revision, _ => 30);

            checkpoints.Barrier(new CheckpointId(revision)).GetAwaiter().GetResult();
            checkpoints.Confirm(new CheckpointId(revision));
            _models[revision] = new Dictionary<long, byte[]>(model);
        }
    }

    public void Dispose() => _dir.Dispose();

    private ShardCatalog Catalog => CatalogReader.Read(_files).Catalog;

    private CheckpointEntry Entry(long id) => Catalog.Checkpoint(new CheckpointId(id))!;

    /// <summary>Every key and value the streamed pages hold, decoded from the bucket pages.</summary>
    private Dictionary<long, byte[]> Decode(CheckpointPageReader reader)
    {
        var found = new Dictionary<long, byte[]>();
        while (reader.MoveNext())
        {
            foreach (BucketRecordInfo record in PageDecoder.BucketRecords(reader.CurrentBytes, 128))
            {
                found[BitConverter.ToInt64(record.Key)] = record.Value!;
            }
        }

        return found;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void PagesStreamedFromAChainHoldExactlyTheCheckpointsEntries(long id)
    {
        using CheckpointPageReader reader = CheckpointPageReader.Open(_files, Catalog, Entry(id));

        Dictionary<long, byte[]> found = Decode(reader);

        Assert.Equal(_models[id].Count, found.Count);
        Assert.All(_models[id], pair => Assert.Equal(pair.Value, found[pair.Key]));
        Assert.Empty(reader.Damage);
        Assert.True(reader.AllFilesReadable);
    }

    [Fact]
    public void PagesComeInAscendingOrderWithTheRecordsOfEveryFileThatWroteThem()
    {
        CheckpointEntry entry = Entry(3);
        using CheckpointPageReader reader = CheckpointPageReader.Open(_files, Catalog, entry);
        uint previous = 0;
        int pages = 0, multi = 0;
        while (reader.MoveNext())
        {
            Assert.True(pages == 0 || reader.CurrentPage.Value > previous);
            previous = reader.CurrentPage.Value;
            pages++;
            if (reader.CurrentPage.Value < Entry(1).PageCount)
            {
                Assert.Equal(new CheckpointId(1), reader.CurrentRecords[0].WrittenBy); // the full file's record comes first
            }

            Assert.Equal(reader.CurrentRecords.Select(r => r.WrittenBy).Order(), reader.CurrentRecords.Select(r => r.WrittenBy));
            multi += reader.CurrentRecords.Count > 1 ? 1 : 0;
        }

        Assert.Equal((int)entry.PageCount, pages);
        Assert.True(multi > 0, "some pages were rewritten by the deltas");
    }

    [Fact]
    public void ReadPageReturnsTheSamePageAsTheStream()
    {
        CheckpointEntry entry = Entry(3);
        using CheckpointPageReader reader = CheckpointPageReader.Open(_files, Catalog, entry);
        for (int i = 0; i < 40 && reader.MoveNext(); i++)
        {
        }

        RestoredPage page = CheckpointPageReader.ReadPage(_files, Catalog, entry, reader.CurrentPage);

        Assert.Equal(reader.CurrentBytes.ToArray(), page.Bytes);
        Assert.Equal(reader.CurrentRecords, page.Records);
        Assert.Empty(page.Damage);
        Assert.Throws<ArgumentOutOfRangeException>(() => CheckpointPageReader.ReadPage(_files, Catalog, entry, new PageId(entry.PageCount)));
    }

    [Fact]
    public void ADamagedRecordIsListedAndSkippedWhileTheOtherPagesGoOn()
    {
        string path = _files.DataPath(Entry(2).OwnFile);
        (long offset, uint page) = Corrupt.NthRecord(path, 2); // a batch is named by its first page
        using (FileStream stream = File.Open(path, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = offset + PageRecordHeader.Size + 3;
            int b = stream.ReadByte();
            stream.Position -= 1;
            stream.WriteByte((byte)(b ^ 1));
        }

        using CheckpointPageReader reader = CheckpointPageReader.Open(_files, Catalog, Entry(3));
        int pages = 0;
        while (reader.MoveNext())
        {
            pages++;
            if (reader.CurrentPage.Value == page)
            {
                StoreCorruptedException damage = Assert.Single(reader.CurrentDamage);
                Assert.Equal((path, offset), (damage.File, damage.Offset));
                Assert.Contains(reader.CurrentRecords, r => r.Damage is not null && r.Offset == offset);
            }
        }

        Assert.Equal((int)Entry(3).PageCount, pages);
        Assert.Single(reader.Damage);
        Assert.True(reader.AllFilesReadable);
    }

    [Fact]
    public void ABitFlipInARecordsPageIdDoesNotCostTheRestOfTheFile()
    {
        string path = _files.DataPath(Entry(1).OwnFile);
        long offset;
        uint page;
        using (DataFileReader data = DataFileReader.Open(path))
        {
            for (int i = 0; i < 10; i++)
            {
                data.MoveNext();
            }

            (offset, page) = (data.CurrentOffset, data.Current.Page.Value);
        }

        using (FileStream stream = File.Open(path, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = offset + PageRecordHeader.PageIdOffset;
            int b = stream.ReadByte();
            stream.Position -= 1;
            stream.WriteByte((byte)(b ^ 0x20)); // the record now claims page + 32, a page further on in the file
        }

        using CheckpointPageReader reader = CheckpointPageReader.Open(_files, Catalog, Entry(1));
        var seen = new List<uint>();
        while (reader.MoveNext())
        {
            seen.Add(reader.CurrentPage.Value);
            if (reader.CurrentPage.Value == (page ^ 0x20))
            {
                Assert.Equal(2, reader.CurrentRecords.Count); // its own record, and the damaged one claiming it
                Assert.Single(reader.CurrentDamage);
            }
        }

        Assert.True(reader.AllFilesReadable);
        Assert.Equal([.. Enumerable.Range(0, (int)Entry(1).PageCount).Select(p => (uint)p).Where(p => p != page)], seen);
        Assert.Equal(offset, Assert.Single(reader.Damage).Offset);
    }

    [Fact]
    public void AMissingFileOfTheChainIsReportedAndTheOtherFilesStillRead()
    {
        string path = _files.DataPath(Entry(2).OwnFile);
        File.Delete(path);

        using CheckpointPageReader reader = CheckpointPageReader.Open(_files, Catalog, Entry(3));
        int pages = 0;
        while (reader.MoveNext())
        {
            pages++;
        }

        Assert.Equal((int)Entry(3).PageCount, pages); // the full file still covers every page
        Assert.False(reader.AllFilesReadable);
        Assert.Contains(reader.Damage, d => d.File == path && d.Message.Contains("missing", StringComparison.Ordinal));
        RestoredPage one = CheckpointPageReader.ReadPage(_files, Catalog, Entry(3), new PageId(1));
        Assert.Contains(one.Damage, d => d.File == path);
    }

    [Fact]
    public void ANewerFormatVersionIsNotDamage()
    {
        string path = _files.DataPath(Entry(2).OwnFile);
        byte[] header = new byte[DataFileHeader.Size];
        using (FileStream stream = File.Open(path, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.ReadExactly(header);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(DataFileHeader.FormatVersionOffset), DataFileHeader.FormatVersion + 1);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(DataFileHeader.ChecksumOffset),
                System.IO.Hashing.XxHash3.HashToUInt64(header.AsSpan(0, DataFileHeader.ChecksumOffset)));
            stream.Position = 0;
            stream.Write(header);
        }

        Assert.Throws<UnsupportedFormatException>(() => CheckpointPageReader.Open(_files, Catalog, Entry(3)).Dispose());
    }
}
