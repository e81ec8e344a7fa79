using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text;
using Snapshot.Catalog;
using Snapshot.Format;
using Snapshot.Reading;
using Snapshot.Tests.TestInfrastructure;
using Store;
using Store.Pages;

namespace Snapshot.Tests.Format;

/// <summary>
/// Pins the on-disk format: sizes, offsets, magics, and whole golden files. A format change must
/// fail here and come with a new format version and regenerated golden files
/// (set STORE_UPDATE_GOLDEN=1 and run these tests once).
/// </summary>
public sealed class FormatLayoutTests
{
    private static readonly StoreOptions GoldenStore = new() { MaxParallelism = 4 };

    [Fact]
    public void StructureSizesAndFieldOffsetsArePinned()
    {
        Assert.Equal(64, DataFileHeader.Size);
        Assert.Equal((8, 16, 24, 32, 36, 40, 44, 48, 56), (DataFileHeader.FormatVersionOffset, DataFileHeader.CheckpointIdOffset,
            DataFileHeader.BaseIdOffset, DataFileHeader.VersionOffset, DataFileHeader.PageCountOffset, DataFileHeader.PageSizeOffset,
            DataFileHeader.MaxParallelismOffset, DataFileHeader.KindOffset, DataFileHeader.ChecksumOffset));
        Assert.Equal((3u, 2u), (DataFileHeader.FormatVersion, DataFileHeader.OldestReadableFormat));
        Assert.Equal(20, PageRecordHeader.Size);
        Assert.Equal((0, 4, 8, 12, 14, 16), (PageRecordHeader.ChecksumOffset, PageRecordHeader.PageIdOffset, PageRecordHeader.VersionOffset,
            PageRecordHeader.KeyGroupOffset, PageRecordHeader.KindOffset, PageRecordHeader.PayloadLengthOffset));
        Assert.Equal((8, 4), (PageRecordHeader.GranuleMaskSize, PageRecordHeader.ExtentPrefixSize));
        Assert.Equal(64, DataFileTrailer.Size);
        Assert.Equal((40, 56), (DataFileTrailer.PagesOffset, DataFileTrailer.ChecksumOffset));
        Assert.Equal((65536, 64, 12, 16, 56, 24, 64, 32), (CatalogCodec.SlotSize, CatalogCodec.HeaderSize, CatalogCodec.PayloadLengthOffset,
            CatalogCodec.RevisionOffset, CatalogCodec.ChecksumOffset, CatalogCodec.PayloadHeaderSize, CatalogCodec.CheckpointEntrySize, CatalogCodec.FileEntrySize));
        Assert.Equal(((byte)1, (byte)2, (byte)3, (byte)4),
            ((byte)PageRecordKind.FullPage, (byte)PageRecordKind.Granules, (byte)PageRecordKind.Extents, (byte)PageRecordKind.Batch));
        Assert.Equal(((byte)1, (byte)2), ((byte)CheckpointKind.Full, (byte)CheckpointKind.Incremental));
    }

    [Fact]
    public void MagicsSpellTheirNamesInFileOrder()
    {
        Assert.Equal("STORECKD", Ascii(DataFileHeader.Magic));
        Assert.Equal("STORECKT", Ascii(DataFileTrailer.Magic));
        Assert.Equal("STORECAT", Ascii(CatalogCodec.Magic));
    }

    [Fact]
    public async Task DataFilesAreByteIdenticalToTheGoldenFiles()
    {
        using var dir = new TempDirectory();
        byte[][] files = await WriteGoldenWorkload(dir.Path);
        for (int i = 0; i < files.Length; i++)
        {
            AssertGolden(GoldenFiles[i], files[i]);
        }
    }

    [Fact]
    public void ACatalogSlotIsByteIdenticalToTheGoldenSlot()
    {
        // The catalog format did not change with data file format 3: the slot names the format-2 files' lengths.
        byte[] slot = new byte[CatalogCodec.SlotSize];
        int length = CatalogCodec.Encode(GoldenCatalog(Format2), slot);
        AssertGolden("catalog.slot", slot[..length]);
        Assert.Equal(GoldenCatalog(Format2) with { Checkpoints = [], Files = [] },
            CatalogCodec.Decode(slot, "golden", "golden.catalog", 0) with { Checkpoints = [], Files = [] });
    }

    /// <summary>
    /// Reads the checked-in files (not freshly written ones): this build can still parse what an
    /// older build wrote. <see cref="Format2"/> holds the first two checkpoints as format 2 wrote
    /// them, before page batches; an upgraded store must still restore them.
    /// </summary>
    [Theory]
    [InlineData("", 3)]
    [InlineData(Format2, 2)]
    public void TheGoldenFilesRestoreToTheGoldenWorkloadState(string formatFolder, long checkpoint)
    {
        using var dir = new TempDirectory();
        var files = new ShardFiles(dir.Path, "golden");
        for (int i = 0; i < checkpoint; i++)
        {
            File.Copy(GoldenPath(Path.Combine(formatFolder, GoldenFiles[i])), files.DataPath(new DataFileId(i + 1)));
        }

        ShardCatalog catalog = GoldenCatalog(formatFolder);
        using StateStore restored = CheckpointRestorer.Restore(files, catalog, catalog.Checkpoint(new CheckpointId(checkpoint))!, GoldenStore);
        Keys.AssertEqual(GoldenModel(checkpoint), restored, $"golden checkpoint {checkpoint} {formatFolder}");
    }

