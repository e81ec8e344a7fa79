using Snapshot.Catalog;
using Snapshot.Format;
using Store;
using Store.Diagnostics;

namespace Snapshot.Reading;

/// <summary>
/// Rebuilds a store from a checkpoint: its chain's full file and its deltas, each page getting its
/// full image and then the deltas' patches in chain order, every record verified before its bytes
/// are used. Reads never take the shard's lock, so a tool can restore while the shard's writer
/// goes on.
/// </summary>
public static class CheckpointRestorer
{
    /// <summary>Restores <paramref name="id"/>, or the newest confirmed checkpoint when null, into a new store.</summary>
    public static StateStore Restore(ShardFiles files, StoreOptions storeOptions, CheckpointId? id = null)
    {
        ShardCatalog catalog = CatalogReader.Read(files).Catalog;
        return Restore(files, catalog, Select(catalog, id), storeOptions);
    }

    /// <summary>The entry for <paramref name="id"/>, or the newest confirmed one; throws <see cref="CheckpointNotFoundException"/>.</summary>
    public static CheckpointEntry Select(ShardCatalog catalog, CheckpointId? id)
    {
        if (id is { } wanted)
        {
            return catalog.Checkpoint(wanted) ?? throw new CheckpointNotFoundException(
                $"Shard '{catalog.Shard}' has no {wanted}; it holds {Describe(catalog)}.");
        }

        return catalog.NewestConfirmed ?? throw new CheckpointNotFoundException(
            $"Shard '{catalog.Shard}' has no confirmed checkpoint; it holds {Describe(catalog)}.");
    }

    public static StateStore Restore(ShardFiles files, ShardCatalog catalog, CheckpointEntry entry, StoreOptions storeOptions)
    {
        ArgumentNullException.ThrowIfNull(storeOptions);
        using StoreLoader loader = StateStore.BeginRestore(storeOptions, entry.PageCount);
        var chain = new List<(CheckedDataFile File, string Path)>(entry.Chain.Length);
        try
        {
            // Every file's header, trailer and link is checked before any page is read: a broken
            // chain fails at once, not after the full file.
            DataFileHeader? previous = null;
            for (int i = 0; i < entry.Chain.Length; i++)
            {
                DataFileId fileId = entry.Chain[i];
                DataFileEntry registered = catalog.File(fileId)!; // Validate() guarantees it
                string path = files.DataPath(fileId);
                CheckedDataFile file = DataFileReader.OpenChecked(path, registered.Length);
                chain.Add((file, path));
                CheckLink(file.Header, previous, i, entry, catalog, registered, storeOptions, path);
                previous = file.Header;
            }
        }
        catch
        {
            chain.ForEach(f => f.File.Handle.Dispose());
            throw;
        }

        ApplyChain(chain, loader);
        return loader.Complete(chain[^1].Path);
    }

    /// <summary>
    /// Puts a chain's pages into the loader and closes its files. A full file with the fixed layout
    /// is read straight into the pages (<see cref="FullFileRestore"/>), and each delta's patches go
    /// into a range of pages right after that range's images were verified (<see cref="ChainPatcher"/>).
    /// Any other chain is streamed record by record, file after file.
    /// </summary>
    internal static void ApplyChain(IReadOnlyList<(CheckedDataFile File, string Path)> chain, StoreLoader loader)
    {
        (CheckedDataFile full, string fullPath) = chain[0];
        if (!FullFileRestore.Fits(full.Header, full.Trailer))
        {
            // Read ahead on a second thread: the streams are applied one after another, so one reads at a time.
            using var streamed = new ChainPatcher(chain, loader, readAhead: true);
            streamed.ApplyRest();
            return;
        }

        ChainPatcher? deltas = null;
        try
        {
            // No read-ahead threads for the deltas: the full file's read thread has the second core.
            deltas = new ChainPatcher([.. chain.Skip(1)], loader, readAhead: false);
            FullFileRestore.Apply(full, fullPath, loader, deltas);
            deltas.ApplyRest(); // pages the full file does not hold
        }
        finally
        {
            full.Handle.Dispose();
            deltas?.Dispose();
        }
    }

    /// <summary>The store options must match the file; the chain link itself is checked as <see cref="ManifestVerifier"/> checks it.</summary>
    private static void CheckLink(
        DataFileHeader header, DataFileHeader? previous, int position, CheckpointEntry entry, ShardCatalog catalog,
        DataFileEntry registered, StoreOptions options, string path)
    {
        if (header.PageSize != options.PageSize || header.MaxParallelism != options.MaxParallelism)
        {
            throw new ArgumentException(
                $"'{path}' was written with PageSize {header.PageSize} and MaxParallelism {header.MaxParallelism}; " +
                $"the store options say {options.PageSize} and {options.MaxParallelism}. Restore with the same values.");
        }

        if (ManifestVerifier.CheckLink(header, previous, position, entry, catalog, registered, out long offset) is { } broken)
        {
            throw new StoreCorruptedException(broken, path, offset, null);
        }
    }

    private static string Describe(ShardCatalog catalog) => catalog.Checkpoints.IsEmpty
        ? "no checkpoints"
        : "checkpoints " + string.Join(", ", catalog.Checkpoints.Select(c => c.Id.Value + (c.Confirmed ? "" : " (unconfirmed)")));
}
