using System.CommandLine;
using System.Numerics;
using Snapshot.Catalog;
using Snapshot.Reading;
using Store.Diagnostics;

namespace PageDump.Verbs;

/// <summary>
/// <c>pagedump pages DIR ID</c>: one row per page record of the checkpoint's own data file, or with
/// --changed-since, one row per page whose bytes differ from another checkpoint's.
/// </summary>
internal static class PagesVerb
{
    public static Command Create(Session session)
    {
        Argument<string> dir = Common.Directory();
        Argument<string> id = Common.Checkpoint();
        Option<string?> shard = Common.Shard();
        Option<string?> keyGroup = new("--key-group") { Description = "Only pages of this key group, or of a range such as 4-9 (store-wide pages are left out).", HelpName = "G" };
        Option<string?> since = new("--changed-since") { Description = "Instead of the own file's records: the pages whose bytes differ from this checkpoint's.", HelpName = "ID" };
        Option<bool> json = Common.Json();
        var command = new Command("pages", "One row per page record of a checkpoint's own file: page, key group, kind, version, granule mask, bytes, checksum.")
        {
            dir, id, shard, keyGroup, since, json,
        };
        command.SetAction(parse => PageDumpApp.Guard(session, parse, json, () => Run(
            session, parse.GetValue(dir)!, parse.GetValue(id)!, parse.GetValue(shard), parse.GetValue(keyGroup), parse.GetValue(since))));
        return command;
    }

    private static void Run(Session session, string directory, string idText, string? shardName, string? keyGroupText, string? sinceText)
    {
        ShardFiles files = Locate.Shard(directory, shardName);
        ShardCatalog catalog = Locate.Catalog(session, files);
        CheckpointEntry entry = Locate.Checkpoint(catalog, idText);
        KeyGroupRange? groups = Locate.KeyGroups(keyGroupText, catalog);
        CheckpointEntry? since = sinceText is null ? null : Locate.Checkpoint(catalog, sinceText);
        var damage = new List<StoreCorruptedException>();
        if (since is not null)
        {
            ChangedSince(session, files, catalog, entry, since, groups, damage);
        }
        else
        {
            OwnRecords(session, files, catalog, entry, groups, damage);
        }
    }

    private static void OwnRecords(Session session, ShardFiles files, ShardCatalog catalog, CheckpointEntry entry, KeyGroupRange? groups, List<StoreCorruptedException> damage)
    {
        string path = files.DataPath(entry.OwnFile);
        var rows = new List<RecordRow>();
        try
        {
            using DataFileReader reader = DataFileReader.Open(path, catalog.File(entry.OwnFile)?.Length, continuePastDamagedRecords: true);
            while (reader.MoveNext())
            {
                var r = reader.Current;
                StoreCorruptedException? bad = reader.CurrentDamage;
                if (bad is not null)
                {
                    damage.Add(bad);
                }
                else if (groups is { } range && !range.Contains(r.KeyGroup))
                {
                    continue; // damaged records are listed whatever key group they claim
                }

                rows.Add(new RecordRow(r.Page.Value, Fmt.KeyGroupOrNull(r.KeyGroup), Fmt.Kind(r.Kind), r.Version, Fmt.Mask(r.GranuleMask),
                    Fmt.AsciiBar(r.GranuleMask), BitOperations.PopCount(r.GranuleMask), r.PayloadLength, reader.CurrentOffset,
                    bad is null ? "ok" : "bad", bad?.Detail, r.StoredLength));
            }
        }
        catch (StoreCorruptedException e)
        {
            damage.Add(e); // the file could not be opened, or its framing broke: rows so far are still shown
        }

        damage.AddRange(ChainCheck.UnreadableBaseFiles(files, catalog, entry));
        Report(session, damage, entry);
        if (session.Json)
        {
            session.WriteJson(new
            {
                shard = files.Shard,
                checkpoint = entry.Id.Value,
                file = Path.GetFileName(path),
                keyGroups = groups?.ToString(),
                changedSince = (long?)null,
                rows,
                damage = Damage.From(damage),
            });
            return;
        }

        var table = Session.Table("page", "key group", "kind", "version", "granules", "bytes", "stored", "checksum");
        foreach (RecordRow row in rows)
        {
            Session.Row(table, Fmt.Inv(row.Page), row.KeyGroup is { } g ? Fmt.Inv(g) : "store-wide", row.Kind, Fmt.Inv(row.Version),
                Fmt.Bar(Convert.ToUInt64(row.GranuleMask, 16)), Fmt.Num(row.Bytes), Fmt.Num(row.StoredBytes), row.Checksum == "ok" ? "ok" : $"BAD: {row.Problem}");
        }

        session.Write(table);
        session.Line($"{Fmt.Num(rows.Count)} record(s) of {Path.GetFileName(path)} ({entry.Id.Value}, {Fmt.Kind(entry.Kind)})" +
            (groups is { } shown ? $" in key group(s) {shown}" : "") +
            $": {Fmt.Num(rows.Sum(r => (long)r.Bytes))} payload bytes, {Fmt.Num(rows.Sum(r => (long)r.StoredBytes))} stored, {rows.Count(r => r.Checksum != "ok")} damaged. " +
            "Granules: █ all set, ▒ some, · none; one character per 2 granules of " + Fmt.Num(catalog.PageSize / 64) + " bytes.");
    }

