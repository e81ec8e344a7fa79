namespace Store.Perf;

/// <summary>The harness's command line: the stable CLI of issue 5.</summary>
internal sealed record PerfOptions
{
    public int Keys { get; init; } = 1_000_000;
    public int ValueSize { get; init; } = 8;
    public string Distribution { get; init; } = "uniform";
    public int OpsPerInterval { get; init; } = 10_000;
    public int Checkpoints { get; init; } = 50;
    public int Seed { get; init; } = 42;

    /// <summary>Store's <c>CheckpointOptions.MaxChainLength</c>; null keeps the library's default.</summary>
    public int? StoreMaxChain { get; init; }

    /// <summary>Checkpoint directory to keep for pagedump; null writes to a temporary directory deleted at the end.</summary>
    public string? KeepDir { get; init; }

    /// <summary>The backends to run, in order.</summary>
    public IReadOnlyList<string> Stores { get; init; } = ["store"];

    /// <summary>Where to write the results as JSON; null writes none.</summary>
    public string? Json { get; init; }

    /// <summary>
    /// Runs every backend in this process, one after another (<c>--in-process</c>). By default each
    /// backend of a multi-store run gets its own process, so its peak RSS, page cache and GC heap
    /// are not what an earlier backend left behind.
    /// </summary>
    public bool InProcess { get; init; }

    /// <summary>Internal (<c>--child-result PATH</c>): this process is one backend's child and writes its raw result there.</summary>
    public string? ChildResult { get; init; }

    /// <summary>Backends this build has; the others of the CLI are refused by name.</summary>
    public static readonly IReadOnlyList<string> Available = ["store", "full", "faster", "rocksdb", "lmdb"];

    public static PerfOptions Parse(string[] args)
    {
        var options = new PerfOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            options = name switch
            {
                "--keys" => options with { Keys = int.Parse(Value()) },
                "--value-size" => options with { ValueSize = int.Parse(Value()) },
                "--dist" => options with { Distribution = Value() is "uniform" or "zipf" ? args[i] : throw new ArgumentException("--dist is uniform or zipf") },
                "--ops-per-interval" => options with { OpsPerInterval = int.Parse(Value()) },
                "--checkpoints" => options with { Checkpoints = int.Parse(Value()) },
                "--seed" => options with { Seed = int.Parse(Value()) },
                "--keep-dir" => options with { KeepDir = Value() },
                "--stores" => options with { Stores = ParseStores(Value()) },
                "--json" => options with { Json = Value() },
                "--store-max-chain" => options with { StoreMaxChain = int.Parse(Value()) },
                "--in-process" => options with { InProcess = true },
                "--child-result" => options with { ChildResult = Value() },
                _ => throw new ArgumentException($"unknown option '{name}' (known: --keys --value-size --dist --ops-per-interval --checkpoints --stores --json --seed --keep-dir --store-max-chain --in-process)"),
            };
        }

        if (options.ChildResult is not null && options.Stores.Count != 1)
        {
            throw new ArgumentException("--child-result is the harness's own option for a child that runs one backend; give it with exactly one --stores entry");
        }

        if (options.ValueSize < 8)
        {
            throw new ArgumentException("--value-size must be at least 8 (updates increment the first 8 bytes)");
        }

        if (options.Stores.Contains("faster") && !Backends.FasterBackends.ValueSizes.Contains(options.ValueSize))
        {
            throw new ArgumentException(
                $"--stores faster runs with --value-size {string.Join(", ", Backends.FasterBackends.ValueSizes)} " +
                $"(FASTER keeps fixed-size values inline, one struct per size); {options.ValueSize} is not one of them");
        }

        return options;
    }

    /// <summary>The command line of a child that runs <paramref name="store"/> alone and writes its raw result to <paramref name="resultPath"/>.</summary>
    public IEnumerable<string> ChildArguments(string store, string resultPath)
    {
        string[] common =
        [
            "--keys", Number(Keys), "--value-size", Number(ValueSize), "--dist", Distribution,
            "--ops-per-interval", Number(OpsPerInterval), "--checkpoints", Number(Checkpoints), "--seed", Number(Seed),
            "--stores", store, "--child-result", resultPath,
        ];
        IEnumerable<string> arguments = common;
        if (KeepDir is not null && store == "store")
        {
            arguments = arguments.Concat(["--keep-dir", KeepDir]);
        }

        if (StoreMaxChain is int chain)
        {
            arguments = arguments.Concat(["--store-max-chain", Number(chain)]);
        }

        return arguments;

        static string Number(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string[] ParseStores(string list)
    {
        string[] stores = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (string store in stores)
        {
            if (!Available.Contains(store))
            {
                throw new ArgumentException($"--stores: unknown store '{store}' (known: {string.Join(", ", Available)})");
            }
        }

        return stores.Length > 0 ? stores : throw new ArgumentException("--stores needs at least one store");
    }
}
