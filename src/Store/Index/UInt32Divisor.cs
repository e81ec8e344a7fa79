using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Store.Index;

/// <summary>
/// Division of any 32-bit unsigned number by a divisor fixed when the store opens (the directory's
/// and the group table's entries per page, 1,020 at 4 KiB), as one 64×64→128-bit multiply.
/// </summary>
/// <remarks>
/// Why: a lookup needs a quotient and a remainder twice on the path to its first cache miss (the
/// group table slot, then the directory slot), which the JIT compiled to four hardware divides. A
/// divide by a divisor the JIT cannot see as a constant costs 14–46 cycles on these CPUs, and each
/// one delays the load that follows it. With M = ⌊(2^64 − 1) / d⌋ + 1, ⌊n / d⌋ = ⌊M·n / 2^64⌋ exactly for every
/// n, d &lt; 2^32 and d ≥ 2 (Lemire, Kaser and Kurz, "Faster remainder by direct computation", 2019).
/// </remarks>
internal readonly struct UInt32Divisor
{
    private readonly ulong _multiplier;

    public UInt32Divisor(uint divisor)
    {
        if (divisor < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(divisor), divisor, "The divisor must be at least 2.");
        }

        Divisor = divisor;
        _multiplier = (ulong.MaxValue / divisor) + 1;
    }

    public uint Divisor { get; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Divide(uint value, out uint remainder)
    {
        uint quotient = (uint)(Math.BigMul(_multiplier, value) >> 64);
        remainder = value - (quotient * Divisor);
        Debug.Assert(quotient == value / Divisor && remainder == value % Divisor, "the multiply-shift quotient equals the hardware one");
        return quotient;
    }
}
