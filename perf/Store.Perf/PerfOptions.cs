namespace Store.Perf;

/// <summary>The harness's command line (a subset of the stable CLI in issue 5; more stores come with it).</summary>
internal sealed record PerfOptions
{
    public int Keys { get; init; } = 1_000_000;
    public int ValueSize { get; init; } = 8;
    public string Distribution { get; init; } = "uniform";
    public int OpsPerInterval { get; init; } = 10_000;
    public int Checkpoints { get; init; } = 50;
    public int Seed { get; init; } = 42;

    /// <summary>Checkpoint directory to keep for pagedump; null writes to a temporary directory deleted at the end.</summary>
    public string? KeepDir { get; init; }

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
                _ => throw new ArgumentException($"unknown option '{name}' (known: --keys --value-size --dist --ops-per-interval --checkpoints --seed --keep-dir)"),
            };
        }

        if (options.ValueSize < 8)
        {
            throw new ArgumentException("--value-size must be at least 8 (updates increment the first 8 bytes)");
        }

        return options;
    }
}
