using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Snapshot;
using Snapshot.Catalog;
using Snapshot.Format;
using Snapshot.Reading;
using Store.Diagnostics;

namespace PageDump.Verbs;

/// <summary>
/// <c>pagedump verify DIR [ID]</c>: every checksum, length and chain link of every checkpoint (or
/// of one), and every reference between the catalog and the data files, streaming each file once.
/// Exit code 3 and one row per damaged structure (file, offset, page) when anything is wrong.
/// </summary>
internal static class VerifyVerb
{
    public static Command Create(Session session)
    {
        Argument<string> dir = Common.Directory();
        Argument<string?> id = new("ID") { Description = "Only this checkpoint's chain ('latest': the newest confirmed); default: every checkpoint.", Arity = ArgumentArity.ZeroOrOne };
        Option<string?> shard = Common.Shard("Only this shard (default: every shard in the directory).");
        Option<bool> deep = new("--deep") { Description = "Also rebuild every page of every checkpoint in scope, as a restore would (record order, extents); reads each chain again." };
        Option<bool> progress = new("--progress") { Description = "Report progress on stderr from the start (default: only once a run has taken 2 seconds)." };
        Option<bool> json = Common.Json();
        var command = new Command("verify", "Checks every checksum and every catalog reference. Exit 0 clean, 3 corruption found (each bad page listed), 2 usage error, 1 other failure.")
        {
            dir, id, shard, deep, progress, json,
        };
        command.SetAction(parse => PageDumpApp.Guard(session, parse, json, () => Run(
            session, parse.GetValue(dir)!, parse.GetValue(id), parse.GetValue(shard), parse.GetValue(deep), parse.GetValue(progress))));
        return command;
    }

    private static void Run(Session session, string directory, string? idText, string? shardName, bool deep, bool alwaysProgress)
    {
        IReadOnlyList<string> shardNames = Locate.ShardsOrAll(directory, shardName);
        CheckpointId? wanted = idText is null ? null : Locate.ParseId(idText);
        var reports = new List<ShardReport>();
        var reporter = new ProgressReporter(session.Err, alwaysProgress);
        foreach (string name in shardNames)
        {
            var files = new ShardFiles(directory, name);
            if (Verify(session, files, idText, wanted, deep, reporter, explicitShard: shardNames.Count == 1) is { } report)
            {
                reports.Add(report);
            }
        }

        if (idText is not null && reports.Count == 0)
        {
            throw new UsageException($"No shard in '{directory}' has checkpoint {idText} (shards: {Locate.List(shardNames)}).");
        }

        bool clean = reports.All(r => r.Clean);
        if (session.Json)
        {
            session.WriteJson(new { directory, clean, shards = reports });
            return;
        }

        var table = Session.Table("shard", "checkpoints", "files", "records", "bytes", "result");
        foreach (ShardReport r in reports)
        {
            Session.Row(table, r.Shard, r.Checkpoints.Count == 0 ? "none" : string.Join(", ", r.Checkpoints), Fmt.Inv(r.Files), Fmt.Num(r.Records), Fmt.Num(r.Bytes),
                r.Error is { } error ? $"not read: {error}" : r.Clean ? "clean" : $"{r.Damage.Count} problem(s)");
        }

        session.Write(table);
        if (!clean)
        {
            var damage = Session.Table("shard", "file", "offset", "page", "problem");
            foreach (ShardReport r in reports)
            {
                foreach (Damage d in r.Damage)
                {
                    Session.Row(damage, r.Shard, d.File is null ? "-" : Path.GetFileName(d.File), Fmt.Inv(d.Offset), d.Page is { } p ? Fmt.Inv(p) : "-", d.Detail);
                }
            }

            session.Write(damage);
        }

        foreach (ShardReport r in reports)
        {
            foreach (string note in r.Notes)
            {
                session.Line($"note: shard '{r.Shard}': {note}");
            }
        }

        int problems = reports.Sum(r => r.Damage.Count);
        session.Line(clean
            ? $"Clean: every checksum and reference of {reports.Sum(r => r.Checkpoints.Count)} checkpoint(s) in {reports.Count} shard(s) verified."
            : problems > 0 ? $"Corruption: {problems} problem(s) found." : "Not verified: see the message above.");
    }

