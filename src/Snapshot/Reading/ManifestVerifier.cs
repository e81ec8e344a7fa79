using Snapshot.Catalog;
using Snapshot.Format;
using Store.Diagnostics;

namespace Snapshot.Reading;

/// <summary>
/// Checks that a shard's catalog and its data files agree, reading only each file's header and
/// trailer: every chain link (the restore's own checks), each checkpoint's own file against its
/// entry (id, kind, base, length, record and granule counts), page size and key-group count
/// against the catalog, and the registry's lastUsedBy.
/// </summary>
/// <remarks>
/// Complements <see cref="CheckpointVerifier"/>, which checks every checksum and length: a file that
/// cannot be opened (missing, cut short, damaged header or trailer) is the verifier's to report and
/// is skipped here. Each problem is reported once, as a <see cref="StoreCorruptedException"/> naming
/// the data file and the header or trailer field at fault, or the catalog slot for registry problems.
/// </remarks>
public static class ManifestVerifier
{
    /// <param name="id">Only this checkpoint; null for every checkpoint in the catalog.</param>
    /// <exception cref="UnsupportedFormatException">A data file was written by a newer format version.</exception>
    public static IReadOnlyList<StoreCorruptedException> Verify(ShardFiles files, ShardCatalog catalog, CheckpointId? id = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(catalog);
        IEnumerable<CheckpointEntry> entries = id is { } wanted ? [CheckpointRestorer.Select(catalog, wanted)] : catalog.Checkpoints;
        var opened = new Dictionary<DataFileId, (DataFileHeader Header, DataFileTrailer Trailer)?>();
        var damage = new List<StoreCorruptedException>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long catalogSlot = catalog.Revision % 2 * CatalogCodec.SlotSize;

        void Add(string detail, string file, long offset)
        {
            if (seen.Add($"{file}|{offset}|{detail}"))
            {
                damage.Add(new StoreCorruptedException(detail, file, offset, null));
            }
        }

        foreach (CheckpointEntry entry in entries)
        {
            DataFileHeader? previous = null;
            for (int i = 0; i < entry.Chain.Length; i++)
            {
                DataFileId fileId = entry.Chain[i];
                string path = files.DataPath(fileId);
                DataFileEntry? registered = catalog.File(fileId);
                if (registered is null)
                {
                    Add($"the chain of {entry.Id} names {fileId}, which the catalog does not register", files.CatalogPath, catalogSlot);
                    previous = null;
                    continue;
                }

                if (registered.LastUsedBy < entry.Id)
                {
                    Add($"{fileId} is in the chain of {entry.Id} but the registry says it was last used by {registered.LastUsedBy}",
                        files.CatalogPath, catalogSlot);
                }

                if (!opened.TryGetValue(fileId, out var parts))
                {
                    parts = TryOpen(path, registered.Length);
                    opened[fileId] = parts;
                }

                if (parts is not { } read)
                {
                    previous = null;
                    continue;
                }

                if (CheckLink(read.Header, previous, i, entry, catalog, registered, out long offset) is { } broken)
                {
                    Add(broken, path, offset);
                }

                previous = read.Header;
                if (i == entry.Chain.Length - 1)
                {
                    long trailerOffset = registered.Length - DataFileTrailer.Size;
                    if (entry.Bytes != registered.Length)
                    {
                        Add($"{entry.Id} records {entry.Bytes} bytes for its own file, which is registered with {registered.Length}", path, registered.Length);
                    }

                    if (entry.Pages != read.Trailer.Pages)
                    {
                        Add($"{entry.Id} records {entry.Pages} pages, its file's trailer {read.Trailer.Pages}", path,
                            trailerOffset + (read.Header.Format >= 3 ? DataFileTrailer.PagesOffset : 8));
                    }

                    if (entry.Granules != read.Trailer.Granules)
                    {
                        Add($"{entry.Id} records {entry.Granules} granules, its file's trailer {read.Trailer.Granules}", path, trailerOffset + 24);
                    }
                }
            }
        }

        return damage;
    }

    /// <summary>
    /// The checks a restore makes on the file at <paramref name="position"/> of a chain, plus those
    /// tying a checkpoint's own (last) file to its entry. Returns what is broken, or null.
    /// </summary>
    /// <param name="previous">The header of the file before it in the chain; null when first or unreadable (the base link is then not checked).</param>
    internal static string? CheckLink(
        DataFileHeader header, DataFileHeader? previous, int position, CheckpointEntry entry, ShardCatalog catalog, DataFileEntry? registered, out long offset)
    {
        bool first = position == 0, last = position == entry.Chain.Length - 1;
        offset = DataFileHeader.CheckpointIdOffset;
        if (registered is not null && header.Checkpoint != registered.CreatedBy)
        {
            return $"the file was written by {header.Checkpoint} but the catalog says {registered.CreatedBy}";
        }

        if (last && header.Checkpoint != entry.Id)
        {
            return $"the chain of {entry.Id} ends with a file written by {header.Checkpoint}";
        }

        offset = DataFileHeader.KindOffset;
        if (first && header.Kind != CheckpointKind.Full)
        {
            return $"the chain of {entry.Id} starts with an incremental file";
        }

        if (!first && header.Kind != CheckpointKind.Incremental)
        {
            return $"the chain of {entry.Id} has a full file after its first";
        }

        if (last && header.Kind != entry.Kind)
        {
            return $"{entry.Id}'s file is {header.Kind}; the catalog says {entry.Kind}";
        }

        offset = DataFileHeader.BaseIdOffset;
        if (!first && previous is { } before && header.Base != before.Checkpoint)
        {
            return $"a delta in the chain of {entry.Id} is based on {header.Base}, not on the file before it ({before.Checkpoint})";
        }

        if (last && header.Base != entry.Base)
        {
            return $"{entry.Id}'s file is based on {header.Base}; the catalog says {entry.Base}";
        }

        offset = DataFileHeader.PageCountOffset;
        if (header.PageCount > entry.PageCount)
        {
            return $"the file has {header.PageCount} pages, more than the {entry.PageCount} of {entry.Id}";
        }

        offset = DataFileHeader.PageSizeOffset;
        if (header.PageSize != catalog.PageSize || header.MaxParallelism != catalog.MaxParallelism)
        {
            return $"the file was written with PageSize {header.PageSize} and MaxParallelism {header.MaxParallelism}; " +
                $"the catalog says {catalog.PageSize} and {catalog.MaxParallelism}";
        }

        return null;
    }

    private static (DataFileHeader, DataFileTrailer)? TryOpen(string path, long length)
    {
        try
        {
            using DataFileReader reader = DataFileReader.Open(path, length);
            return (reader.Header, reader.Trailer);
        }
        catch (StoreCorruptedException)
        {
            return null; // CheckpointVerifier reports it
        }
    }
}
