namespace Store.Diagnostics;

/// <summary>Another store instance (in this or another process) holds the directory's lock file.</summary>
public sealed class StoreDirectoryInUseException(string directory, string lockFile, Exception inner)
    : IOException(
        $"The store directory '{directory}' is in use by another store instance " +
        $"(its lock file '{lockFile}' is held). Dispose that store first or use another directory.", inner)
{
    public string Directory { get; } = directory;
}
