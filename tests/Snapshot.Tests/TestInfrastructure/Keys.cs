using System.Buffers.Binary;
using Store;

namespace Snapshot.Tests.TestInfrastructure;

/// <summary>Keys, values and whole-store comparisons shared by the checkpoint tests.</summary>
public static class Keys
{
    public static byte[] Key(long i)
    {
        byte[] key = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(key, i);
        return key;
    }

    /// <summary>A value whose bytes depend on the key and a revision, so a stale value never passes for a new one.</summary>
    public static byte[] Value(long key, long revision, int length)
    {
        byte[] value = new byte[length];
        var random = new Random(unchecked((int)(key * 1_000_003 + revision * 7_919))); // not HashCode: it is seeded per process
        random.NextBytes(value);
        BinaryPrimitives.WriteInt64LittleEndian(value, revision);
        return value;
    }

    /// <summary>Ids from <paramref name="from"/> up to (not including) <paramref name="to"/>, every <paramref name="step"/>.</summary>
    public static IEnumerable<long> Ids(long from, long to, long step = 1)
    {
        for (long id = from; id < to; id += step)
        {
            yield return id;
        }
    }

    /// <summary>Puts <see cref="Value"/>(id, revision, length(id)) under each id, in the store and in the model.</summary>
    public static void PutAll(StateStore store, IDictionary<long, byte[]> model, IEnumerable<long> ids, long revision, Func<long, int> length)
    {
        foreach (long id in ids)
        {
            model[id] = Value(id, revision, length(id));
            store.Put(Key(id), model[id]);
        }
    }

    /// <summary>Asserts the store holds exactly the model: same keys, same values, same count.</summary>
    public static void AssertEqual(IReadOnlyDictionary<long, byte[]> model, StateStore store, string context)
    {
        Assert.True(model.Count == store.Count, $"{context}: store holds {store.Count} entries, model {model.Count}");
        foreach ((long key, byte[] value) in model)
        {
            byte[]? actual = store.Get(Key(key));
            Assert.True(actual is not null, $"{context}: key {key} is missing");
            Assert.True(value.AsSpan().SequenceEqual(actual), $"{context}: key {key} has a different value");
        }
    }
}
