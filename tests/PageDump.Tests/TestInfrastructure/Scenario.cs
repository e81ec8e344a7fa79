using System.Text;
using Snapshot;
using Snapshot.Catalog;
using Store;

namespace PageDump.Tests.TestInfrastructure;

/// <summary>
/// Checkpoint directories made by the real store and checkpointer, built once per test run and
/// read by many tests; a test that damages files works on a <see cref="Copy"/>.
/// </summary>
public sealed class Scenario
{
    public const string Shard = "store";

    private static readonly Lazy<Scenario> ChainScenario = new(BuildChain);
    private static readonly Lazy<Scenario> TwoShardScenario = new(BuildTwoShards);
    private static readonly List<TempDirectory> Made = [];

    static Scenario()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            lock (Made)
            {
                foreach (TempDirectory dir in Made)
                {
                    dir.Dispose();
                }
            }
        };
    }

    private Scenario(string directory, IReadOnlyDictionary<long, Dictionary<string, byte[]>> models)
    {
        Directory = directory;
        Models = models;
    }

    /// <summary>
    /// Shard "store" (4 KiB pages, 128 key groups): checkpoint 1 full (3,000 keys), 2 incremental
    /// (every 7th value rewritten), 3 incremental (400 keys added, every 11th deleted), all confirmed;
    /// 4 incremental (every 13th rewritten), written but not confirmed.
    /// </summary>
    public static Scenario Chain => ChainScenario.Value;

    /// <summary>Shards "alpha" and "beta" in one directory, each with checkpoint 1 full and 2 incremental, confirmed.</summary>
    public static Scenario TwoShards => TwoShardScenario.Value;

    public string Directory { get; }

    /// <summary>The store's content at each checkpoint, by key.</summary>
    public IReadOnlyDictionary<long, Dictionary<string, byte[]>> Models { get; }

    public static byte[] Value(int key, int revision) => Encoding.ASCII.GetBytes($"rev{revision}:user-{key}:".PadRight(40, '.'));

    public static string Key(int key) => $"user-{key}";

    /// <summary>A copy of the scenario's files in a fresh directory, to damage.</summary>
    public TempDirectory Copy()
    {
        var copy = new TempDirectory();
        foreach (string file in System.IO.Directory.EnumerateFiles(Directory))
        {
            File.Copy(file, Path.Combine(copy.Path, Path.GetFileName(file)));
        }

        return copy;
    }

    public ShardCatalog Catalog(string shard = Shard) => CatalogReader.Read(new ShardFiles(Directory, shard)).Catalog;

    /// <summary>The path of checkpoint <paramref name="id"/>'s own data file in <paramref name="directory"/>.</summary>
    public string DataFileOf(long id, string? directory = null, string shard = Shard)
    {
        ShardCatalog catalog = Catalog(shard);
        return new ShardFiles(directory ?? Directory, shard).DataPath(catalog.Checkpoint(new CheckpointId(id))!.OwnFile);
    }

    private static TempDirectory NewDirectory()
    {
        var dir = new TempDirectory("pagedump-scenario");
        lock (Made)
        {
            Made.Add(dir);
        }

        return dir;
    }

    private static Scenario BuildChain()
    {
        TempDirectory dir = NewDirectory();
        var models = new Dictionary<long, Dictionary<string, byte[]>>();
        var model = new Dictionary<string, byte[]>();
        using StateStore store = StateStore.Open();
        using Checkpointer checkpoints = Checkpointer.Open(store, new CheckpointOptions { Directory = dir.Path, Shard = Shard, RetainedCheckpoints = 8 });

        void Put(int k, int revision)
        {
            model[Key(k)] = Value(k, revision);
            store.Put(Encoding.ASCII.GetBytes(Key(k)), model[Key(k)]);
        }

        void Take(long id, bool confirm)
        {
            checkpoints.Barrier(new CheckpointId(id)).GetAwaiter().GetResult();
            if (confirm)
            {
                checkpoints.Confirm(new CheckpointId(id));
            }

            models[id] = new Dictionary<string, byte[]>(model);
        }

        for (int k = 0; k < 3000; k++)
        {
            Put(k, 1);
        }

        Take(1, confirm: true);
        for (int k = 0; k < 3000; k += 7)
        {
            Put(k, 2);
        }

        Take(2, confirm: true);
        for (int k = 3000; k < 3400; k++)
        {
            Put(k, 3);
        }

        for (int k = 0; k < 3000; k += 11)
        {
            store.Delete(Encoding.ASCII.GetBytes(Key(k)));
            model.Remove(Key(k));
        }

        Take(3, confirm: true);
        for (int k = 1; k < 3400; k += 13)
        {
            if (model.ContainsKey(Key(k)))
            {
                Put(k, 4);
            }
        }

        Take(4, confirm: false);
        return new Scenario(dir.Path, models);
    }

    private static Scenario BuildTwoShards()
    {
        TempDirectory dir = NewDirectory();
        foreach (string shard in new[] { "alpha", "beta" })
        {
            using StateStore store = StateStore.Open();
            using Checkpointer checkpoints = Checkpointer.Open(store, new CheckpointOptions { Directory = dir.Path, Shard = shard });
            for (int k = 0; k < 500; k++)
            {
                store.Put(Encoding.ASCII.GetBytes($"{shard}-{k}"), Value(k, 1));
            }

            checkpoints.Barrier(new CheckpointId(1)).GetAwaiter().GetResult();
            checkpoints.Confirm(new CheckpointId(1));
            for (int k = 0; k < 500; k += 5)
            {
                store.Put(Encoding.ASCII.GetBytes($"{shard}-{k}"), Value(k, 2));
            }

            checkpoints.Barrier(new CheckpointId(2)).GetAwaiter().GetResult();
            checkpoints.Confirm(new CheckpointId(2));
        }

        return new Scenario(dir.Path, new Dictionary<long, Dictionary<string, byte[]>>());
    }
}