    /// <summary>
    /// The upgrade path: a shard whose checkpoints were written in format 2 is restored by this
    /// build, which then writes format-3 deltas on top of them; the mixed chain restores exactly.
    /// </summary>
    [Fact]
    public async Task AShardOfFormat2FilesGrowsFormat3DeltasAndTheMixedChainRestores()
    {
        using var dir = new TempDirectory();
        var files = new ShardFiles(dir.Path, "golden");
        File.Copy(GoldenPath(Path.Combine(Format2, "full.ckd")), files.DataPath(new DataFileId(1)));
        File.Copy(GoldenPath(Path.Combine(Format2, "delta.ckd")), files.DataPath(new DataFileId(2)));
        using (CatalogFile catalogFile = CatalogFile.OpenOrCreate(files))
        {
            catalogFile.Commit(GoldenCatalog(Format2));
        }

        var options = new CheckpointOptions { Directory = dir.Path, Shard = "golden" };
        RestoredCheckpoint upgraded = Checkpointer.Restore(options, GoldenStore);
        using (upgraded.Store)
        using (upgraded.Checkpointer)
        {
            Assert.Equal(new CheckpointId(2), upgraded.Id);
            foreach (long k in SparseKeys)
            {
                upgraded.Store.Put(Keys.Key(k), SparseValue(upgraded.Store.Get(Keys.Key(k))!, k));
            }

            CheckpointResult third = await upgraded.Checkpointer.Barrier(new CheckpointId(3));
            Assert.Equal((CheckpointKind.Incremental, new CheckpointId(2)), (third.Kind, third.Base));
            upgraded.Checkpointer.Confirm(new CheckpointId(3));
        }

        ShardCatalog catalog = CatalogReader.Read(files).Catalog;
        CheckpointEntry entry = catalog.Checkpoint(new CheckpointId(3))!;
        uint[] formats = [.. entry.Chain.Select(f =>
        {
            using DataFileReader reader = DataFileReader.Open(files.DataPath(f));
            return reader.Header.Format;
        })];
        Assert.Equal([2u, 2u, 3u], formats);
        using StateStore restored = CheckpointRestorer.Restore(files, GoldenStore, new CheckpointId(3));
        Keys.AssertEqual(GoldenModel(3), restored, "a format-3 delta on format-2 files");
    }

    [Fact]
    public void TheGoldenSparseDeltaIsOneBatchAndTheFormat2FilesHaveNone()
    {
        using (DataFileReader sparse = DataFileReader.Open(GoldenPath("sparse.ckd")))
        {
            Assert.Equal(3u, sparse.Header.Format);
            Assert.Equal(1, sparse.Trailer.RecordCount);
            Assert.True(sparse.Trailer.Pages > 1, $"{sparse.Trailer.Pages} pages in the batch");
            int pages = 0;
            while (sparse.MoveNext())
            {
                Assert.True(sparse.Current.InBatch && sparse.Current.Kind == PageRecordKind.Extents, $"page {sparse.Current.Page} is a batch entry");
                pages++;
            }

            Assert.Equal(sparse.Trailer.Pages, pages);
        }

        using DataFileReader old = DataFileReader.Open(GoldenPath(Path.Combine(Format2, "delta.ckd")));
        Assert.Equal((2u, old.Trailer.RecordCount), (old.Header.Format, old.Trailer.Pages));
    }

    private const string Format2 = "v2";

    private static readonly string[] GoldenFiles = ["full.ckd", "delta.ckd", "sparse.ckd"];

    /// <summary>The golden shard's catalog: checkpoints 1 (full), 2 and, in the current format, 3, each a delta of the one before.</summary>
    private static ShardCatalog GoldenCatalog(string formatFolder = "")
    {
        var created = DateTimeOffset.FromUnixTimeMilliseconds(1_795_000_000_000);
        int count = formatFolder == Format2 ? 2 : 3;
        var checkpoints = new List<CheckpointEntry>();
        var files = new List<DataFileEntry>();
        for (int i = 0; i < count; i++)
        {
            string name = Path.Combine(formatFolder, GoldenFiles[i]);
            long length = new FileInfo(GoldenPath(name)).Length;
            var id = new CheckpointId(i + 1);
            checkpoints.Add(i == 0
                ? new CheckpointEntry(id, CheckpointId.None, CheckpointKind.Full, true, 1, 0, created, length, 0, 0, [new DataFileId(1)])
                : new CheckpointEntry(id, new CheckpointId(i), CheckpointKind.Incremental, true, (uint)(i + 1), PageCountOf(name), created, length, 0, 0,
                    [.. Enumerable.Range(1, i + 1).Select(f => new DataFileId(f))]));
            files.Add(new DataFileEntry(new DataFileId(i + 1), id, new CheckpointId(count), length));
        }

        return new ShardCatalog("golden", Revision: 3, 4096, 4, NextFileId: count + 1, [.. checkpoints], [.. files]);
    }

