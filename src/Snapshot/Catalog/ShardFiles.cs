using System.Globalization;

namespace Snapshot.Catalog;

/// <summary>
/// File names of one shard inside a checkpoint directory. Every name starts with the shard, so
/// several stores share a directory without touching each other's files:
/// <code>
/// {shard}.catalog                the A/B-slot catalog (commit point)
/// {shard}.lock                   held by the one process writing the shard
/// {shard}.{id:D12}.ckd           data file with that DataFileId
/// </code>
/// </summary>
public sealed class ShardFiles
{
    public const string CatalogSuffix = ".catalog";
    public const string DataSuffix = ".ckd";

    public ShardFiles(string directory, string shard)
    {
        ValidateShard(shard);
        Directory = directory;
        Shard = shard;
        CatalogPath = Path.Combine(directory, shard + CatalogSuffix);
        LockPath = Path.Combine(directory, shard + ".lock");
    }

    public string Directory { get; }

    public string Shard { get; }

    public string CatalogPath { get; }

    public string LockPath { get; }

    public string DataPath(DataFileId id) => Path.Combine(Directory, $"{Shard}.{id.Value.ToString("D12", CultureInfo.InvariantCulture)}{DataSuffix}");

    /// <summary>Data files of this shard present on disk, by id (whatever the catalog says).</summary>
    public IEnumerable<DataFileId> DataFilesOnDisk()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            yield break;
        }

        foreach (string path in System.IO.Directory.EnumerateFiles(Directory, Shard + ".*" + DataSuffix))
        {
            string name = Path.GetFileName(path);
            string middle = name[(Shard.Length + 1)..^DataSuffix.Length];
            if (middle.Length == 12 && long.TryParse(middle, NumberStyles.None, CultureInfo.InvariantCulture, out long id))
            {
                yield return new DataFileId(id);
            }
        }
    }

    /// <summary>Shards with a catalog in <paramref name="directory"/>, sorted.</summary>
    public static IReadOnlyList<string> ShardsIn(string directory)
    {
        var shards = new List<string>();
        foreach (string path in System.IO.Directory.EnumerateFiles(directory, "*" + CatalogSuffix))
        {
            shards.Add(Path.GetFileName(path)[..^CatalogSuffix.Length]);
        }

        shards.Sort(StringComparer.Ordinal);
        return shards;
    }

    /// <summary>Shard names are 1–64 characters of [A-Za-z0-9_-]: safe in file names on every platform and free of the '.' separator.</summary>
    public static void ValidateShard(string shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        if (shard.Length is 0 or > 64 || !shard.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            throw new ArgumentException($"Shard name '{shard}' must be 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'.", nameof(shard));
        }
    }
}
