using System.CommandLine;
using Snapshot.Catalog;
using Snapshot.Reading;
using Store;
using Store.Diagnostics;
using Store.Index;

namespace PageDump.Verbs;

/// <summary>
/// <c>pagedump diff DIR A B</c>: the keys (both checkpoints restored into in-memory stores and
/// compared entry by entry) and the pages (both chains streamed side by side) that differ.
/// </summary>
internal static class DiffVerb
{
    public static Command Create(Session session)
    {
        Argument<string> dir = Common.Directory();
        Argument<string> a = Common.Checkpoint("A", "The older checkpoint id (or 'latest').");
        Argument<string> b = Common.Checkpoint("B", "The newer checkpoint id (or 'latest').");
        Option<string?> shard = Common.Shard();
        Option<string?> keyGroup = new("--key-group") { Description = "Only keys and pages of this key group, or of a range such as 4-9.", HelpName = "G" };
        Option<int> limit = new("--limit") { Description = "Rows of keys and of pages shown in the tables (JSON has all).", DefaultValueFactory = _ => 50, HelpName = "N" };
        Option<bool> json = Common.Json();
        var command = new Command("diff", "The keys and pages that differ between two checkpoints.")
        {
            dir, a, b, shard, keyGroup, limit, json,
        };
        command.SetAction(parse => PageDumpApp.Guard(session, parse, json, () => Run(
            session, parse.GetValue(dir)!, parse.GetValue(a)!, parse.GetValue(b)!, parse.GetValue(shard), parse.GetValue(keyGroup), parse.GetValue(limit))));
        return command;
    }

    private static void Run(Session session, string directory, string aText, string bText, string? shardName, string? keyGroupText, int limit)
    {
        if (limit < 0)
        {
            throw new UsageException("--limit must be 0 or more.");
        }

        ShardFiles files = Locate.Shard(directory, shardName);
        ShardCatalog catalog = Locate.Catalog(session, files);
        CheckpointEntry a = Locate.Checkpoint(catalog, aText);
        CheckpointEntry b = Locate.Checkpoint(catalog, bText);
        KeyGroupRange? groups = Locate.KeyGroups(keyGroupText, catalog);
        var damage = new List<StoreCorruptedException>();

        var pages = new List<PageChange>();
        PageComparison.Compare(files, catalog, a, b, change =>
        {
            if (groups is not { } range || range.Contains(change.KeyGroup) || change.Damaged)
            {
                pages.Add(change);
            }
        }, damage);

        List<KeyChange>? keys = CompareKeys(session, files, catalog, a, b, groups, damage);
        foreach (StoreCorruptedException e in damage)
        {
            session.Corruption(e, $"diff {a.Id.Value} {b.Id.Value}");
        }

        var pageRows = pages.Select(p => new PageRow(p.Page, Fmt.KeyGroupOrNull(p.KeyGroup), p.Change, Fmt.Mask(p.Granules), Fmt.AsciiBar(p.Granules),
            p.ChangedBytes, p.Damaged ? "bad" : "ok")).ToList();
        var summary = new Summary(
            keys?.Count(k => k.Change == "added"), keys?.Count(k => k.Change == "removed"), keys?.Count(k => k.Change == "changed"),
            pages.Count, pages.Sum(p => (long)p.ChangedBytes));
        if (session.Json)
        {
            session.WriteJson(new
            {
                shard = files.Shard,
                from = a.Id.Value,
                to = b.Id.Value,
                keyGroups = groups?.ToString(),
                summary,
                keys,
                pages = pageRows,
                damage = Damage.From(damage),
            });
            return;
        }

        session.Line($"Shard '{files.Shard}', checkpoint {a.Id.Value} -> {b.Id.Value}" + (groups is { } g ? $", key group(s) {g}" : "") + ":");
        if (keys is null)
        {
            session.Line("keys: not compared, because a checkpoint could not be restored (see the damage below).");
        }
        else
        {
            session.Line($"keys: {summary.KeysAdded} added, {summary.KeysRemoved} removed, {summary.KeysChanged} changed.");
            if (keys.Count > 0 && limit > 0)
            {
                var table = Session.Table("key", "key group", "change", $"value at {a.Id.Value}", $"value at {b.Id.Value}");
                foreach (KeyChange k in keys.Take(limit))
                {
                    Session.Row(table, k.KeyText is { } t ? $"\"{t}\"" : "0x" + k.Key, Fmt.Inv(k.KeyGroup), k.Change, Preview(k.Before, k.BeforeLength), Preview(k.After, k.AfterLength));
                }

                session.Write(table);
                if (keys.Count > limit)
                {
                    session.Line($"... and {keys.Count - limit} more key(s) (--limit, or --json for all).");
                }
            }
        }

        session.Line($"pages: {pages.Count} differ, {Fmt.Num(summary.ChangedBytes)} bytes.");
        if (pages.Count > 0 && limit > 0)
        {
            var table = Session.Table("page", "key group", "change", "granules changed", "bytes changed", "checksum");
            foreach (PageRow p in pageRows.Take(limit))
            {
                Session.Row(table, Fmt.Inv(p.Page), p.KeyGroup is { } kg ? Fmt.Inv(kg) : "store-wide", p.Change, Fmt.Bar(Convert.ToUInt64(p.GranuleMask, 16)),
                    Fmt.Num(p.ChangedBytes), p.Checksum == "ok" ? "ok" : "BAD");
            }

            session.Write(table);
            if (pages.Count > limit)
            {
                session.Line($"... and {pages.Count - limit} more page(s) (--limit, or --json for all).");
            }
        }

        if (damage.Count > 0)
        {
            session.Write(Damage.Table(Damage.From(damage)));
        }
    }

