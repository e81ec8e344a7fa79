using System.Reflection;
using System.Runtime.InteropServices;
using LightningDB;

namespace Store.Perf.Backends;

/// <summary>
/// Points LightningDB at the LMDB that this project builds from the sources the package ships
/// (Store.Perf.csproj, target BuildLmdb), instead of the package's prebuilt library, which needs
/// glibc 2.38 where these machines have 2.36.
/// </summary>
internal static class LmdbLibrary
{
    /// <summary>Where the build puts it, beside the harness.</summary>
    public static string BuiltPath => Path.Combine(AppContext.BaseDirectory, "lmdb-native", "liblmdb.so");

    private static int _installed;

    /// <summary>Installs the resolver once, before LightningDB's first call into LMDB.</summary>
    public static void EnsureLoaded()
    {
        if (!File.Exists(BuiltPath))
        {
            throw new InvalidOperationException(
                $"lmdb: {BuiltPath} is missing. The build compiles it from LightningDB's LMDB sources with 'cc'; " +
                "install a C compiler (apt-get install gcc) and rebuild perf/Store.Perf.");
        }

        if (Interlocked.Exchange(ref _installed, 1) == 0)
        {
            NativeLibrary.SetDllImportResolver(typeof(LightningEnvironment).Assembly, Resolve);
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        name == "lmdb" ? NativeLibrary.Load(BuiltPath) : IntPtr.Zero;
}
