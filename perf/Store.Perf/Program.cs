using Store.Perf;
using Store.Perf.Backends;

// The main job (issue 5): the same workload on each backend of --stores, one after another (each in
// its own child process when there are several, unless --in-process), then one table row each and,
// with --json, the stable JSON. Progress goes to stderr; the exit code is 0 only if every backend
// ran and its recovered state matched the model.
PerfOptions options;
try
{
    options = PerfOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

if (options.KeepDir is not null && Directory.Exists(options.KeepDir) && Directory.EnumerateFileSystemEntries(options.KeepDir).Any())
{
    Console.Error.WriteLine($"--keep-dir {options.KeepDir} is not empty; give a new or empty directory.");
    return 2;
}

Console.Error.WriteLine($"{string.Join(", ", options.Stores)}: {options.Keys:N0} keys, {options.ValueSize} B values, {options.Distribution}, " +
    $"{options.Checkpoints} intervals of {options.OpsPerInterval:N0} RMW, seed {options.Seed}");

var results = new List<RunResult>();
bool allRan = true;
bool ownProcesses = options.Stores.Count > 1 && !options.InProcess && options.ChildResult is null;
foreach (string name in options.Stores)
{
    RunResult? result = ownProcesses ? await BackendProcess.RunAsync(name, options) : await RunHere(name);
    if (result is null)
    {
        allRan = false;
        continue;
    }

    results.Add(result);
}

if (options.ChildResult is not null)
{
    RunResultFile.Write(options.ChildResult, results.Single());
    return results[0].Verified ? 0 : 1;
}

Console.WriteLine();
Console.WriteLine($"{options.Keys:N0} keys, {options.ValueSize} B values, {options.Distribution}, {options.Checkpoints} intervals of {options.OpsPerInterval:N0} RMW");
Console.WriteLine();
Console.WriteLine(RunResult.TableHeader);
foreach (RunResult result in results)
{
    Console.WriteLine(result.TableRow());
}

Console.WriteLine();
Console.WriteLine("Barrier pause: the barrier's synchronous part. Bytes: checkpoint files as written (headers, checksums included), every checkpoint after the first full one. " +
    "Write amplification: median over incremental checkpoints (over all, for a backend that never writes one) of bytes ÷ (distinct keys updated × (8 + value size)); " +
    "overall: all those checkpoints' bytes ÷ all logical change, so forced full checkpoints and compactions count. " +
    "Peak RSS: the peak of the process that ran that backend (its own process, unless --in-process ran them all in one).");
if (options.KeepDir is not null)
{
    Console.WriteLine($"Checkpoints kept in {options.KeepDir} (inspect with pagedump).");
}

if (options.Json is not null)
{
    ResultsJson.Write(options.Json, options, results);
    Console.Error.WriteLine($"results written to {options.Json}");
}

return allRan && results.All(r => r.Verified) ? 0 : 1;

async Task<RunResult> RunHere(string name)
{
    // --keep-dir keeps the store's checkpoints for pagedump; every other directory is temporary.
    bool keep = name == "store" && options.KeepDir is not null;
    string directory = keep ? options.KeepDir! : Path.Combine(Path.GetTempPath(), $"store-perf-{name}-{Guid.NewGuid():N}");
    Directory.CreateDirectory(directory);
    try
    {
        IStateBackend backend = name switch
        {
            "store" => new StoreBackend(directory, options.ValueSize, options.StoreMaxChain),
            "full" => new FullSnapshotBackend(directory, options.ValueSize),
            "faster" => FasterBackends.Create(directory, options.Keys, options.ValueSize),
            "rocksdb" => new RocksDbBackend(directory, options.ValueSize),
            "lmdb" => new LmdbBackend(directory, options.Keys, options.ValueSize),
            _ => throw new InvalidOperationException($"'{name}' passed option parsing but has no backend"),
        };
        return await Workload.Run(backend, options);
    }
    finally
    {
        if (!keep)
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
