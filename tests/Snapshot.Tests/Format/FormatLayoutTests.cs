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
        Assert.Equal(2u, DataFileHeader.FormatVersion);
        Assert.Equal(20, PageRecordHeader.Size);
        Assert.Equal((0, 4, 8, 12, 14, 16), (PageRecordHeader.ChecksumOffset, PageRecordHeader.PageIdOffset, PageRecordHeader.VersionOffset,
            PageRecordHeader.KeyGroupOffset, PageRecordHeader.KindOffset, PageRecordHeader.PayloadLengthOffset));
        Assert.Equal((8, 4), (PageRecordHeader.GranuleMaskSize, PageRecordHeader.ExtentPrefixSize));
        Assert.Equal(64, DataFileTrailer.Size);
        Assert.Equal(56, DataFileTrailer.ChecksumOffset);
        Assert.Equal((65536, 64, 12, 16, 56, 24, 64, 32), (CatalogCodec.SlotSize, CatalogCodec.HeaderSize, CatalogCodec.PayloadLengthOffset,
            CatalogCodec.RevisionOffset, CatalogCodec.ChecksumOffset, CatalogCodec.PayloadHeaderSize, CatalogCodec.CheckpointEntrySize, CatalogCodec.FileEntrySize));
        Assert.Equal(((byte)1, (byte)2, (byte)3), ((byte)PageRecordKind.FullPage, (byte)PageRecordKind.Granules, (byte)PageRecordKind.Extents));
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
        (byte[] full, byte[] delta) = await WriteGoldenWorkload(dir.Path);
        AssertGolden("full.ckd", full);
        AssertGolden("delta.ckd", delta);
    }

    [Fact]
    public void ACatalogSlotIsByteIdenticalToTheGoldenSlot()
    {
        byte[] slot = new byte[CatalogCodec.SlotSize];
        int length = CatalogCodec.Encode(GoldenCatalog(), slot);
        AssertGolden("catalog.slot", slot[..length]);
        Assert.Equal(GoldenCatalog() with { Checkpoints = [], Files = [] },
            CatalogCodec.Decode(slot, "golden", "golden.catalog", 0) with { Checkpoints = [], Files = [] });
    }

    [Fact]
    public void TheGoldenFilesRestoreToTheGoldenWorkloadState()
    {
        // Reads the checked-in files (not freshly written ones): this build can still parse what an older build wrote.
        using var dir = new TempDirectory();
        var files = new ShardFiles(dir.Path, "golden");
        File.Copy(GoldenPath("full.ckd"), files.DataPath(new DataFileId(1)));
        File.Copy(GoldenPath("delta.ckd"), files.DataPath(new DataFileId(2)));
        ShardCatalog catalog = GoldenCatalog();

        using StateStore restored = CheckpointRestorer.Restore(files, catalog, catalog.Checkpoint(new CheckpointId(2))!, GoldenStore);
        Keys.AssertEqual(GoldenModel(), restored, "golden checkpoint 2");
    }

    private static ShardCatalog GoldenCatalog()
    {
        var created = DateTimeOffset.FromUnixTimeMilliseconds(1_795_000_000_000);
        long fullLength = new FileInfo(GoldenPath("full.ckd")).Length;
        long deltaLength = new FileInfo(GoldenPath("delta.ckd")).Length;
        return new ShardCatalog("golden", 3, 4096, 4, 3,
            [
                new CheckpointEntry(new CheckpointId(1), CheckpointId.None, CheckpointKind.Full, true, 1, 0, created, fullLength, 0, 0, [new DataFileId(1)]),
                new CheckpointEntry(new CheckpointId(2), new CheckpointId(1), CheckpointKind.Incremental, true, 2, PageCountOf("delta.ckd"), created, deltaLength, 0, 0,
                    [new DataFileId(1), new DataFileId(2)]),
            ],
            [
                new DataFileEntry(new DataFileId(1), new CheckpointId(1), new CheckpointId(2), fullLength),
                new DataFileEntry(new DataFileId(2), new CheckpointId(2), new CheckpointId(2), deltaLength),
            ]);
    }

    private static uint PageCountOf(string golden)
    {
        byte[] header = new byte[DataFileHeader.Size];
        using FileStream stream = File.OpenRead(GoldenPath(golden));
        stream.ReadExactly(header);
        return BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(DataFileHeader.PageCountOffset));
    }

    /// <summary>200 keys; checkpoint 1 full; then 20 in-place updates, 10 deletes, 10 inserts; checkpoint 2 incremental.</summary>
    private static async Task<(byte[] Full, byte[] Delta)> WriteGoldenWorkload(string directory)
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
        CheckpointResult delta = await checkpoints.Barrier(new CheckpointId(2));
        Assert.Equal(CheckpointKind.Incremental, delta.Kind);
        var files = new ShardFiles(directory, "golden");
        return (File.ReadAllBytes(files.DataPath(new DataFileId(1))), File.ReadAllBytes(files.DataPath(new DataFileId(2))));
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

    private static Dictionary<long, byte[]> GoldenModel()
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
