namespace TestInfrastructure;

/// <summary>
/// A fresh directory under the system temp path, deleted with everything in it on dispose.
/// Linked into every test project (see their .csproj).
/// </summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "store-tests")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
