using System.Buffers.Binary;
using Snapshot.Catalog;
using Snapshot.Format;
using Snapshot.Reading;
using Snapshot.Tests.TestInfrastructure;
using Store;
using Store.Diagnostics;
using Store.Pages;
using Xunit.Abstractions;

namespace Snapshot.Tests.Format;

/// <summary>Page batches (format 3): the entry encoding, its checks, and batches in real checkpoints.</summary>
public sealed class PageBatchTests(ITestOutputHelper output)
{
    private const int PageSize = 4096;

    [Fact]
    public void VarintsRoundTripAndRejectTruncatedOrOverlongEncodings()
    {
        uint[] values = [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455, 268_435_456, uint.MaxValue];
        byte[] buffer = new byte[Varint.MaxLength];
        foreach (uint value in values)
        {
            int written = 0;
            Varint.Write(buffer, ref written, value);
            Assert.Equal(Varint.Length(value), written);
            int at = 0;
            Assert.True(Varint.TryRead(buffer.AsSpan(0, written), ref at, out uint read));
            Assert.Equal((value, written), (read, at));
            at = 0;
            Assert.False(Varint.TryRead(buffer.AsSpan(0, written - 1), ref at, out _), $"{value} cut short by a byte");
            Assert.Equal(0, at);
        }

        int position = 0;
        Assert.False(Varint.TryRead([0xFF, 0xFF, 0xFF, 0xFF, 0x10], ref position, out _), "a fifth byte above 0x0F overflows 32 bits");
        Assert.False(Varint.TryRead([0x80, 0x80, 0x80, 0x80, 0x80, 0x00], ref position, out _), "six bytes are never a u32");
    }

    [Fact]
    public void EntriesReadBackAsTheExtentsTheyWereWrittenFrom()
    {
        const int seed = 20261124;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        for (int round = 0; round < 200; round++)
        {
            var pages = new List<(uint Page, ushort KeyGroup, uint Version, (int Offset, byte[] Bytes)[] Extents)>();
            uint page = (uint)random.Next(0, 1000);
            const uint fileVersion = 40;
            int pageCount = random.Next(1, 30);
            for (int i = 0; i < pageCount; i++)
            {
                page += i == 0 ? 0u : (uint)random.Next(1, 300);
                ushort keyGroup = random.Next(8) == 0 ? (ushort)0xFFFF : (ushort)random.Next(0, 40_000);
                pages.Add((page, keyGroup, (uint)random.Next(1, (int)fileVersion + 1), RandomExtents(random)));
            }

            var batch = new PageRecordHeader(new PageId(pages[0].Page), fileVersion, 0xFFFF, PageRecordKind.Batch, 0);
            byte[] payload = new byte[64 * 1024];
            int length = 0;
            uint previous = pages[0].Page;
            foreach ((uint p, ushort keyGroup, uint version, (int Offset, byte[] Bytes)[] extents) in pages)
            {
                int start = length;
                (int, int)[] shape = [.. extents.Select(e => (e.Offset, e.Bytes.Length))];
                PageBatch.WriteEntryHead(payload, ref length, p - previous, keyGroup, fileVersion - version, extents.Length);
                int end = 0;
                foreach ((int offset, byte[] bytes) in extents)
                {
                    PageBatch.WriteExtentPrefix(payload, ref length, offset - end, bytes.Length);
                    bytes.CopyTo(payload, length);
                    length += bytes.Length;
                    end = offset + bytes.Length;
                }

                Assert.Equal(PageBatch.EntryLength(p - previous, keyGroup, fileVersion - version, shape), length - start);
                previous = p;
            }

            int at = 0;
            PageId? last = null;
            byte[] reencoded = new byte[PageRecordHeader.MaxPayload(PageSize)];
            foreach ((uint p, ushort keyGroup, uint version, (int Offset, byte[] Bytes)[] extents) in pages)
            {
                PageRecordHeader entry = PageBatch.ReadEntry(payload.AsSpan(0, length), ref at, batch, last, PageSize, 1_000_000, reencoded, "batch", 84);
                Assert.Equal((p, keyGroup, version, PageRecordKind.Extents, true), (entry.Page.Value, entry.KeyGroup, entry.Version, entry.Kind, entry.InBatch));
                ulong mask = 0;
                var sink = new ExtentCollector();
                PagePatch.Apply(entry, reencoded.AsSpan(0, entry.PayloadLength), PageSize, ref sink);
                Assert.Equal(extents.Select(e => (e.Offset, Convert.ToHexString(e.Bytes))), sink.Extents);
                foreach ((int offset, byte[] bytes) in extents)
                {
                    mask |= DirtyRegion.GranuleBits(offset, bytes.Length, 6);
                }

                Assert.Equal(mask, entry.GranuleMask);
                last = entry.Page;
            }

            Assert.Equal(length, at);
        }
    }