    /// <summary>Verifies one shard; null when an id was asked for and this shard (one of several) lacks it.</summary>
    private static ShardReport? Verify(Session session, ShardFiles files, string? idText, CheckpointId? wanted, bool deep, ProgressReporter reporter, bool explicitShard)
    {
        var damage = new List<StoreCorruptedException>();
        var notes = new List<string>();
        ShardCatalog catalog;
        try
        {
            catalog = CatalogReader.Read(files).Catalog; // damaged slots: CheckpointVerifier lists them below
        }
        catch (StoreCorruptedException e)
        {
            session.MarkCorruption();
            return new ShardReport(files.Shard, [], 0, 0, 0, false, null, [Damage.From(e)], ["neither catalog slot is readable: no checkpoint of this shard can be found"]);
        }
        catch (UnsupportedFormatException e)
        {
            session.Failure($"shard '{files.Shard}': its catalog is format version {e.FoundVersion}; this pagedump reads version {e.SupportedVersion}.");
            return new ShardReport(files.Shard, [], 0, 0, 0, false, $"format version {e.FoundVersion}", [], []);
        }

        CheckpointEntry[] scope;
        if (idText is null)
        {
            scope = [.. catalog.Checkpoints];
        }
        else if (explicitShard)
        {
            scope = [Locate.Checkpoint(catalog, idText)]; // unknown id: exit 2
        }
        else if ((wanted is { } id ? catalog.Checkpoint(id) : catalog.NewestConfirmed) is { } found)
        {
            scope = [found];
        }
        else
        {
            return null;
        }

        CheckpointId? only = idText is null ? null : scope[0].Id;
        long total = scope.SelectMany(e => e.Chain).Distinct().Sum(f => catalog.File(f)?.Length ?? 0);
        reporter.Start(files.Shard, total);
        VerificationReport report;
        try
        {
            report = CheckpointVerifier.Verify(files, only, reporter);
            damage.AddRange(report.Damage);
            damage.AddRange(ManifestVerifier.Verify(files, catalog, only));
            if (deep)
            {
                foreach (CheckpointEntry entry in scope)
                {
                    using CheckpointPageReader pages = CheckpointPageReader.Open(files, catalog, entry);
                    while (pages.MoveNext())
                    {
                    }

                    damage.AddRange(pages.Damage);
                }
            }
        }
        catch (UnsupportedFormatException e)
        {
            session.Failure($"shard '{files.Shard}': '{e.File}' is format version {e.FoundVersion}; this pagedump reads version {e.SupportedVersion}.");
            return new ShardReport(files.Shard, [.. scope.Select(c => c.Id.Value)], 0, 0, 0, false, $"'{Path.GetFileName(e.File)}' is format version {e.FoundVersion}", [], []);
        }
        finally
        {
            reporter.Finish();
        }

        // The same damage is met by several passes (and by several chains sharing a file): list it once.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        List<StoreCorruptedException> unique = [.. damage.Where(d => seen.Add(d.Message))];
        if (unique.Count > 0)
        {
            session.MarkCorruption();
        }

        if (catalog.Checkpoints.IsEmpty)
        {
            notes.Add("the catalog holds no checkpoints yet: nothing to verify");
        }

        var registered = catalog.Files.Select(f => f.Id).ToHashSet();
        foreach (DataFileId leftover in files.DataFilesOnDisk().Where(f => !registered.Contains(f)).Order())
        {
            string path = files.DataPath(leftover);
            long length = new FileInfo(path).Length;
            notes.Add(length == 0
                ? $"{Path.GetFileName(path)} is the writer's empty file for its next checkpoint"
                : $"{Path.GetFileName(path)} ({Fmt.Num(length)} bytes) is registered by no checkpoint: a crash's leftover, deleted when the shard is next opened");
        }

        return new ShardReport(files.Shard, [.. scope.Select(e => e.Id.Value)], report.Files, report.Records, report.Bytes, unique.Count == 0, null,
            Damage.From(unique), notes);
    }

    private sealed record ShardReport(
        string Shard, IReadOnlyList<long> Checkpoints, int Files, long Records, long Bytes, bool Clean, string? Error, IReadOnlyList<Damage> Damage,
        IReadOnlyList<string> Notes);

    /// <summary>Progress lines on stderr: from the start with --progress, otherwise only once a run has taken 2 seconds, then at most one a second.</summary>
    private sealed class ProgressReporter(TextWriter err, bool always) : IProgress<long>
    {
        private readonly Stopwatch _run = Stopwatch.StartNew();
        private readonly Stopwatch _shardTime = new();
        private TimeSpan _last = TimeSpan.MinValue;
        private string _shard = "";
        private long _total;
        private bool _printed;

        public void Start(string shard, long total)
        {
            (_shard, _total, _printed) = (shard, total, false);
            _shardTime.Restart();
        }

        public void Report(long value)
        {
            TimeSpan now = _run.Elapsed;
            if (!always && (now < TimeSpan.FromSeconds(2) || now - _last < TimeSpan.FromSeconds(1)))
            {
                return;
            }

            _last = now;
            _printed = true;
            string percent = _total > 0 ? string.Create(CultureInfo.InvariantCulture, $" ({100.0 * value / _total:0}%)") : "";
            err.WriteLine($"pagedump: verifying shard '{_shard}': {Mib(value)} of {Mib(_total)}{percent}");
        }

        public void Finish()
        {
            if (_printed)
            {
                err.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pagedump: verified shard '{_shard}' ({Mib(_total)}) in {_shardTime.Elapsed.TotalSeconds:0.0} s"));
            }
        }

        private static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):0.0} MiB");
    }
}