    private static string Preview(string? hex, int? length) =>
        hex is null ? "-" : $"{Fmt.Preview(Convert.FromHexString(hex))} ({Fmt.Num(length ?? 0)} bytes)";

    /// <summary>Restores both checkpoints into in-memory stores and compares them entry by entry; null when either cannot be restored.</summary>
    private static List<KeyChange>? CompareKeys(
        Session session, ShardFiles files, ShardCatalog catalog, CheckpointEntry a, CheckpointEntry b, KeyGroupRange? groups, List<StoreCorruptedException> damage)
    {
        var options = new StoreOptions { PageSize = catalog.PageSize, MaxParallelism = catalog.MaxParallelism };
        StateStore? before = null, after = null;
        try
        {
            before = Restore(files, catalog, a, options, damage);
            after = Restore(files, catalog, b, options, damage);
            if (before is null || after is null)
            {
                return null;
            }

            int from = groups?.From ?? 0, to = groups is { } g ? g.To + 1 : int.MaxValue;
            var changes = new List<KeyChange>();
            foreach (StoreEntry entry in before.GetEntries(from, to))
            {
                byte[]? now = after.Get(entry.Key);
                if (now is null)
                {
                    changes.Add(Change(entry.Key, entry.KeyGroup, "removed", entry.Value, null));
                }
                else if (!entry.Value.SequenceEqual(now))
                {
                    changes.Add(Change(entry.Key, entry.KeyGroup, "changed", entry.Value, now));
                }
            }

            foreach (StoreEntry entry in after.GetEntries(from, to))
            {
                if (!before.TryGetValueLength(entry.Key, out _))
                {
                    changes.Add(Change(entry.Key, entry.KeyGroup, "added", null, entry.Value));
                }
            }

            changes.Sort((x, y) => x.KeyGroup != y.KeyGroup ? x.KeyGroup.CompareTo(y.KeyGroup) : string.CompareOrdinal(x.Key, y.Key));
            return changes;
        }
        finally
        {
            before?.Dispose();
            after?.Dispose();
        }
    }

    private static StateStore? Restore(ShardFiles files, ShardCatalog catalog, CheckpointEntry entry, StoreOptions options, List<StoreCorruptedException> damage)
    {
        try
        {
            return CheckpointRestorer.Restore(files, catalog, entry, options);
        }
        catch (StoreCorruptedException e)
        {
            if (!damage.Any(d => d.Message == e.Message))
            {
                damage.Add(e);
            }

            return null;
        }
    }

    private static KeyChange Change(ReadOnlySpan<byte> key, int keyGroup, string change, ReadOnlySpan<byte> before, ReadOnlySpan<byte> after) => new(
        Fmt.Hex(key), Fmt.Printable(key), keyGroup, change,
        change == "added" ? null : Fmt.Hex(before), change == "added" ? null : before.Length,
        change == "removed" ? null : Fmt.Hex(after), change == "removed" ? null : after.Length);

    private sealed record KeyChange(string Key, string? KeyText, int KeyGroup, string Change, string? Before, int? BeforeLength, string? After, int? AfterLength);

    private sealed record PageRow(uint Page, int? KeyGroup, string Change, string GranuleMask, string MaskBar, int ChangedBytes, string Checksum);

    private sealed record Summary(int? KeysAdded, int? KeysRemoved, int? KeysChanged, int PagesChanged, long ChangedBytes);
}
