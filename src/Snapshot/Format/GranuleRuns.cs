using System.Numerics;

namespace Snapshot.Format;

/// <summary>
/// Walks the runs of adjacent set bits of a granule mask, lowest first, so a page's dirty
/// granules are copied (written, or patched on restore) with one call per run rather than per granule.
/// </summary>
public static class GranuleRuns
{
    /// <summary>Takes the lowest run from <paramref name="mask"/>: its first granule and its length. False when the mask is empty.</summary>
    public static bool Next(ref ulong mask, out int start, out int run)
    {
        if (mask == 0)
        {
            (start, run) = (0, 0);
            return false;
        }

        start = BitOperations.TrailingZeroCount(mask);
        run = BitOperations.TrailingZeroCount(~(mask >> start));
        mask = run + start == 64 ? 0 : mask & ~(((1UL << run) - 1) << start); // a 64-bit shift would wrap to 0
        return true;
    }
}
