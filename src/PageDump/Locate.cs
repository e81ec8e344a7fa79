using System.Globalization;
using Snapshot;
using Snapshot.Catalog;
using Snapshot.Reading;
using Store.Diagnostics;

namespace PageDump;

/// <summary>Turns the command line's DIR, --shard, ID and --key-group into catalogs and entries, with a usage error for anything not there.</summary>
internal static class Locate
{
    public static void RequireDirectory(string directory)
    {
        if (File.Exists(directory))
        {
            throw new UsageException($"'{directory}' is a file, not a checkpoint directory.");
        }

        if (!Directory.Exists(directory))
        {
            throw new UsageException($"Directory '{directory}' does not exist.");
        }
    }

    /// <summary>Every shard with a catalog in <paramref name="directory"/>; a usage error when there is none.</summary>
    public static IReadOnlyList<string> Shards(string directory)
    {
        RequireDirectory(directory);
        List<string> shards = [.. ShardFiles.ShardsIn(directory).Where(IsShardName)];
        if (shards.Count == 0)
        {
            throw new UsageException(Directory.EnumerateFileSystemEntries(directory).Any()
                ? $"Directory '{directory}' holds no checkpoints: there is no shard catalog (*.catalog) in it."
                : $"Directory '{directory}' is empty: it holds no checkpoints.");
        }

        return shards;
    }

    /// <summary>The shards a verb that reads all of them by default works on: all, or the one --shard names.</summary>
    public static IReadOnlyList<string> ShardsOrAll(string directory, string? shard) =>
        shard is null ? Shards(directory) : [Shard(directory, shard).Shard];

    /// <summary>The shard --shard names, else the only one; a usage error listing the shards when there are several.</summary>
    public static ShardFiles Shard(string directory, string? shard)
    {
        IReadOnlyList<string> shards = Shards(directory);
        if (shard is not null)
        {
            if (!shards.Contains(shard, StringComparer.Ordinal))
            {
                throw new UsageException($"Directory '{directory}' has no shard '{shard}'; its shards are {List(shards)}.");
            }

            return new ShardFiles(directory, shard);
        }

        if (shards.Count > 1)
        {
            throw new UsageException($"Directory '{directory}' holds {shards.Count} shards ({List(shards)}); choose one with --shard.");
        }

        return new ShardFiles(directory, shards[0]);
    }

    /// <summary>Reads a shard's catalog; a damaged slot (bit rot, or a torn write after a crash) is reported as corruption and the other slot used.</summary>
    public static ShardCatalog Catalog(Session session, ShardFiles files)
    {
        CatalogReadResult read = CatalogReader.Read(files);
        foreach (StoreCorruptedException damaged in read.DamagedSlots)
        {
            session.Corruption(damaged, $"shard '{files.Shard}' (using catalog revision {read.Catalog.Revision}, the other slot)");
        }

        return read.Catalog;
    }

    /// <summary>The entry an ID argument names: a positive number, or "latest" for the newest confirmed checkpoint.</summary>
    public static CheckpointEntry Checkpoint(ShardCatalog catalog, string text)
    {
        CheckpointId? id = ParseId(text);
        if (catalog.Checkpoints.IsEmpty)
        {
            throw new UsageException($"Shard '{catalog.Shard}' has no checkpoints yet.");
        }

        return CheckpointRestorer.Select(catalog, id); // CheckpointNotFoundException (exit 2) lists the ones there are
    }

    public static CheckpointId? ParseId(string text)
    {
        if (string.Equals(text, "latest", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value <= 0)
        {
            throw new UsageException($"'{text}' is not a checkpoint id: give a positive number, or 'latest' for the newest confirmed checkpoint.");
        }

        return new CheckpointId(value);
    }

    /// <summary>Parses --key-group: "G" or an inclusive range "A-B", checked against the shard's key-group count.</summary>
    public static KeyGroupRange? KeyGroups(string? text, ShardCatalog catalog)
    {
        if (text is null)
        {
            return null;
        }

        string[] parts = text.Split('-', 2);
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int from) ||
            !int.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out int to) || to < from)
        {
            throw new UsageException($"--key-group '{text}' is not a key group or a range such as 4-9.");
        }

        if (to >= catalog.MaxParallelism)
        {
            throw new UsageException($"--key-group '{text}' is out of range: shard '{catalog.Shard}' has key groups 0 to {catalog.MaxParallelism - 1}.");
        }

        return new KeyGroupRange(from, to);
    }

    public static string List(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"'{n}'"));

    private static bool IsShardName(string name)
    {
        try
        {
            ShardFiles.ValidateShard(name);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

/// <summary>An inclusive range of key groups; store-wide pages (key group 0xFFFF) are in none.</summary>
internal readonly record struct KeyGroupRange(int From, int To)
{
    public bool Contains(int keyGroup) => keyGroup >= From && keyGroup <= To;

    public override string ToString() => From == To ? From.ToString(CultureInfo.InvariantCulture) : $"{From}-{To}";
}
