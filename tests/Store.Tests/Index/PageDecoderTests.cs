using System.Text;
using Store.Index;
using Store.Pages;
using Store.Versioning;

namespace Store.Tests.Index;

public sealed class PageDecoderTests
{
    [Fact]
    public void BucketPagesDecodeToExactlyTheStoredKeysWithTheirValuesAndKeyGroups()
    {
        using var store = StateStore.Open();
        var expected = new Dictionary<string, byte[]>();
        for (int i = 0; i < 500; i++)
        {
            byte[] value = Encoding.UTF8.GetBytes(new string((char)('a' + i % 26), i % 40 + 1));
            expected[$"k{i}"] = value;
            store.Put(Encoding.UTF8.GetBytes($"k{i}"), value);
        }

        store.Put("big"u8, new byte[20_000]);
        using FrozenVersion frozen = store.Freeze();
        var decoded = new Dictionary<string, BucketRecordInfo>();
        byte[] page = new byte[frozen.PageSize];
        for (uint p = 0; p < frozen.PageCount; p++)
        {
            frozen.CopyPage(new PageId(p), page);
            PageHeaderInfo header = PageDecoder.Header(page);
            var problems = new List<string>();
            foreach (BucketRecordInfo record in PageDecoder.BucketRecords(page, frozen.MaxParallelism, problems))
            {
                Assert.Equal(header.KeyGroup, record.KeyGroup);
                decoded.Add(Encoding.UTF8.GetString(record.Key), record);
            }

            Assert.Empty(problems);
        }

        Assert.Equal(501, decoded.Count);
        foreach ((string key, byte[] value) in expected)
        {
            Assert.Equal(value, decoded[key].Value);
            Assert.Equal(store.KeyGroupOf(Encoding.UTF8.GetBytes(key)), decoded[key].KeyGroup);
        }

        Assert.Null(decoded["big"].Value);
        Assert.Equal(20_000, decoded["big"].ValueLength);
        Assert.NotEqual(0u, decoded["big"].FirstBlobPage);
    }

    [Fact]
    public void ADamagedRecordOffsetIsReportedInsteadOfDecoded()
    {
        using var store = StateStore.Open();
        store.Put("key"u8, "value"u8);
        using FrozenVersion frozen = store.Freeze();
        byte[] page = new byte[frozen.PageSize];
        for (uint p = 0; p < frozen.PageCount; p++)
        {
            frozen.CopyPage(new PageId(p), page);
            if (PageDecoder.Header(page).Kind == PageKind.Bucket && PageDecoder.BucketRecords(page, frozen.MaxParallelism).Count == 1)
            {
                int slot = PageDecoder.BucketRecords(page, frozen.MaxParallelism)[0].Slot;
                int offsetField = 32 + (slot / 16 * 48) + 16 + (slot % 16 * 2);
                page[offsetField] = 0x04; // offset 4: inside the header
                page[offsetField + 1] = 0x00;
                var problems = new List<string>();
                Assert.Empty(PageDecoder.BucketRecords(page, frozen.MaxParallelism, problems));
                Assert.Contains("outside the heap", Assert.Single(problems));
                return;
            }
        }

        Assert.Fail("no bucket page held the key");
    }
}
