using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Snapshot;

namespace Store.Benchmarks.Checkpoints;

/// <summary>
/// The checkpoint acceptance workload: 32-byte records (8-byte little-endian key id + 24-byte
/// value) and rounds of uniform updates that change the whole value (or, with <see cref="UpdateKind.Increment"/>,
/// only its first 8-byte counter), shared by <see cref="CheckpointBench"/> and <see cref="CheckpointBenchmarks"/>.
/// </summary>
public static class CheckpointWorkload
{
    public const int KeyBytes = 8;
    public const int ValueBytes = 24;

    /// <summary>The logical size of one record: what "distinct keys updated × record size" counts.</summary>
    public const int RecordBytes = KeyBytes + ValueBytes;

    /// <summary>Loads keys 0..count-1, each with its round-0 value.</summary>
    public static void Load(StateStore store, long count)
    {
        Span<byte> key = stackalloc byte[KeyBytes];
        Span<byte> value = stackalloc byte[ValueBytes];
        for (long id = 0; id < count; id++)
        {
            BenchKeys.Write(key, id);
            FillValue(value, id, 0);
            store.Put(key, value);
        }
    }

    /// <summary>
    /// Key <paramref name="id"/>'s value in <paramref name="round"/>. Every one of the 24 bytes
    /// differs from the key's value in any earlier round (fewer than 256 rounds back): each byte
    /// moves by 0x1F or 0x20 per round, so a Put is a real 24-byte write, never a partial one that
    /// the store's unchanged-byte filter (WriteIfChanged) could shrink.
    /// </summary>
    public static void FillValue(Span<byte> value, long id, int round)
    {
        ulong spread = (ulong)round * 0x1F1F_1F1F_1F1F_1F1FUL;
        for (int word = 0; word < ValueBytes / 8; word++)
        {
            ulong mixed = (ulong)(id + word) * 0x9E37_79B9_7F4A_7C15UL;
            BinaryPrimitives.WriteUInt64LittleEndian(value[(word * 8)..], mixed + spread);
        }
    }

    /// <summary>
    /// Applies <paramref name="count"/> updates to keys drawn uniformly from [0, keySpace) with
    /// <paramref name="random"/>, marks each key in <paramref name="touched"/> (a bitmap of
    /// keySpace bits, cleared by the caller) and returns how many distinct keys were updated.
    /// Allocates nothing.
    /// </summary>
    public static long Update(StateStore store, Random random, long count, long keySpace, int round, UpdateKind kind, ulong[] touched)
    {
        Span<byte> key = stackalloc byte[KeyBytes];
        Span<byte> value = stackalloc byte[ValueBytes];
        var increment = new IncrementCounter();
        long distinct = 0;
        for (long i = 0; i < count; i++)
        {
            long id = random.NextInt64(keySpace);
            BenchKeys.Write(key, id);
            if (kind == UpdateKind.Overwrite)
            {
                FillValue(value, id, round);
                store.Put(key, value);
            }
            else
            {
                store.ReadModifyWrite(key, ref increment);
            }

            ref ulong word = ref touched[id >> 6];
            ulong bit = 1UL << (int)(id & 63);
            if ((word & bit) == 0)
            {
                word |= bit;
                distinct++;
            }
        }

        return distinct;
    }

    /// <summary>A bitmap with one bit per key.</summary>
    public static ulong[] NewBitmap(long keys) => new ulong[(keys + 63) / 64];

    /// <summary>Options for the checkpoint benchmarks: chains long enough that every measured round is incremental.</summary>
    public static CheckpointOptions Options(string directory) => new()
    {
        Directory = directory,
        Shard = "bench",
        MaxChainLength = 64,
        MaxDeltaRatio = 4.0,
    };

    /// <summary>A fresh, unique directory under <paramref name="parent"/> (the system temp directory when null).</summary>
    public static string NewDirectory(string? parent, string prefix)
    {
        string path = Path.Combine(parent ?? Path.GetTempPath(), $"{prefix}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Adds 1 to the 8-byte counter at the start of the value and keeps its length (and other bytes).</summary>
    [StructLayout(LayoutKind.Auto)]
    private struct IncrementCounter : IValueUpdater
    {
        public readonly int NewLength(scoped ReadOnlySpan<byte> current, bool exists) => exists ? current.Length : ValueBytes;

        public readonly void Update(scoped ReadOnlySpan<byte> current, bool exists, scoped Span<byte> destination)
        {
            if (exists)
            {
                current.CopyTo(destination);
            }
            else
            {
                destination.Clear();
            }

            BinaryPrimitives.WriteInt64LittleEndian(destination, BinaryPrimitives.ReadInt64LittleEndian(destination) + 1);
        }
    }
}

/// <summary>What an update does to a record.</summary>
public enum UpdateKind
{
    /// <summary>Put a new 24-byte value whose every byte changed (the acceptance case).</summary>
    Overwrite,

    /// <summary>Read-modify-write +1 on the value's first 8 bytes (usually 1 changed byte, as in perf/Store.Perf).</summary>
    Increment,
}
