using System.CommandLine;
using Snapshot;
using Snapshot.Catalog;
using Snapshot.Format;
using Snapshot.Reading;
using Store.Diagnostics;

namespace PageDump.Verbs;

/// <summary>
/// <c>pagedump manifest DIR ID</c>: a checkpoint's catalog entry, the files of its chain with their
/// registry entries, headers and trailers, its page index (every record of the chain), and key-group ranges.
/// </summary>
internal static class ManifestVerb
{
    public static Command Create(Session session)
    {
        Argument<string> dir = Common.Directory();
        Argument<string> id = Common.Checkpoint();
        Option<string?> shard = Common.Shard();
        Option<bool> full = new("--full") { Description = "List the whole page index in the table (JSON always has it)." };
        Option<bool> json = Common.Json();
        var command = new Command("manifest", "A checkpoint's catalog entry: its chain of files, page index (page -> file, offset, kind, bytes) and key-group ranges.")
        {
            dir, id, shard, full, json,
        };
        command.SetAction(parse => PageDumpApp.Guard(session, parse, json,
            () => Run(session, parse.GetValue(dir)!, parse.GetValue(id)!, parse.GetValue(shard), parse.GetValue(full))));
        return command;
    }

    private static void Run(Session session, string directory, string idText, string? shardName, bool full)
    {
        ShardFiles files = Locate.Shard(directory, shardName);
        ShardCatalog catalog = Locate.Catalog(session, files);
        CheckpointEntry entry = Locate.Checkpoint(catalog, idText);
        var index = new List<IndexRow>();
        var chain = new List<ChainFile>();
        var damage = new List<StoreCorruptedException>();
        for (int i = 0; i < entry.Chain.Length; i++)
        {
            chain.Add(ReadFile(files, catalog, entry.Chain[i], i, index, damage));
        }

        damage.AddRange(ManifestVerifier.Verify(files, catalog, entry.Id));
        foreach (StoreCorruptedException e in damage)
        {
            session.Corruption(e, $"{entry.Id}");
        }

        int[] groups = [.. index.Where(r => r.KeyGroup is not null).Select(r => r.KeyGroup!.Value).Distinct().Order()];
        var keyGroups = new KeyGroupSummary(groups.Length > 0 ? groups[0] : null, groups.Length > 0 ? groups[^1] : null, groups.Length,
            index.Count(r => r.KeyGroup is null));
        var checkpoint = new EntryInfo(
            entry.Id.Value, Fmt.Kind(entry.Kind), entry.Base.IsNone ? null : entry.Base.Value, entry.Confirmed, entry.Version, entry.PageCount,
            entry.Created, entry.Bytes, entry.Pages, entry.Granules, entry.ChainBytes(catalog), [.. entry.Chain.Select(f => f.Value)]);
        if (session.Json)
        {
            session.WriteJson(new ManifestJson(files.Shard, catalog.Revision, catalog.PageSize, catalog.MaxParallelism, checkpoint, chain, keyGroups, index,
                Damage.From(damage)));
            return;
        }

        var grid = new List<(string Name, string Value)>();
        void Pair(string name, string value) => grid.Add((name, value));
        Pair("shard", files.Shard);
        Pair("checkpoint", $"{entry.Id.Value} ({Fmt.Kind(entry.Kind)}{(entry.Base.IsNone ? "" : $" on {entry.Base.Value}")}, {(entry.Confirmed ? "confirmed" : "not confirmed")})");
        Pair("created", Fmt.Time(entry.Created));
        Pair("state", $"{Fmt.Num(entry.PageCount)} pages of {Fmt.Num(catalog.PageSize)} bytes, {catalog.MaxParallelism} key groups, store version {entry.Version}");
        Pair("own file", $"{Fmt.Num(entry.Pages)} pages, {Fmt.Num(entry.Granules)} granules, {Fmt.Num(entry.Bytes)} bytes");
        Pair("restore reads", $"{entry.Chain.Length} file(s), {Fmt.Num(checkpoint.ChainBytes)} bytes");
        Pair("catalog", $"revision {catalog.Revision}, {catalog.Checkpoints.Length} checkpoint(s), {catalog.Files.Length} file(s) registered");
        Pair("key groups", keyGroups.Min is null
            ? $"none ({keyGroups.StoreWideRecords} store-wide records)"
            : $"{keyGroups.Min}-{keyGroups.Max}: {keyGroups.Distinct} with records, plus {keyGroups.StoreWideRecords} store-wide records");
        session.Pairs(grid);
        session.Line();

        var filesTable = Session.Table("#", "file", "created by", "last used by", "length", "records", "full", "granules", "extents", "pages", "key groups (trailer)", "key groups (records)", "status");
        foreach (ChainFile f in chain)
        {
            RecordSummary? r = f.Records;
            Session.Row(filesTable, Fmt.Inv(f.Position), f.Name, Fmt.Inv(f.CreatedBy), Fmt.Inv(f.LastUsedBy), Fmt.Num(f.Length),
                r is null ? "?" : Fmt.Num(r.Count), r is null ? "" : Fmt.Num(r.Full), r is null ? "" : Fmt.Num(r.Granules), r is null ? "" : Fmt.Num(r.Extents),
                r?.MinPage is { } lo ? $"{lo}-{r.MaxPage}" : "-",
                f.Trailer is null ? "?" : Range(f.Trailer.MinKeyGroup, f.Trailer.MaxKeyGroup),
                r is null ? "?" : Range(r.MinKeyGroup, r.MaxKeyGroup),
                f.Status == "ok" ? "ok" : $"{f.Status}: {f.Problem}");
        }

        session.Write(filesTable);
        int distinctPages = index.Select(r => r.Page).Distinct().Count();
        session.Line($"Page index: {Fmt.Num(index.Count)} records over {Fmt.Num(distinctPages)} distinct pages" +
            (full ? "." : "; --full lists every record, --json always does."));
        if (full)
        {
            var table = Session.Table("page", "file", "offset", "kind", "bytes", "key group", "checksum");
            foreach (IndexRow row in index)
            {
                Session.Row(table, Fmt.Inv(row.Page), Fmt.Inv(row.File), Fmt.Inv(row.Offset), row.Kind, Fmt.Num(row.Bytes),
                    row.KeyGroup is { } g ? Fmt.Inv(g) : "store-wide", row.Checksum);
            }

            session.Write(table);
        }

        if (damage.Count > 0)
        {
            session.Line("Damage:");
            session.Write(Damage.Table(Damage.From(damage)));
        }
    }

