using System.Collections.Concurrent;
using Store.Versioning;
using Xunit.Abstractions;

namespace Store.Tests.Versioning;

/// <summary>
/// Model-based: millions of random operations against a Dictionary model, with freezes at random
/// points. Each frozen version is checked against a copy of the model taken at its freeze instant,
/// on another thread, while the writer keeps going.
/// </summary>
public sealed class FrozenVersionModelTests(ITestOutputHelper output)
{
    private const int Seed = 20261123;

    [Fact]
    [Trait("Category", "Stress")]
    public void EveryFrozenVersionReadOnAnotherThreadEqualsTheModelAtItsFreezeInstant()
    {
        RunModel(Seed, operations: 2_000_000, keySpace: 20_000, new StoreOptions { MaxParallelism = 32 });
    }

    [Fact]
    [Trait("Category", "Stress")]
    public void FrozenVersionsStayExactWithLargePagesAndLargeValues()
    {
        RunModel(Seed + 1, operations: 300_000, keySpace: 3_000,
            new StoreOptions { PageSize = 16384, MaxParallelism = 4, MaxFrozenVersions = 3 }, largeValueEvery: 50);
    }

    private void RunModel(int seed, int operations, int keySpace, StoreOptions options, int largeValueEvery = 2_000)
    {
        output.WriteLine($"seed {seed}, {operations} operations over {keySpace} keys, page size {options.PageSize}");
        var random = new Random(seed);
        var model = new Dictionary<string, byte[]>();
        using var store = StateStore.Open(options);
        using var pending = new BlockingCollection<(FrozenVersion Version, Dictionary<string, byte[]> Expected)>();
        var failures = new ConcurrentQueue<string>();
        int verified = 0;
        var reader = Task.Factory.StartNew(() =>
        {
            foreach ((FrozenVersion version, Dictionary<string, byte[]> expected) in pending.GetConsumingEnumerable())
            {
                try
                {
                    string? problem = Compare(version, expected);
                    if (problem is not null)
                    {
                        failures.Enqueue($"{version}: {problem}");
                    }

                    Interlocked.Increment(ref verified);
                }
                finally
                {
                    version.Release();
                }
            }
        }, TaskCreationOptions.LongRunning);

        int freezes = 0;
        int declined = 0;
        for (int op = 0; op < operations; op++)
        {
            string key = "k" + random.Next(keySpace);
            byte[] keyBytes = System.Text.Encoding.UTF8.GetBytes(key);
            int dice = random.Next(100);
            if (dice < 55)
            {
                byte[] value = RandomValue(random, op % largeValueEvery == 0);
                store.Put(keyBytes, value);
                model[key] = value;
            }
            else if (dice < 70)
            {
                Assert.Equal(model.Remove(key), store.Delete(keyBytes));
            }
            else if (dice < 85)
            {
                var increment = new StateStoreTests.AddToCounter(random.Next(1, 1000));
                store.ReadModifyWrite(keyBytes, ref increment);
                byte[] expected = new byte[8];
                long current = model.TryGetValue(key, out byte[]? old) && old.Length >= 8 ? BitConverter.ToInt64(old) : 0;
                BitConverter.TryWriteBytes(expected, current + increment.Delta);
                model[key] = expected;
            }
            else
            {
                byte[]? actual = store.Get(keyBytes);
                model.TryGetValue(key, out byte[]? expected);
                Assert.Equal(expected, actual);
            }

            if (random.Next(operations / 40) == 0)
            {
                if (store.TryFreeze(out FrozenVersion? frozen))
                {
                    freezes++;
                    pending.Add((frozen, new Dictionary<string, byte[]>(model)));
                }
                else
                {
                    declined++;
                }
            }
        }

        pending.CompleteAdding();
        reader.Wait();
        output.WriteLine($"{freezes} freezes verified concurrently ({verified}), {declined} declined at the cap, {store.Statistics}");
        Assert.Empty(failures);
        Assert.True(freezes >= 10, $"the run froze often enough to mean something ({freezes})");
        Assert.Equal(model.Count, store.Count);
        foreach ((string key, byte[] value) in model)
        {
            Assert.Equal(value, store.Get(System.Text.Encoding.UTF8.GetBytes(key)));
        }
    }

    private static byte[] RandomValue(Random random, bool large)
    {
        int length = large ? random.Next(600, 70_000) : random.Next(1, 40) switch
        {
            < 20 => 8,
            < 30 => random.Next(1, 16),
            _ => random.Next(16, 300),
        };
        byte[] value = new byte[length];
        random.NextBytes(value);
        if (length >= 8 && random.Next(2) == 0)
        {
            value.AsSpan(0, 8).Clear();
        }

        return value;
    }

    /// <summary>Checks both directions: every model key reads back, and enumeration yields exactly the model.</summary>
    private static string? Compare(FrozenVersion version, Dictionary<string, byte[]> expected)
    {
        if (version.Count != expected.Count)
        {
            return $"count {version.Count}, model has {expected.Count}";
        }

        foreach ((string key, byte[] value) in expected)
        {
            byte[]? actual = version.Get(System.Text.Encoding.UTF8.GetBytes(key));
            if (actual is null || !actual.AsSpan().SequenceEqual(value))
            {
                return $"key {key}: got {(actual is null ? "nothing" : $"{actual.Length} bytes")}, model has {value.Length} bytes";
            }
        }

        int seen = 0;
        foreach (var entry in version.GetEntries())
        {
            string key = System.Text.Encoding.UTF8.GetString(entry.Key);
            if (!expected.TryGetValue(key, out byte[]? value) || !entry.Value.SequenceEqual(value))
            {
                return $"enumeration yields {key}, which the model does not hold with that value";
            }

            seen++;
        }

        return seen == expected.Count ? null : $"enumeration yields {seen} entries, model has {expected.Count}";
    }
}
