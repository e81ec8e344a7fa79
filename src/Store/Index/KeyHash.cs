using System.Diagnostics;
using System.IO.Hashing;
using System.Numerics;

namespace Store.Index;

/// <summary>
/// The hash of a key and what is derived from it. The key group is part of the checkpoint format
/// (rescaling reads key-group ranges), so this function is stable across versions of the store:
/// <code>
/// h          = XxHash3-64(key, seed 0)
/// keyGroup   = ((h >> 32) × maxParallelism) >> 32      (Lemire's multiply-shift reduction)
/// bucketHash = low 32 bits of h                        (linear hashing inside the group)
/// tag        = bits 32..38 of h                        (7-bit slot tag)
/// slotGroup  = bits 39..46 of h                        (first probed group of 16 slots)
/// </code>
/// The four derive from disjoint bits (the key group depends only on the top bits of the high
/// word for any maxParallelism ≤ 32768), so they are independent of each other.
/// </summary>
public readonly struct KeyHash
{
    private readonly ulong _hash;

    private KeyHash(ulong hash) => _hash = hash;

    public static KeyHash Of(ReadOnlySpan<byte> key) => new(XxHash3.HashToUInt64(key));

    public ulong Value => _hash;

    public uint BucketHash => (uint)_hash;

    internal byte Tag => (byte)((_hash >> 32) & 0x7F);

    /// <summary>Bits 39..46 mod <paramref name="groups"/>, a power of two (page size ÷ 512), so a mask.</summary>
    internal int SlotGroup(int groups)
    {
        Debug.Assert(BitOperations.IsPow2(groups), "slot groups per page are a power of two");
        return (int)((_hash >> 39) & 0xFF) & (groups - 1);
    }

    public int KeyGroup(int maxParallelism) => (int)(((_hash >> 32) * (ulong)maxParallelism) >> 32);
}