    private static string Range(int? min, int? max) => min is null ? "none" : min == max ? Fmt.Inv(min.Value) : $"{min}-{max}";

    private static ChainFile ReadFile(ShardFiles files, ShardCatalog catalog, DataFileId id, int position, List<IndexRow> index, List<StoreCorruptedException> damage)
    {
        string path = files.DataPath(id);
        DataFileEntry registered = catalog.File(id)!; // the catalog was validated when read
        long? onDisk = File.Exists(path) ? new FileInfo(path).Length : null;
        HeaderInfo? header = null;
        TrailerInfo? trailer = null;
        RecordSummary? records = null;
        string status = "ok";
        string? problem = null;
        try
        {
            using DataFileReader reader = DataFileReader.Open(path, registered.Length, continuePastDamagedRecords: true);
            DataFileHeader h = reader.Header;
            DataFileTrailer t = reader.Trailer;
            header = new HeaderInfo(h.Checkpoint.Value, h.Base.IsNone ? null : h.Base.Value, Fmt.Kind(h.Kind), h.Version, h.PageCount, h.PageSize, h.MaxParallelism);
            trailer = new TrailerInfo(t.RecordCount, t.RecordBytes, t.Granules,
                t.MinKeyGroup == uint.MaxValue ? null : (int)t.MinKeyGroup, t.MinKeyGroup == uint.MaxValue ? null : (int)t.MaxKeyGroup, t.Pages);
            var summary = new RecordSummary();
            records = summary;
            try
            {
                while (reader.MoveNext())
                {
                    PageRecordHeader r = reader.Current;
                    int? group = Fmt.KeyGroupOrNull(r.KeyGroup);
                    StoreCorruptedException? bad = reader.CurrentDamage;
                    index.Add(new IndexRow(r.Page.Value, id.Value, reader.CurrentOffset, Fmt.Kind(r.Kind), r.PayloadLength, group, Fmt.Mask(r.GranuleMask),
                        bad is null ? "ok" : "bad", r.StoredLength));
                    summary.Add(r, group, bad is not null);
                    if (bad is not null)
                    {
                        damage.Add(bad);
                        status = "damaged";
                        problem = $"{summary.Damaged} damaged record(s)";
                    }
                }
            }
            catch (StoreCorruptedException e)
            {
                damage.Add(e);
                (status, problem) = ("damaged", $"unreadable after {summary.Count} records: {e.Detail}");
            }
        }
        catch (StoreCorruptedException e)
        {
            damage.Add(e);
            (status, problem) = (onDisk is null ? "missing" : "damaged", e.Detail);
        }

        return new ChainFile(position, id.Value, Path.GetFileName(path), registered.CreatedBy.Value, registered.LastUsedBy.Value, registered.Length, onDisk,
            status, problem, header, trailer, records);
    }

