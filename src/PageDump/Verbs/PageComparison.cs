using Snapshot.Catalog;
using Snapshot.Reading;
using Store.Diagnostics;

namespace PageDump.Verbs;

/// <summary>A page whose bytes differ between two checkpoints.</summary>
/// <param name="Change">"changed", "added" (the page is beyond the first checkpoint's page count) or "removed" (beyond the second's).</param>
/// <param name="KeyGroup">From the newest record of the page (0xFFFF for store-wide pages).</param>
/// <param name="Version">Store epoch of the newest record of the page in the second checkpoint's chain, when it has one.</param>
/// <param name="Granules">Granules whose bytes differ.</param>
/// <param name="ChangedBytes">Bytes that differ.</param>
/// <param name="Damaged">A record of the page was damaged in either chain: the comparison may be wrong.</param>
internal sealed record PageChange(uint Page, string Change, int KeyGroup, uint? Version, ulong Granules, int ChangedBytes, bool Damaged);

/// <summary>
/// Compares two checkpoints page by page, streaming both chains side by side (one page of each in
/// memory). Pages no record of either chain touches are zeros in both and never differ.
/// </summary>
internal static class PageComparison
{
    public static void Compare(ShardFiles files, ShardCatalog catalog, CheckpointEntry from, CheckpointEntry to, Action<PageChange> changed, List<StoreCorruptedException> damage)
    {
        int pageSize = catalog.PageSize;
        byte[] zeros = new byte[pageSize];
        using CheckpointPageReader a = CheckpointPageReader.Open(files, catalog, from);
        using CheckpointPageReader b = CheckpointPageReader.Open(files, catalog, to);
        bool hasA = a.MoveNext(), hasB = b.MoveNext();
        int granule = pageSize / 64;
        while (hasA || hasB)
        {
            uint pageA = hasA ? a.CurrentPage.Value : uint.MaxValue;
            uint pageB = hasB ? b.CurrentPage.Value : uint.MaxValue;
            uint page = Math.Min(pageA, pageB);
            bool inA = pageA == page, inB = pageB == page;
            ReadOnlySpan<byte> bytesA = inA ? a.CurrentBytes : zeros;
            ReadOnlySpan<byte> bytesB = inB ? b.CurrentBytes : zeros;
            bool existsA = page < from.PageCount, existsB = page < to.PageCount;
            ulong mask = 0;
            int differing = 0;
            if (!bytesA.SequenceEqual(bytesB))
            {
                for (int g = 0; g < 64; g++)
                {
                    ReadOnlySpan<byte> ga = bytesA.Slice(g * granule, granule), gb = bytesB.Slice(g * granule, granule);
                    if (!ga.SequenceEqual(gb))
                    {
                        mask |= 1UL << g;
                        for (int i = 0; i < granule; i++)
                        {
                            differing += ga[i] != gb[i] ? 1 : 0;
                        }
                    }
                }
            }

            string? change = existsA && existsB ? (mask != 0 ? "changed" : null) : existsB ? "added" : existsA ? "removed" : null;
            if (change is not null)
            {
                var newestB = inB && b.CurrentRecords.Count > 0 ? b.CurrentRecords[^1] : null;
                var newestA = inA && a.CurrentRecords.Count > 0 ? a.CurrentRecords[^1] : null;
                int keyGroup = (newestB ?? newestA)?.Header.KeyGroup ?? Fmt.StoreWide;
                bool damaged = (inA && a.CurrentDamage.Count > 0) || (inB && b.CurrentDamage.Count > 0);
                changed(new PageChange(page, change, keyGroup, newestB?.Header.Version, mask, differing, damaged));
            }

            if (inA)
            {
                hasA = a.MoveNext();
            }

            if (inB)
            {
                hasB = b.MoveNext();
            }
        }

        // Files shared by both chains report the same damage twice.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (StoreCorruptedException e in a.Damage.Concat(b.Damage))
        {
            if (seen.Add(e.Message))
            {
                damage.Add(e);
            }
        }
    }
}
