using System.Reflection;
using System.Runtime.Loader;

namespace Store.Benchmarks.Index;

/// <summary>
/// Another build of these benchmarks (and so of Store), loaded into this process beside the
/// current one: <c>--kv-paired --baseline DIR</c>. DIR is the output directory of a Release build
/// of Store.Benchmarks at some other commit (perf/ab-baseline.sh makes one from a git revision).
/// </summary>
/// <remarks>
/// <para>Why: on these shared VMs two processes run one after the other differ by 10–50%, more than
/// most changes do, so builds can only be compared round by round inside one process. Before this,
/// that needed a temporary switch in Store's hot path.</para>
/// <para>How: the baseline's assemblies go into their own <see cref="AssemblyLoadContext"/>, which
/// resolves every assembly it finds in DIR from there (Store, FASTER, the benchmarks) and leaves the
/// rest (the framework) shared. Its <see cref="KeyValueBenchmarks"/> is driven through delegates
/// of framework types, so nothing of the two builds' own types crosses between them.</para>
/// </remarks>
internal sealed class BaselineBuild
{
    private readonly object _benchmarks;
    private readonly Type _type;

    private BaselineBuild(object benchmarks, Type type)
    {
        _benchmarks = benchmarks;
        _type = type;
        Get = Operation("StoreGet");
        Put = Operation("StorePut");
        Rmw = Operation("StoreRmw");
    }

    public Func<int, int, long> Get { get; }

    public Func<int, int, long> Put { get; }

    public Func<int, int, long> Rmw { get; }

    public static BaselineBuild Load(string directory, long keySpace, long loadedKeys)
    {
        string path = Path.GetFullPath(Path.Combine(directory, "Store.Benchmarks.dll"));
        if (!File.Exists(path))
        {
            throw new ArgumentException($"--baseline {directory}: no Store.Benchmarks.dll there (give the output directory of a Release build).");
        }

        var context = new BuildLoadContext(Path.GetDirectoryName(path)!);
        Assembly assembly = context.LoadFromAssemblyPath(path);
        Type type = assembly.GetType(typeof(KeyValueBenchmarks).FullName!, throwOnError: true)!;
        object benchmarks = Activator.CreateInstance(type)!;
        if (keySpace != loadedKeys)
        {
            PropertyInfo property = type.GetProperty(nameof(KeyValueBenchmarks.KeySpace), BindingFlags.Instance | BindingFlags.NonPublic)
                ?? throw new ArgumentException($"--baseline {directory}: that build has no --key-space; run without it.");
            property.SetValue(benchmarks, keySpace);
        }

        return new BaselineBuild(benchmarks, type);
    }

    public void Setup() => Invoke(nameof(KeyValueBenchmarks.SetupStore));

    public void Cleanup() => Invoke(nameof(KeyValueBenchmarks.CleanupStore));

    private void Invoke(string name) => _type.GetMethod(name, BindingFlags.Instance | BindingFlags.Public)!.Invoke(_benchmarks, null);

    private Func<int, int, long> Operation(string name)
    {
        MethodInfo method = _type.GetMethod(name, BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException($"the baseline build has no {name}(int, int)");
        return method.CreateDelegate<Func<int, int, long>>(_benchmarks);
    }

    private sealed class BuildLoadContext(string directory) : AssemblyLoadContext($"baseline {directory}")
    {
        protected override Assembly? Load(AssemblyName name)
        {
            string candidate = Path.Combine(directory, name.Name + ".dll");
            return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
        }
    }
}
