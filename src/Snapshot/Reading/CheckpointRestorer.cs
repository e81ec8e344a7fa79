using System.Diagnostics;
using Snapshot.Catalog;
using Snapshot.Format;
using Store;
using Store.Diagnostics;
using Store.Pages;

namespace Snapshot.Reading;

/// <summary>
/// Rebuilds a store from a checkpoint: its chain's full file, then each delta in order, every
/// record verified before its bytes are used. Reads never take the shard's lock, so a tool can
/// restore while the shard's writer goes on.
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
        DataFileHeader? previous = null;
        string lastPath = files.CatalogPath;
        for (int i = 0; i < entry.Chain.Length; i++)
        {
            DataFileId fileId = entry.Chain[i];
            DataFileEntry registered = catalog.File(fileId)!; // Validate() guarantees it
            string path = files.DataPath(fileId);
            CheckedDataFile file = DataFileReader.OpenChecked(path, registered.Length);
            try
            {
                CheckLink(file.Header, previous, i, entry, catalog, registered, storeOptions, path);
            }
            catch
            {
                file.Handle.Dispose();
                throw;
            }

            ApplyFile(file, path, loader);
            previous = file.Header;
            lastPath = path;
        }

        return loader.Complete(lastPath);
    }

    /// <summary>
    /// Puts one checked file's pages into the loader and closes it: a full file with the fixed
    /// layout is read straight into the pages (<see cref="FullFileRestore"/>), anything else is
    /// streamed record by record.
    /// </summary>
    internal static void ApplyFile(CheckedDataFile file, string path, StoreLoader loader)
    {
        if (FullFileRestore.Fits(file.Header, file.Trailer))
        {
            using (file.Handle)
            {
                FullFileRestore.Apply(file, path, loader);
            }

            return;
        }

        ApplyRecords(file, path, loader);
    }

    /// <summary>
    /// Streams a file's records (a delta, or a full file of another layout) into the loader, read
    /// ahead on a second thread. (Batching the patches behind cache prefetches was tried: deltas
    /// went from 0.07 to 0.06 s of a 0.24 s restore, not worth the copy it needs; per-record work,
    /// not cache misses, is their cost.)
    /// </summary>
    private static void ApplyRecords(CheckedDataFile file, string path, StoreLoader loader)
    {
        using DataFileReader reader = DataFileReader.Open(file, path, readAhead: true);
        var sink = new LoaderSink(loader);
        PageId last = default;
        bool first = true;
        while (reader.MoveNext())
        {
            PageRecordHeader record = reader.Current;
            if (!first && record.Page.Value <= last.Value)
            {
                throw new StoreCorruptedException($"page records are out of order: {record.Page} follows {last}", path, reader.CurrentOffset, record.Page);
            }

            first = false;
            last = record.Page;
            sink.Page = record.Page;
            PagePatch.Apply(record, reader.CurrentPayload, reader.Header.PageSize, ref sink);
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

    private struct LoaderSink(StoreLoader loader) : IPagePatchSink
    {
        public PageId Page;

        public readonly void Write(int offset, ReadOnlySpan<byte> bytes)
        {
            Debug.Assert(Page.Value < loader.PageCount, "verified records name pages below the checkpoint's page count");
            loader.Write(Page, offset, bytes);
        }
    }
}
