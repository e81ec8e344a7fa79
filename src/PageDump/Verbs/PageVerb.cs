using System.CommandLine;
using System.Globalization;
using System.Numerics;
using Snapshot.Catalog;
using Snapshot.Reading;
using Store.Index;
using Store.Pages;

namespace PageDump.Verbs;

/// <summary>
/// <c>pagedump page DIR ID PAGE</c>: one page as a restore of the checkpoint rebuilds it (every
/// record of the chain for that page applied in order), with its header, the records that built
/// it, a hex dump (--hex) and its decoded key/value records (--records).
/// </summary>
internal static class PageVerb
{
    public static Command Create(Session session)
    {
        Argument<string> dir = Common.Directory();
        Argument<string> id = Common.Checkpoint();
        Argument<string> page = new("PAGE") { Description = "The page id (0 is the meta page)." };
        Option<string?> shard = Common.Shard();
        Option<bool> hex = new("--hex") { Description = "Add a hex dump of the page (runs of identical lines shown as '*')." };
        Option<bool> records = new("--records") { Description = "Add the key/value records of a bucket page, decoded, with their key groups." };
        Option<bool> json = Common.Json();
        var command = new Command("page", "One page as restored at a checkpoint: header, granule mask, checksum state, hex dump and decoded records.")
        {
            dir, id, page, shard, hex, records, json,
        };
        command.SetAction(parse => PageDumpApp.Guard(session, parse, json, () => Run(
            session, parse.GetValue(dir)!, parse.GetValue(id)!, parse.GetValue(page)!, parse.GetValue(shard), parse.GetValue(hex), parse.GetValue(records))));
        return command;
    }

