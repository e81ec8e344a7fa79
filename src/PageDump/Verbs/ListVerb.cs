using System.CommandLine;
using Snapshot;
using Snapshot.Catalog;
using Snapshot.Format;
using Snapshot.Reading;
using Store.Diagnostics;

namespace PageDump.Verbs;

/// <summary><c>pagedump list DIR</c>: every checkpoint of every shard, one row each.</summary>
internal static class ListVerb
{
    public static Command Create(Session session)
    {
        Argument<string> dir = Common.Directory();
        Option<string?> shard = Common.Shard("Only this shard (default: every shard in the directory).");
        Option<bool> json = Common.Json();
        var command = new Command("list", "Every checkpoint of every shard: id, kind, base, confirmed, page records, granules, bytes, created time, format version.")
        {
            dir, shard, json,
        };
        command.SetAction(parse => PageDumpApp.Guard(session, parse, json, () => Run(session, parse.GetValue(dir)!, parse.GetValue(shard))));
        return command;
    }

    private static void Run(Session session, string directory, string? shardName)
    {
        var shards = new List<ShardListing>();
        foreach (string shard in Locate.ShardsOrAll(directory, shardName))
        {
            shards.Add(ListShard(session, new ShardFiles(directory, shard)));
        }

        if (session.Json)
        {
            session.WriteJson(new { directory, shards });
            return;
        }

        var table = Session.Table("shard", "id", "kind", "base", "confirmed", "chain", "pages", "granules", "bytes", "created (UTC)", "format", "file");
        foreach (ShardListing listing in shards)
        {
            foreach (CheckpointRow c in listing.Checkpoints)
            {
                Session.Row(table, c.Shard, Fmt.Inv(c.Id), c.Kind, c.BaseId is { } b ? Fmt.Inv(b) : "-", c.Confirmed ? "yes" : "no",
                    Fmt.Inv(c.ChainLength), Fmt.Num(c.Pages), Fmt.Num(c.Granules), Fmt.Num(c.Bytes), Fmt.Time(c.Created),
                    c.FormatVersion is { } v ? Fmt.Inv(v) : "?", c.FileStatus == "ok" ? "ok" : $"{c.FileStatus}: {c.FileProblem}");
            }
        }

        session.Write(table);
        foreach (ShardListing listing in shards.Where(s => s.Error is null && s.Checkpoints.Count == 0))
        {
            session.Line($"Shard '{listing.Shard}' has no checkpoints yet.");
        }
    }

    private static ShardListing ListShard(Session session, ShardFiles files)
    {
        ShardCatalog catalog;
        try
        {
            catalog = Locate.Catalog(session, files);
        }
        catch (StoreCorruptedException e)
        {
            session.Corruption(e, $"shard '{files.Shard}'");
            return new ShardListing(files.Shard, null, null, null, e.Message, []);
        }
        catch (UnsupportedFormatException e)
        {
            session.Failure($"shard '{files.Shard}': its catalog is format version {e.FoundVersion}; this pagedump reads version {e.SupportedVersion}.");
            return new ShardListing(files.Shard, null, null, null, e.Message, []);
        }

        var rows = new List<CheckpointRow>();
        foreach (CheckpointEntry entry in catalog.Checkpoints)
        {
            string path = files.DataPath(entry.OwnFile);
            uint? format = null;
            string status = "ok";
            string? problem = null;
            try
            {
                using DataFileReader reader = DataFileReader.Open(path, catalog.File(entry.OwnFile)?.Length);
                format = reader.Header.Format;
            }
            catch (UnsupportedFormatException e)
            {
                (format, status, problem) = (e.FoundVersion, "newer-format", $"format version {e.FoundVersion}");
                session.Failure($"shard '{files.Shard}', {entry.Id}: '{path}' is format version {e.FoundVersion}; this pagedump reads version {e.SupportedVersion}.");
            }
            catch (StoreCorruptedException e)
            {
                (status, problem) = (File.Exists(path) ? "damaged" : "missing", e.Detail);
                session.Corruption(e, $"shard '{files.Shard}', {entry.Id}");
            }

            rows.Add(new CheckpointRow(
                files.Shard, entry.Id.Value, Fmt.Kind(entry.Kind), entry.Base.IsNone ? null : entry.Base.Value, entry.Confirmed, entry.Chain.Length,
                entry.Pages, entry.Granules, entry.Bytes, entry.PageCount, entry.Version, entry.Created, format, Path.GetFileName(path), status, problem));
        }

        return new ShardListing(files.Shard, catalog.Revision, catalog.PageSize, catalog.MaxParallelism, null, rows);
    }

    private sealed record ShardListing(string Shard, long? Revision, int? PageSize, int? MaxParallelism, string? Error, IReadOnlyList<CheckpointRow> Checkpoints);

    private sealed record CheckpointRow(
        string Shard, long Id, string Kind, long? BaseId, bool Confirmed, int ChainLength, long Pages, long Granules, long Bytes,
        uint PageCount, uint Version, DateTimeOffset Created, uint? FormatVersion, string File, string FileStatus, string? FileProblem);
}
