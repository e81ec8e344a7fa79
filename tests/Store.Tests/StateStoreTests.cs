using System.Buffers.Binary;
using System.Text;

namespace Store.Tests;

public sealed class StateStoreTests
{
    private static byte[] Key(int i) => Encoding.UTF8.GetBytes($"key-{i}");

    [Fact]
    public void PutThenGetReturnsTheValue()
    {
        using var store = StateStore.Open();
        store.Put("a"u8, "one"u8);
        Assert.Equal("one"u8.ToArray(), store.Get("a"u8));
        Assert.Null(store.Get("b"u8));
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void OverwritingAKeyReplacesItsValueWhateverTheNewLength()
    {
        using var store = StateStore.Open();
        store.Put("k"u8, "short"u8);
        store.Put("k"u8, "a much longer value than before"u8);
        Assert.Equal("a much longer value than before"u8.ToArray(), store.Get("k"u8));
        store.Put("k"u8, "x"u8);
        Assert.Equal("x"u8.ToArray(), store.Get("k"u8));
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void DeleteRemovesOnlyThatKey()
    {
        using var store = StateStore.Open();
        store.Put("a"u8, "1"u8);
        store.Put("b"u8, "2"u8);
        Assert.True(store.Delete("a"u8));
        Assert.False(store.Delete("a"u8));
        Assert.Null(store.Get("a"u8));
        Assert.Equal("2"u8.ToArray(), store.Get("b"u8));
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void HundredThousandKeysSurviveSplitsAndAreAllFound()
    {
        using var store = StateStore.Open();
        const int n = 100_000;
        Span<byte> value = stackalloc byte[8];
        for (int i = 0; i < n; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(value, i * 7L);
            store.Put(Key(i), value);
        }

        Assert.Equal(n, store.Count);
        for (int i = 0; i < n; i++)
        {
            Assert.True(store.TryGet(Key(i), value, out int length), $"key {i} is found");
            Assert.Equal(8, length);
            Assert.Equal(i * 7L, BinaryPrimitives.ReadInt64LittleEndian(value));
        }
    }

    [Theory]
    [InlineData(513)]
    [InlineData(4096)]
    [InlineData(1 << 20)]
    [InlineData((1 << 20) + 12345)]
    public void ValuesUpToAndBeyondOneMebibyteRoundTripThroughBlobPages(int length)
    {
        using var store = StateStore.Open();
        byte[] value = new byte[length];
        new Random(length).NextBytes(value);
        store.Put("big"u8, value);
        Assert.Equal(value, store.Get("big"u8));

        value[length / 2] ^= 0xFF; // same length: rewritten in its chain
        store.Put("big"u8, value);
        Assert.Equal(value, store.Get("big"u8));

        byte[] shorter = value.AsSpan(0, length / 2 + 1).ToArray();
        store.Put("big"u8, shorter);
        Assert.Equal(shorter, store.Get("big"u8));
    }

    [Fact]
    public void ReadModifyWriteIncrementsACounterAndCreatesMissingKeys()
    {
        using var store = StateStore.Open();
        var increment = new AddToCounter(5);
        store.ReadModifyWrite("c"u8, ref increment);
        store.ReadModifyWrite("c"u8, ref increment);
        Assert.Equal(10L, BinaryPrimitives.ReadInt64LittleEndian(store.Get("c"u8)));
    }

    /// <remarks>
    /// At 4 KiB pages a value is inline up to 512 bytes and in a blob chain beyond; a read-modify-write
    /// computes a new value of up to 256 bytes on the stack and a longer one in a rented buffer. The
    /// lengths here cross each boundary growing and then shrinking, on both a same-length and a
    /// changed-length path, with a value that depends on every byte before it.
    /// </remarks>
    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public void ReadModifyWriteKeepsEveryByteAcrossTheStackRentedInlineAndBlobValueSizes(int rewritesPerLength)
    {
        using var store = StateStore.Open();
        byte[]? model = null;
        int[] lengths = [1, 8, 255, 256, 257, 511, 512, 513, 4000, 9000, 513, 512, 300, 256, 9, 1];
        foreach (int length in lengths)
        {
            for (int round = 0; round <= rewritesPerLength; round++)
            {
                var update = new Reshape(length, (byte)(length + round));
                store.ReadModifyWrite("k"u8, ref update);
                Assert.Equal(model is not null, update.SeenExists);
                Assert.Equal(model?.Length ?? 0, update.SeenCurrent);
                model = Reshape.Apply(model, length, (byte)(length + round));
                Assert.Equal(model, store.Get("k"u8));
            }
        }

        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void EnumerationVisitsEveryEntryOnceWithItsKeyGroup()
    {
        using var store = StateStore.Open(new StoreOptions { MaxParallelism = 16 });
        var expected = new Dictionary<string, string>();
        for (int i = 0; i < 5000; i++)
        {
            expected[$"k{i}"] = $"v{i * 3}";
            store.Put(Encoding.UTF8.GetBytes($"k{i}"), Encoding.UTF8.GetBytes($"v{i * 3}"));
        }

        store.Put("big"u8, new byte[3000]);
        expected["big"] = Encoding.UTF8.GetString(new byte[3000]);
        var seen = new Dictionary<string, string>();
        foreach (var entry in store.GetEntries())
        {
            Assert.Equal(store.KeyGroupOf(entry.Key), entry.KeyGroup);
            Assert.True(seen.TryAdd(Encoding.UTF8.GetString(entry.Key), Encoding.UTF8.GetString(entry.Value)), "each entry is visited once");
        }

        Assert.Equal(expected, seen);
    }

    [Fact]
    public void EnumeratingAKeyGroupRangeYieldsExactlyTheKeysOfThoseGroups()
    {
        using var store = StateStore.Open(new StoreOptions { MaxParallelism = 8 });
        for (int i = 0; i < 2000; i++)
        {
            store.Put(Key(i), "v"u8);
        }

        int count = 0;
        foreach (var entry in store.GetEntries(2, 5))
        {
            Assert.InRange(entry.KeyGroup, 2, 4);
            count++;
        }

        int expected = Enumerable.Range(0, 2000).Count(i => store.KeyGroupOf(Key(i)) is >= 2 and < 5);
        Assert.Equal(expected, count);
    }

    /// <summary>
    /// Makes the value <c>length</c> bytes: the old bytes it keeps, each plus <c>salt</c>, then
    /// bytes that continue a running sum, so a lost or stale byte shows anywhere in the value.
    /// </summary>
    private ref struct Reshape(int length, byte salt) : IValueUpdater
    {
        public int SeenCurrent;
        public bool SeenExists;

        public static byte[] Apply(byte[]? current, int length, byte salt)
        {
            byte[] next = new byte[length];
            new Reshape(length, salt).Update(current, current is not null, next);
            return next;
        }

        public readonly int NewLength(scoped ReadOnlySpan<byte> current, bool exists) => length;

        public void Update(scoped ReadOnlySpan<byte> current, bool exists, scoped Span<byte> destination)
        {
            SeenCurrent = current.Length;
            SeenExists = exists;
            byte sum = salt;
            for (int i = 0; i < destination.Length; i++)
            {
                sum = (byte)(sum * 31 + (i < current.Length ? current[i] + salt : i));
                destination[i] = sum;
            }
        }
    }

    /// <summary>Adds to the first 8 bytes of the value (0 when absent or shorter); the result is 8 bytes.</summary>
    internal struct AddToCounter(long delta) : IValueUpdater
    {
        public readonly long Delta => delta;

        public readonly int NewLength(scoped ReadOnlySpan<byte> current, bool exists) => 8;

        public readonly void Update(scoped ReadOnlySpan<byte> current, bool exists, scoped Span<byte> destination)
        {
            long value = exists && current.Length >= 8 ? BinaryPrimitives.ReadInt64LittleEndian(current) : 0;
            BinaryPrimitives.WriteInt64LittleEndian(destination, value + delta);
        }
    }
}