    private static void Run(Session session, string directory, string idText, string pageText, string? shardName, bool hex, bool decode)
    {
        ShardFiles files = Locate.Shard(directory, shardName);
        ShardCatalog catalog = Locate.Catalog(session, files);
        CheckpointEntry entry = Locate.Checkpoint(catalog, idText);
        if (!uint.TryParse(pageText, NumberStyles.None, CultureInfo.InvariantCulture, out uint pageId))
        {
            throw new UsageException($"'{pageText}' is not a page id: give a number from 0 to {entry.PageCount - 1}.");
        }

        if (pageId >= entry.PageCount)
        {
            throw new UsageException($"Checkpoint {entry.Id.Value} has {entry.PageCount} pages (0 to {entry.PageCount - 1}); there is no page {pageId}.");
        }

        RestoredPage page = CheckpointPageReader.ReadPage(files, catalog, entry, new PageId(pageId));
        foreach (Store.Diagnostics.StoreCorruptedException e in page.Damage)
        {
            session.Corruption(e, $"{entry.Id}, page {pageId}");
        }

        PageHeaderInfo header = PageDecoder.Header(page.Bytes);
        ulong combined = page.Records.Aggregate(0UL, (m, r) => m | r.Header.GranuleMask);
        var problems = new List<string>();
        IReadOnlyList<BucketRecordInfo> entries = decode ? PageDecoder.BucketRecords(page.Bytes, catalog.MaxParallelism, problems) : [];
        var chainRows = page.Records.Select(r => new RecordInfo(
            r.File.Value, Path.GetFileName(r.Path), r.Offset, r.WrittenBy.Value, Fmt.Kind(r.Header.Kind), r.Header.Version, Fmt.KeyGroupOrNull(r.Header.KeyGroup),
            Fmt.Mask(r.Header.GranuleMask), Fmt.AsciiBar(r.Header.GranuleMask), r.Header.PayloadLength, r.Damage is null ? "ok" : "bad", r.Damage?.Detail)).ToList();
        string checksum = page.Damage.Count == 0 ? "ok" : "bad";
        if (session.Json)
        {
            session.WriteJson(new
            {
                shard = files.Shard,
                checkpoint = entry.Id.Value,
                page = pageId,
                pageSize = catalog.PageSize,
                header = new
                {
                    kind = System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(header.Kind.ToString()),
                    layoutVersion = header.LayoutVersion,
                    keyGroup = header.KeyGroup,
                    next = header.Next,
                    fieldA = header.FieldA,
                    fieldB = header.FieldB,
                },
                granuleMask = Fmt.Mask(combined),
                maskBar = Fmt.AsciiBar(combined),
                checksum,
                records = chainRows,
                hex = hex ? Fmt.Hex(page.Bytes) : null,
                entries = decode ? entries.Select(e => new
                {
                    slot = e.Slot,
                    offset = e.Offset,
                    key = Fmt.Hex(e.Key),
                    keyText = Fmt.Printable(e.Key),
                    keyGroup = e.KeyGroup,
                    keyGroupMatchesPage = header.KeyGroup == e.KeyGroup,
                    valueLength = e.ValueLength,
                    value = e.Value is null ? null : Fmt.Hex(e.Value),
                    firstBlobPage = e.Value is null ? e.FirstBlobPage : (uint?)null,
                }).ToList() : null,
                problems = decode ? problems : null,
                damage = Damage.From(page.Damage),
            });
            return;
        }

        var grid = new List<(string Name, string Value)>();
        void Pair(string name, string value) => grid.Add((name, value));
        Pair("page", $"{pageId} of {entry.PageCount}, as restored at checkpoint {entry.Id.Value} (shard '{files.Shard}')");
        Pair("kind", $"{header.Kind} (layout version {header.LayoutVersion})");
        Pair("key group", header.KeyGroup is { } g ? Fmt.Inv(g) : "store-wide");
        Pair("next", header.Next == 0 ? "none" : Fmt.Inv(header.Next));
        Pair("fields", $"A = {header.FieldA}, B = {header.FieldB}");
        Pair("granules", $"{Fmt.Bar(combined, 64)}  {BitOperations.PopCount(combined)} of 64 written by the chain ({Fmt.Num(catalog.PageSize / 64)} bytes each)");
        Pair("checksum", page.Records.Count == 0
            ? "no record of the chain touches this page: it is all zeros"
            : checksum == "ok" ? $"ok: {page.Records.Count} record(s) verified" : $"BAD: {page.Damage.Count} problem(s), listed below");
        session.Pairs(grid);
        if (page.Records.Count > 0)
        {
            var table = Session.Table("file", "offset", "written by", "kind", "version", "key group", "granules", "bytes", "checksum");
            foreach (RecordInfo r in chainRows)
            {
                Session.Row(table, r.FileName, Fmt.Inv(r.Offset), Fmt.Inv(r.WrittenBy), r.Kind, Fmt.Inv(r.Version), r.KeyGroup is { } kg ? Fmt.Inv(kg) : "store-wide",
                    Fmt.Bar(Convert.ToUInt64(r.GranuleMask, 16)), Fmt.Num(r.Bytes), r.Checksum == "ok" ? "ok" : $"BAD: {r.Problem}");
            }

            session.Write(table);
        }

        if (page.Damage.Count > 0)
        {
            session.Write(Damage.Table(Damage.From(page.Damage)));
        }

        if (decode)
        {
            if (header.Kind != PageKind.Bucket)
            {
                session.Line($"A {header.Kind} page holds no key/value records.");
            }
            else
            {
                var table = Session.Table("slot", "offset", "key", "key group", "value length", "value");
                foreach (BucketRecordInfo e in entries)
                {
                    string group = Fmt.Inv(e.KeyGroup) + (header.KeyGroup == e.KeyGroup ? "" : $" (page is {header.KeyGroup?.ToString(CultureInfo.InvariantCulture) ?? "store-wide"}!)");
                    Session.Row(table, Fmt.Inv(e.Slot), Fmt.Inv(e.Offset), Fmt.Key(e.Key), group, Fmt.Num(e.ValueLength),
                        e.Value is null ? $"in blob chain from page {e.FirstBlobPage}" : Fmt.Preview(e.Value));
                }

                session.Write(table);
                session.Line($"{entries.Count} record(s).");
            }

            foreach (string problem in problems)
            {
                session.Line($"problem: {problem}");
            }
        }

        if (hex)
        {
            foreach (string line in Fmt.HexDump(page.Bytes))
            {
                session.Line(line);
            }
        }
    }

    private sealed record RecordInfo(
        long File, string FileName, long Offset, long WrittenBy, string Kind, uint Version, int? KeyGroup, string GranuleMask, string MaskBar, int Bytes,
        string Checksum, string? Problem);
}
