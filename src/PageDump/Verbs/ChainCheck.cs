using Snapshot.Catalog;
using Snapshot.Reading;
using Store.Diagnostics;

namespace PageDump.Verbs;

/// <summary>Cheap checks of the rest of a chain, for verbs that read only a checkpoint's own file.</summary>
internal static class ChainCheck
{
    /// <summary>
    /// Opens (header and trailer only) every file of the chain before the checkpoint's own one: a
    /// missing, cut-off or damaged base file means the checkpoint cannot be restored, which a
    /// listing of its own records would otherwise hide.
    /// </summary>
    public static IEnumerable<StoreCorruptedException> UnreadableBaseFiles(ShardFiles files, ShardCatalog catalog, CheckpointEntry entry)
    {
        for (int i = 0; i < entry.Chain.Length - 1; i++)
        {
            StoreCorruptedException? problem = null;
            try
            {
                using DataFileReader reader = DataFileReader.Open(files.DataPath(entry.Chain[i]), catalog.File(entry.Chain[i])?.Length);
            }
            catch (StoreCorruptedException e)
            {
                problem = e;
            }

            if (problem is not null)
            {
                yield return problem;
            }
        }
    }
}
