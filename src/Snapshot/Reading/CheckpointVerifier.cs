using Snapshot.Catalog;
using Store.Diagnostics;

namespace Snapshot.Reading;

/// <summary>What a verification found: every damaged structure, each with file, offset and page when known.</summary>
/// <param name="Damage">Empty when everything verified.</param>
/// <param name="Files">Data files read.</param>
/// <param name="Records">Page records read.</param>
/// <param name="Bytes">Bytes of data files read.</param>
public sealed record VerificationReport(IReadOnlyList<StoreCorruptedException> Damage, int Files, long Records, long Bytes)
{
    public bool IsClean => Damage.Count == 0;
}

/// <summary>
/// Checks a shard's catalog and every data file a checkpoint references: all checksums, lengths
/// and chain links, streaming each file once. Unlike a restore it does not stop at the first
/// damaged record: while a record's framing holds, it notes the damage and goes on.
/// </summary>
public static class CheckpointVerifier
{
    /// <param name="id">Only this checkpoint's chain; null for every checkpoint in the catalog.</param>
    /// <param name="progress">Receives the bytes read so far, about every 64 MiB and at the end of each file.</param>
    public static VerificationReport Verify(ShardFiles files, CheckpointId? id = null, IProgress<long>? progress = null)
    {
        var damage = new List<StoreCorruptedException>();
        CatalogReadResult read = CatalogReader.Read(files);
        damage.AddRange(read.DamagedSlots);
        ShardCatalog catalog = read.Catalog;
        IEnumerable<CheckpointEntry> checkpoints = id is { } wanted
            ? [CheckpointRestorer.Select(catalog, wanted)]
            : catalog.Checkpoints;
        var verified = new HashSet<DataFileId>();
        int fileCount = 0;
        long records = 0, bytes = 0;
        foreach (CheckpointEntry entry in checkpoints)
        {
            foreach (DataFileId fileId in entry.Chain)
            {
                if (!verified.Add(fileId))
                {
                    continue;
                }

                DataFileEntry registered = catalog.File(fileId)!;
                string path = files.DataPath(fileId);
                fileCount++;
                try
                {
                    using DataFileReader reader = DataFileReader.Open(path, registered.Length, continuePastDamagedRecords: true);
                    if (reader.Header.Checkpoint != registered.CreatedBy)
                    {
                        damage.Add(new StoreCorruptedException(
                            $"the file was written by {reader.Header.Checkpoint} but the catalog says {registered.CreatedBy}",
                            path, Format.DataFileHeader.CheckpointIdOffset, null));
                    }

                    long reported = bytes;
                    while (reader.MoveNext())
                    {
                        records++;
                        if (reader.CurrentDamage is { } bad)
                        {
                            damage.Add(bad);
                        }

                        if (bytes + reader.CurrentOffset - reported >= 64L << 20)
                        {
                            reported = bytes + reader.CurrentOffset;
                            progress?.Report(reported);
                        }
                    }

                    bytes += reader.Length;
                }
                catch (StoreCorruptedException e)
                {
                    damage.Add(e); // framing broken, file missing or cut short: the rest of this file cannot be read
                    bytes += registered.Length;
                }

                progress?.Report(bytes);
            }
        }

        return new VerificationReport(damage, fileCount, records, bytes);
    }
}