    private static uint PageCountOf(string golden)
    {
        byte[] header = new byte[DataFileHeader.Size];
        using FileStream stream = File.OpenRead(GoldenPath(golden));
        stream.ReadExactly(header);
        return BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(DataFileHeader.PageCountOffset));
    }

    /// <summary>
    /// 200 keys; checkpoint 1 full; then 20 in-place updates, 10 deletes, 10 inserts: checkpoint 2;
    /// then 4 in-place updates: checkpoint 3, whose delta is one page batch.
    /// </summary>
    private static async Task<byte[][]> WriteGoldenWorkload(string directory)
    {
        using StateStore store = StateStore.Open(GoldenStore);
        using Checkpointer checkpoints = Checkpointer.Open(store, new CheckpointOptions { Directory = directory, Shard = "golden" });
        foreach ((long key, byte[] value) in GoldenModelAtFull())
        {
            store.Put(Keys.Key(key), value);
        }

        await checkpoints.Barrier(new CheckpointId(1));
        checkpoints.Confirm(new CheckpointId(1));
        ApplyDelta(store);
        Assert.Equal(CheckpointKind.Incremental, (await checkpoints.Barrier(new CheckpointId(2))).Kind);
        checkpoints.Confirm(new CheckpointId(2));
        foreach (long k in SparseKeys)
        {
            store.Put(Keys.Key(k), SparseValue(store.Get(Keys.Key(k))!, k));
        }

        Assert.Equal(CheckpointKind.Incremental, (await checkpoints.Barrier(new CheckpointId(3))).Kind);
        var files = new ShardFiles(directory, "golden");
        return [.. Enumerable.Range(1, GoldenFiles.Length).Select(i => File.ReadAllBytes(files.DataPath(new DataFileId(i))))];
    }

    private static Dictionary<long, byte[]> GoldenModelAtFull()
    {
        var model = new Dictionary<long, byte[]>();
        for (long k = 0; k < 200; k++)
        {
            model[k] = Keys.Value(k, 1, 16 + (int)(k % 5) * 8);
        }

        return model;
    }

    private static void ApplyDelta(StateStore store)
    {
        for (long k = 0; k < 20; k++)
        {
            byte[] value = store.Get(Keys.Key(k))!;
            BinaryPrimitives.WriteInt64LittleEndian(value, 1000 + k);
            store.Put(Keys.Key(k), value);
        }

        for (long k = 100; k < 110; k++)
        {
            store.Delete(Keys.Key(k));
        }

        for (long k = 500; k < 510; k++)
        {
            store.Put(Keys.Key(k), Keys.Value(k, 2, 24));
        }
    }

    /// <summary>Four in-place updates; in the golden store they land on two pages, two extents each, all in one batch.</summary>
    private static readonly long[] SparseKeys = [30, 61, 122, 183];

    /// <summary>A counter-like change: the value's first 8 bytes become 7000 + key, the rest stays.</summary>
    private static byte[] SparseValue(byte[] current, long key)
    {
        byte[] next = (byte[])current.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(next, 7000 + key);
        return next;
    }

    private static Dictionary<long, byte[]> GoldenModel(long checkpoint)
    {
        Dictionary<long, byte[]> model = GoldenModelAtFull();
        for (long k = 0; k < 20; k++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(model[k], 1000 + k);
        }

        for (long k = 100; k < 110; k++)
        {
            model.Remove(k);
        }

        for (long k = 500; k < 510; k++)
        {
            model[k] = Keys.Value(k, 2, 24);
        }

        if (checkpoint >= 3)
        {
            foreach (long k in SparseKeys)
            {
                model[k] = SparseValue(model[k], k);
            }
        }

        return model;
    }

    private static void AssertGolden(string name, byte[] actual)
    {
        if (Environment.GetEnvironmentVariable("STORE_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllBytes(Path.Combine(SourceDirectory(), "..", "Golden", name), actual);
        }

        string path = GoldenPath(name);
        Assert.True(File.Exists(path), $"golden file {name} is missing; regenerate with STORE_UPDATE_GOLDEN=1");
        byte[] expected = File.ReadAllBytes(path);
        int first = expected.AsSpan().CommonPrefixLength(actual);
        Assert.True(expected.Length == actual.Length && first == actual.Length,
            $"{name} differs from the golden file at byte {first} (golden {expected.Length} bytes, now {actual.Length}). " +
            "A format change needs a new format version and regenerated golden files.");
    }

    private static string GoldenPath(string name) => Path.Combine(AppContext.BaseDirectory, "Golden", name);

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

    private static string Ascii(ulong magic)
    {
        byte[] bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, magic);
        return Encoding.ASCII.GetString(bytes).TrimEnd('\0');
    }
}