    private static void ChangedSince(
        Session session, ShardFiles files, ShardCatalog catalog, CheckpointEntry entry, CheckpointEntry since, KeyGroupRange? groups, List<StoreCorruptedException> damage)
    {
        var rows = new List<ChangedRow>();
        PageComparison.Compare(files, catalog, since, entry, change =>
        {
            if (groups is { } range && !range.Contains(change.KeyGroup) && !change.Damaged)
            {
                return;
            }

            rows.Add(new ChangedRow(change.Page, Fmt.KeyGroupOrNull(change.KeyGroup), change.Change, change.Version, Fmt.Mask(change.Granules),
                Fmt.AsciiBar(change.Granules), BitOperations.PopCount(change.Granules), change.ChangedBytes, change.Damaged ? "bad" : "ok"));
        }, damage);
        Report(session, damage, entry);
        if (session.Json)
        {
            session.WriteJson(new
            {
                shard = files.Shard,
                checkpoint = entry.Id.Value,
                file = (string?)null,
                keyGroups = groups?.ToString(),
                changedSince = since.Id.Value,
                rows,
                damage = Damage.From(damage),
            });
            return;
        }

        var table = Session.Table("page", "key group", "change", "version", "granules changed", "bytes changed", "checksum");
        foreach (ChangedRow row in rows)
        {
            Session.Row(table, Fmt.Inv(row.Page), row.KeyGroup is { } g ? Fmt.Inv(g) : "store-wide", row.Change, row.Version is { } v ? Fmt.Inv(v) : "-",
                Fmt.Bar(Convert.ToUInt64(row.GranuleMask, 16)), Fmt.Num(row.ChangedBytes), row.Checksum == "ok" ? "ok" : "BAD");
        }

        session.Write(table);
        session.Line($"{Fmt.Num(rows.Count)} page(s) differ between {since.Id.Value} and {entry.Id.Value}" +
            (groups is { } shown ? $" in key group(s) {shown}" : "") + $": {Fmt.Num(rows.Sum(r => (long)r.ChangedBytes))} bytes.");
    }

    private static void Report(Session session, List<StoreCorruptedException> damage, Snapshot.Catalog.CheckpointEntry entry)
    {
        foreach (StoreCorruptedException e in damage)
        {
            session.Corruption(e, $"{entry.Id}");
        }
    }

    private sealed record RecordRow(
        uint Page, int? KeyGroup, string Kind, uint Version, string GranuleMask, string MaskBar, int Granules, int Bytes, long Offset, string Checksum, string? Problem,
        int StoredBytes);

    private sealed record ChangedRow(
        uint Page, int? KeyGroup, string Change, uint? Version, string GranuleMask, string MaskBar, int Granules, int ChangedBytes, string Checksum);
}