    [Theory]
    [InlineData(new byte[] { 1, 0, 0, 1, 0, 1, 9 }, 0, 7u, "page gap")]                                  // the first entry must have gap 0
    [InlineData(new byte[] { 0, 0, 0, 1, 0, 1, 9, 0, 0, 0, 1, 0, 1, 9 }, 7, 7u, "page gap")]            // a later entry must move on
    [InlineData(new byte[] { 0, 0, 0, 1, 0, 1, 9, 0xC8, 0x01, 0, 0, 1, 0, 1, 9 }, 7, 7u, "page gap")]   // 7 + 200 is past the page count
    [InlineData(new byte[] { 0, 0, 0, 1, 0xFF, 0x1F, 2, 9, 9 }, 0, 7u, "extent 0")]                       // offset 4095 + 2 bytes leaves the page
    [InlineData(new byte[] { 0, 0, 0, 2, 0, 1, 9 }, 0, 7u, "extent 1")]                                   // the second extent is missing
    [InlineData(new byte[] { 0, 0, 0, 0 }, 0, 7u, "extent count")]                                        // no extents
    [InlineData(new byte[] { 0, 0x80 }, 0, 7u, "key group")]                                              // the key group is cut off
    [InlineData(new byte[] { 0, 0, 50, 1, 0, 1, 9 }, 0, 7u, "version")]                                   // older than epoch 0
    public void AMalformedEntryNamesTheFileItsOffsetAndItsPage(byte[] payload, int badEntryStart, uint page, string problem)
    {
        var batch = new PageRecordHeader(new PageId(7), 40, 0xFFFF, PageRecordKind.Batch, payload.Length);
        byte[] reencoded = new byte[PageRecordHeader.MaxPayload(PageSize)];
        int at = 0;
        PageId? previous = null;
        const long payloadOffset = 1000;
        var e = Assert.Throws<StoreCorruptedException>(() =>
        {
            while (at < payload.Length)
            {
                previous = PageBatch.ReadEntry(payload, ref at, batch, previous, PageSize, 100, reencoded, "x.ckd", payloadOffset).Page;
            }
        });

        Assert.Equal(("x.ckd", payloadOffset + badEntryStart, page), (e.File, e.Offset, e.Page?.Value));
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void AnExtentOfAWhole64KiBPageIsRefusedSinceItsLengthDoesNotFitTheKind3Layout()
    {
        // Writers send such a page as a full-page record; a batch entry claiming it is damage.
        byte[] payload = [0, 0, 0, 1, 0, 0x80, 0x80, 0x04, .. new byte[65_536]]; // one extent: offset 0, 65,536 bytes
        var batch = new PageRecordHeader(new PageId(7), 40, 0xFFFF, PageRecordKind.Batch, payload.Length);
        int at = 0;
        var e = Assert.Throws<StoreCorruptedException>(() =>
            PageBatch.ReadEntry(payload, ref at, batch, null, 65_536, 100, new byte[PageRecordHeader.MaxPayload(65_536)], "x.ckd", 84));
        Assert.Contains("extent 0", e.Message);
    }

    [Fact]
    public async Task SparseUpdatesGoIntoBatchesThatRestoreExactlyAndCostAFewBytesAPage()
    {
        using var dir = new TempDirectory();
        var files = new ShardFiles(dir.Path, "store");
        var model = new Dictionary<long, byte[]>();
        string path = await WriteSparseDelta(files, model);
        (int batched, long batchedBytes, DataFileTrailer trailer) = DataFiles.BatchedPages(path);
        output.WriteLine($"{batched} of {trailer.Pages} pages batched, {batchedBytes} bytes, in {trailer.RecordCount} records");
        Assert.True(batched >= trailer.Pages / 2, $"{batched} of {trailer.Pages} pages batched");
        Assert.True(trailer.RecordCount < trailer.Pages, $"{trailer.RecordCount} records for {trailer.Pages} pages");
        // A one-byte change is 8 bytes (gap, key group, version, count, offset in 2, length, the byte);
        // a second change on the page adds 3 or 4. Format 2 spent 25 on the first.
        Assert.True(batchedBytes <= 12L * batched, $"{batchedBytes} bytes for {batched} batched pages");

        using StateStore restored = CheckpointRestorer.Restore(files, new StoreOptions(), new CheckpointId(2));
        Keys.AssertEqual(model, restored, "checkpoint 2 from a batched delta");
    }

    /// <summary>
    /// A delta of several MiB of batched pages: the writer seals the open batch at every flush of its
    /// pipe (each MiB), so batches end early there, and the file still restores exactly.
    /// </summary>
    [Fact]
    public async Task ADeltaOfManyMegabytesOfBatchesRestoresExactly()
    {
        using var dir = new TempDirectory();
        var files = new ShardFiles(dir.Path, "store");
        var model = new Dictionary<long, byte[]>();
        // About 3 of the dozen 200-byte values of a page replaced: mostly batch entries of 600 bytes.
        string path = await WriteDelta(files, model, keys: 100_000, valueLength: 200, step: 4, (k, _) => Keys.Value(k, 2, 200));
        (_, long batchedBytes, DataFileTrailer trailer) = DataFiles.BatchedPages(path);
        output.WriteLine($"{trailer.Pages} pages in {trailer.RecordCount} records, {batchedBytes:N0} bytes of batch entries");
        Assert.True(batchedBytes > 2 << 20, $"{batchedBytes} bytes of batch entries span more than two pipe flushes");

        using StateStore restored = CheckpointRestorer.Restore(files, new StoreOptions(), new CheckpointId(2));
        Keys.AssertEqual(model, restored, "checkpoint 2 from a many-megabyte batched delta");
    }

    [Fact]
    public async Task ABitFlipAnywhereInABatchNamesTheBatchRecordAndItsFirstPage()
    {
        using var dir = new TempDirectory();
        var files = new ShardFiles(dir.Path, "store");
        string path = await WriteSparseDelta(files, []);
        long batchOffset = -1, lastEntryOffset = -1;
        uint firstPage = 0, lastPage = 0;
        using (DataFileReader reader = DataFileReader.Open(path))
        {
            while (reader.MoveNext())
            {
                if (reader.Current.InBatch && (batchOffset < 0 || reader.CurrentRecordOffset == batchOffset))
                {
                    (batchOffset, firstPage) = (reader.CurrentRecordOffset, reader.CurrentRecord.Page.Value);
                    (lastEntryOffset, lastPage) = (reader.CurrentOffset, reader.Current.Page.Value);
                }
            }
        }

        Assert.True(lastEntryOffset > batchOffset + PageRecordHeader.Size, "the first batch has more than one page");
        Corrupt.FlipBit(path, lastEntryOffset + 1); // in the batch's last page, not its first

        var e = Assert.Throws<StoreCorruptedException>(() => CheckpointRestorer.Restore(files, new StoreOptions(), new CheckpointId(2)).Dispose());
        Assert.Equal((path, batchOffset, firstPage), (e.File, e.Offset, e.Page?.Value));
        Assert.Contains("checksum", e.Message);

        VerificationReport report = CheckpointVerifier.Verify(files);
        StoreCorruptedException damage = Assert.Single(report.Damage);
        Assert.Equal((path, batchOffset), (damage.File, damage.Offset));

        // An inspection of a page the batch held reports the damage, though only the first page is named.
        ShardCatalog catalog = CatalogReader.Read(files).Catalog;
        CheckpointEntry entry = catalog.Checkpoint(new CheckpointId(2))!;
        RestoredPage inBatch = CheckpointPageReader.ReadPage(files, catalog, entry, new PageId(lastPage));
        Assert.Contains(inBatch.Damage, d => d.Offset == batchOffset);
        Assert.True(firstPage > 0, "the batch starts after page 0");
        Assert.Empty(CheckpointPageReader.ReadPage(files, catalog, entry, new PageId(firstPage - 1)).Damage);
    }

    /// <summary>
    /// 20,000 keys of 8 bytes, a full checkpoint 1, then a one-byte change to every 97th value
    /// (about one per page) and the incremental checkpoint 2. Returns checkpoint 2's data file.
    /// </summary>
    private static Task<string> WriteSparseDelta(ShardFiles files, Dictionary<long, byte[]> model) =>
        WriteDelta(files, model, keys: 20_000, valueLength: 8, step: 97, (_, value) =>
        {
            byte[] counter = (byte[])value.Clone();
            counter[0]++;
            return counter;
        });

    /// <summary>
    /// <paramref name="keys"/> values, a full checkpoint 1, then every <paramref name="step"/>th value
    /// replaced by <paramref name="update"/> (key, old value) and the incremental checkpoint 2, in
    /// the store and in <paramref name="model"/>. Returns checkpoint 2's data file.
    /// </summary>
    private static async Task<string> WriteDelta(
        ShardFiles files, Dictionary<long, byte[]> model, int keys, int valueLength, int step, Func<long, byte[], byte[]> update)
    {
        using (StateStore store = StateStore.Open(new StoreOptions()))
        using (Checkpointer checkpoints = Checkpointer.Open(store, new CheckpointOptions { Directory = files.Directory }))
        {
            Keys.PutAll(store, model, Keys.Ids(0, keys), revision: 1, _ => valueLength);
            await checkpoints.Barrier(new CheckpointId(1));
            checkpoints.Confirm(new CheckpointId(1));
            foreach (long k in Keys.Ids(0, keys, step))
            {
                model[k] = update(k, model[k]);
                store.Put(Keys.Key(k), model[k]);
            }

            await checkpoints.Barrier(new CheckpointId(2));
            checkpoints.Confirm(new CheckpointId(2));
        }

        return files.DataPath(CatalogReader.Read(files).Catalog.Checkpoint(new CheckpointId(2))!.OwnFile);
    }

    private static (int Offset, byte[] Bytes)[] RandomExtents(Random random)
    {
        int count = random.Next(1, 5);
        var extents = new List<(int, byte[])>();
        int at = 0;
        for (int i = 0; i < count && at < PageSize; i++)
        {
            int offset = at + random.Next(0, (PageSize - at) / (count - i));
            int length = random.Next(1, Math.Min(PageSize - offset, random.Next(2) == 0 ? 8 : 300) + 1);
            byte[] bytes = new byte[length];
            random.NextBytes(bytes);
            extents.Add((offset, bytes));
            at = offset + length + 1;
        }

        return [.. extents];
    }

    private sealed class ExtentCollector : IPagePatchSink
    {
        public List<(int Offset, string Hex)> Extents { get; } = [];

        public void Write(int offset, ReadOnlySpan<byte> bytes) => Extents.Add((offset, Convert.ToHexString(bytes)));
    }
}
