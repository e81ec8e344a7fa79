using System.Buffers.Binary;
using System.Diagnostics;
using System.Numerics;

namespace Store.Pages;

/// <summary>
/// The first and last byte at which two equally long spans differ: what an update must write so
/// that unchanged bytes neither copy a frozen page nor grow the next checkpoint.
/// </summary>
/// <remarks>
/// Compares 8 bytes at a time from each end (the last word overlaps its neighbour when the length
/// is not a multiple of 8). Why not <see cref="MemoryExtensions.CommonPrefixLength{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/>
/// and a byte loop from the end: that is a call and, for the common update (a little-endian
/// counter whose low byte changed), eight byte compares from the end; here it is one XOR per end.
/// Long values with a change near the front, the bad case of a backward byte loop, also scan
/// their unchanged tail 8 bytes at a time.
/// </remarks>
internal static class ByteDifference
{
    public static bool Find(ReadOnlySpan<byte> current, ReadOnlySpan<byte> next, out int first, out int last)
    {
        Debug.Assert(current.Length == next.Length, "both sides of a difference have one length");
        int length = next.Length;
        if (length < sizeof(ulong))
        {
            return FindShort(current, next, out first, out last);
        }

        int lastWord = length - sizeof(ulong);
        for (int at = 0; ; at = Math.Min(at + sizeof(ulong), lastWord))
        {
            ulong diff = Word(current, at) ^ Word(next, at);
            if (diff != 0)
            {
                // Little-endian: byte k of the word is bits 8k..8k+7.
                first = at + (BitOperations.TrailingZeroCount(diff) >> 3);
                break;
            }

            if (at == lastWord)
            {
                first = last = -1;
                return false;
            }
        }

        for (int at = lastWord; ; at = Math.Max(at - sizeof(ulong), 0))
        {
            ulong diff = Word(current, at) ^ Word(next, at);
            if (diff != 0)
            {
                last = at + ((63 - BitOperations.LeadingZeroCount(diff)) >> 3);
                Debug.Assert(first <= last, "the last difference is not before the first");
                return true;
            }

            Debug.Assert(at > 0, "a difference found from the front is found from the back");
        }
    }

    private static bool FindShort(ReadOnlySpan<byte> current, ReadOnlySpan<byte> next, out int first, out int last)
    {
        first = 0;
        while (first < next.Length && current[first] == next[first])
        {
            first++;
        }

        if (first == next.Length)
        {
            first = last = -1;
            return false;
        }

        last = next.Length - 1;
        while (current[last] == next[last])
        {
            last--;
        }

        return true;
    }

    private static ulong Word(ReadOnlySpan<byte> span, int at) => BinaryPrimitives.ReadUInt64LittleEndian(span[at..]);
}
