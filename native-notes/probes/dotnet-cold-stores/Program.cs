// What one store into a cold object costs, a reference against a long, after the caches and TLB
// were swept (as 100k random updates sweep them before a checkpoint barrier). A reference store
// goes through the GC's write barrier, which may read and mark the card table for the slot; the
// question is whether that adds cold lines of its own. See ../../cold-access.md.
//
//   native-notes/probes/run-dotnet-cold-stores.sh      (≈1 minute)
using System.Diagnostics;
using System.Runtime;
using System.Runtime.CompilerServices;

const int Holders = 1 << 16;
const int Samples = 1500;
var holders = new Holder[Holders];
for (int i = 0; i < holders.Length; i++)
{
    holders[i] = new Holder();
}

var old = new object();
GC.Collect();
GC.Collect(); // holders and `old` are now in the oldest generation
byte[] sweep = new byte[64 << 20];
var rng = new Random(42);
string[] names =
[
    "read a long of a cold object",
    "store a long into a cold object",
    "store an old reference into a cold object",
    "store a young reference into a cold object",
    "store longs into 3 cold objects",
    "store young references into 3 cold objects",
    "return a young reference through an out parameter (a stack slot)",
];
var samples = new List<double>[names.Length];
for (int m = 0; m < names.Length; m++)
{
    samples[m] = [];
}

long sink = 0;
for (int s = 0; s < Samples; s++)
{
    for (int m = 0; m < names.Length; m++)
    {
        object young = new(); // allocated now: in gen0, as a shell prepared since the last GC would be
        Holder a = holders[rng.Next(Holders)], b = holders[rng.Next(Holders)], c = holders[rng.Next(Holders)];
        sink += Sweep(sweep);
        Stopwatch.GetTimestamp(); // the clock's own line warm, so the timed reads below are not the cold ones
        long start = Stopwatch.GetTimestamp();
        switch (m)
        {
            case 0: sink += ReadLong(a); break;
            case 1: StoreLong(a); break;
            case 2: StoreRef(a, old); break;
            case 3: StoreRef(a, young); break;
            case 4: StoreLongs(a, b, c); break;
            case 5: StoreRefs(a, b, c, young); break;
            case 6: StoreOut(young, out object? result); GC.KeepAlive(result); break;
        }

        long end = Stopwatch.GetTimestamp();
        samples[m].Add(Stopwatch.GetElapsedTime(start, end).TotalNanoseconds);
    }
}

Console.WriteLine($"# {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, .NET {Environment.Version}, {Environment.ProcessorCount} CPUs, GC {(GCSettings.IsServerGC ? "server" : "workstation")}; {Samples} samples each, interleaved, after a 64 MiB sweep");
Console.WriteLine("| operation (one call, not inlined) | median ns | p90 ns |");
Console.WriteLine("|---|---:|---:|");
for (int m = 0; m < names.Length; m++)
{
    samples[m].Sort();
    Console.WriteLine($"| {names[m]} | {samples[m][Samples / 2]:F0} | {samples[m][Samples * 9 / 10]:F0} |");
}

GC.KeepAlive(sink);

static long Sweep(byte[] bytes)
{
    long sum = 0;
    for (int i = 0; i < bytes.Length; i += 64)
    {
        sum += bytes[i]++;
    }

    return sum;
}

[MethodImpl(MethodImplOptions.NoInlining)]
static long ReadLong(Holder h) => h.Number;

[MethodImpl(MethodImplOptions.NoInlining)]
static void StoreLong(Holder h) => h.Number = 1;

[MethodImpl(MethodImplOptions.NoInlining)]
static void StoreRef(Holder h, object value) => h.Reference = value;

[MethodImpl(MethodImplOptions.NoInlining)]
static void StoreOut(object value, out object? result) => result = value;

[MethodImpl(MethodImplOptions.NoInlining)]
static void StoreLongs(Holder a, Holder b, Holder c)
{
    a.Number = 1;
    b.Number = 1;
    c.Number = 1;
}

[MethodImpl(MethodImplOptions.NoInlining)]
static void StoreRefs(Holder a, Holder b, Holder c, object value)
{
    a.Reference = value;
    b.Reference = value;
    c.Reference = value;
}

sealed class Holder
{
    public object? Reference;
    public long Number;
    private readonly byte[] _padding = new byte[200]; // spreads holders over more lines and cards
}