    private sealed record ManifestJson(
        string Shard, long CatalogRevision, int PageSize, int MaxParallelism, EntryInfo Checkpoint, IReadOnlyList<ChainFile> Files,
        KeyGroupSummary KeyGroups, IReadOnlyList<IndexRow> PageIndex, IReadOnlyList<Damage> Damage);

    private sealed record EntryInfo(
        long Id, string Kind, long? BaseId, bool Confirmed, uint Version, uint PageCount, DateTimeOffset Created, long Bytes, long Pages, long Granules,
        long ChainBytes, IReadOnlyList<long> Chain);

    private sealed record ChainFile(
        int Position, long Id, string Name, long CreatedBy, long LastUsedBy, long Length, long? LengthOnDisk, string Status, string? Problem,
        HeaderInfo? Header, TrailerInfo? Trailer, RecordSummary? Records);

    private sealed record HeaderInfo(long CheckpointId, long? BaseId, string Kind, uint Version, uint PageCount, int PageSize, int MaxParallelism);

    private sealed record TrailerInfo(long RecordCount, long RecordBytes, long Granules, int? MinKeyGroup, int? MaxKeyGroup, long Pages);

    private sealed record KeyGroupSummary(int? Min, int? Max, int Distinct, int StoreWideRecords);

    private sealed record IndexRow(uint Page, long File, long Offset, string Kind, int Bytes, int? KeyGroup, string GranuleMask, string Checksum, int StoredBytes);

    private sealed class RecordSummary
    {
        public long Count { get; private set; }

        public long Full { get; private set; }

        public long Granules { get; private set; }

        public long Extents { get; private set; }

        public long Damaged { get; private set; }

        public uint? MinPage { get; private set; }

        public uint? MaxPage { get; private set; }

        public int? MinKeyGroup { get; private set; }

        public int? MaxKeyGroup { get; private set; }

        public long StoreWide { get; private set; }

        public void Add(PageRecordHeader record, int? keyGroup, bool damaged)
        {
            Count++;
            Damaged += damaged ? 1 : 0;
            switch (record.Kind)
            {
                case PageRecordKind.FullPage: Full++; break;
                case PageRecordKind.Granules: Granules++; break;
                case PageRecordKind.Extents: Extents++; break;
            }

            if (damaged)
            {
                return; // its page id and key group are only claimed
            }

            MinPage = Math.Min(MinPage ?? uint.MaxValue, record.Page.Value);
            MaxPage = Math.Max(MaxPage ?? 0, record.Page.Value);
            if (keyGroup is { } g)
            {
                MinKeyGroup = Math.Min(MinKeyGroup ?? int.MaxValue, g);
                MaxKeyGroup = Math.Max(MaxKeyGroup ?? 0, g);
            }
            else
            {
                StoreWide++;
            }
        }
    }
}
