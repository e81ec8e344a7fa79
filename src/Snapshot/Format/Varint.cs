using System.Runtime.CompilerServices;
namespace Snapshot.Format;

/// <summary>
/// Unsigned LEB128, the varint of page batches (format 3): seven bits a byte, low bits first, the
/// high bit set on every byte but the last. A u32 takes 1–5 bytes; values below 128 take one,
/// which is what page-id gaps, key groups and most extent lengths are.
/// </summary>
public static class Varint
{
    public const int MaxLength = 5;

    public static int Length(uint value) => value < 1u << 7 ? 1 : value < 1u << 14 ? 2 : value < 1u << 21 ? 3 : value < 1u << 28 ? 4 : 5;

    /// <summary>Writes <paramref name="value"/> at <paramref name="at"/> and moves past it.</summary>
    public static void Write(Span<byte> destination, ref int at, uint value)
    {
        while (value >= 0x80)
        {
            destination[at++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[at++] = (byte)value;
    }

    /// <summary>
    /// Reads a varint at <paramref name="at"/> and moves past it. False (with <paramref name="at"/>
    /// unchanged) when the bytes end inside it or it does not fit 32 bits: a reader reports that as corruption.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
    public static bool TryRead(ReadOnlySpan<byte> source, ref int at, out uint value)
    {
        value = 0;
        int position = at;
        for (int shift = 0; shift < 7 * MaxLength; shift += 7)
        {
            if (position >= source.Length)
            {
                return false;
            }

            byte b = source[position++];
            if (shift == 28 && b > 0x0F)
            {
                return false; // a fifth byte carries the top 4 bits only
            }

            value |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                at = position;
                return true;
            }
        }

        return false;
    }
}
