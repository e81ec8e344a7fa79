using Snapshot.Catalog;
using Snapshot.Format;
using Store.Diagnostics;
using Store.Pages;

namespace Snapshot.Reading;

/// <summary>One page record of a checkpoint's chain, located: which file, where, and whether it verified.</summary>
/// <param name="File">The data file holding the record.</param>
/// <param name="Path">That file's path.</param>
/// <param name="Offset">File offset of the record's header.</param>
/// <param name="WrittenBy">The checkpoint that wrote the file (from its header).</param>
/// <param name="Damage">Why the record is damaged; null when it verified. A damaged record is not applied to its page.</param>
public sealed record ChainRecord(DataFileId File, string Path, long Offset, CheckpointId WrittenBy, PageRecordHeader Header, StoreCorruptedException? Damage);

/// <summary>One page of a checkpoint as a restore rebuilds it, with the records that built it.</summary>
/// <param name="Bytes">The page image, PageSize bytes; zeros where no record wrote.</param>
/// <param name="Records">The chain's records for the page, full checkpoint's first.</param>
/// <param name="Damage">Damage to this page, and damage to files of the chain that could have held a record of it. Empty when the page is exactly what a restore would produce.</param>
public sealed record RestoredPage(PageId Page, byte[] Bytes, IReadOnlyList<ChainRecord> Records, IReadOnlyList<StoreCorruptedException> Damage);

/// <summary>
/// Streams the pages of one checkpoint as a restore would rebuild them, for inspection tools: the
/// chain's data files are read side by side (each in ascending page order) and merged, so page
/// <i>P</i> is complete as soon as every file has moved past it. Memory is one page and one read
/// buffer per chain file, never the state.
/// </summary>
/// <remarks>
/// Unlike <see cref="CheckpointRestorer"/> it does not stop at damage: a damaged record is listed and
/// skipped (not applied), a file that cannot be opened or whose framing breaks is dropped from the
/// merge from that point, and a broken chain link is listed; everything is in <see cref="Damage"/>.
/// A newer format version is not damage: <see cref="Open"/> throws <see cref="UnsupportedFormatException"/>.
/// Only pages that some record touches are returned; every other page below the checkpoint's page
/// count is zeros.
/// </remarks>
public sealed class CheckpointPageReader : IDisposable
{
    private readonly Source?[] _sources;
    private readonly List<StoreCorruptedException> _damage = [];
    private readonly List<ChainRecord> _currentRecords = [];
    private readonly List<StoreCorruptedException> _currentDamage = [];
    private readonly SortedDictionary<uint, List<(int Index, ChainRecord Record)>> _damagedAhead = []; // damaged records by the page they claim
    private readonly List<(StoreCorruptedException Damage, uint First, uint End)> _damagedBatches = []; // may have held pages [First, End)
    private readonly byte[] _page;

    private CheckpointPageReader(CheckpointEntry entry, int pageSize, Source?[] sources)
    {
        Checkpoint = entry;
        PageSize = pageSize;
        _sources = sources;
        _page = new byte[pageSize];
    }

    public CheckpointEntry Checkpoint { get; }

    public int PageSize { get; }

    /// <summary>All damage met so far: chain files that could not be opened or read to the end, broken chain links, damaged records.</summary>
    public IReadOnlyList<StoreCorruptedException> Damage => _damage;

    /// <summary>True while every file of the chain was opened and nothing cut one short (damaged records may still have been skipped).</summary>
    public bool AllFilesReadable { get; private set; } = true;

    /// <summary>The current page (after <see cref="MoveNext"/> returned true).</summary>
    public PageId CurrentPage { get; private set; }

    /// <summary>The current page's image, PageSize bytes; valid until the next <see cref="MoveNext"/>.</summary>
    public ReadOnlySpan<byte> CurrentBytes => _page;

    /// <summary>The chain's records for the current page, in the order a restore applies them.</summary>
    public IReadOnlyList<ChainRecord> CurrentRecords => _currentRecords;

    /// <summary>Damage found on the current page's records (a subset of <see cref="Damage"/>).</summary>
    public IReadOnlyList<StoreCorruptedException> CurrentDamage => _currentDamage;

    /// <summary>Opens every file of <paramref name="entry"/>'s chain (header and trailer checked) and checks the links between them.</summary>
    public static CheckpointPageReader Open(ShardFiles files, ShardCatalog catalog, CheckpointEntry entry)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(entry);
        var sources = new Source?[entry.Chain.Length];
        var reader = new CheckpointPageReader(entry, catalog.PageSize, sources);
        try
        {
            DataFileHeader? previous = null;
            for (int i = 0; i < entry.Chain.Length; i++)
            {
                DataFileId fileId = entry.Chain[i];
                string path = files.DataPath(fileId);
                DataFileEntry? registered = catalog.File(fileId);
                DataFileReader data;
                try
                {
                    data = DataFileReader.Open(path, registered?.Length, continuePastDamagedRecords: true);
                }
                catch (StoreCorruptedException e)
                {
                    reader.FileLost(e);
                    previous = null;
                    continue;
                }

                string? broken = ManifestVerifier.CheckLink(data.Header, previous, i, entry, catalog, registered, out long offset);
                previous = data.Header;
                if (broken is not null)
                {
                    reader._damage.Add(new StoreCorruptedException(broken, path, offset, null));
                }

                if (data.Header.PageSize != catalog.PageSize)
                {
                    data.Dispose(); // its records cannot be laid onto pages of another size
                    reader.AllFilesReadable = false;
                    continue;
                }

                sources[i] = new Source(data, fileId);
                reader.Advance(sources[i]!, i);
            }

            return reader;
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Page <paramref name="page"/> as restored at <paramref name="entry"/>: streams the chain up to
    /// that page. A page no record touches is zeros with no records.
    /// </summary>
    public static RestoredPage ReadPage(ShardFiles files, ShardCatalog catalog, CheckpointEntry entry, PageId page)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (page.Value >= entry.PageCount)
        {
            throw new ArgumentOutOfRangeException(nameof(page), page.Value, $"{entry.Id} has {entry.PageCount} pages.");
        }

        using CheckpointPageReader reader = Open(files, catalog, entry);
        while (reader.MoveNext())
        {
            if (reader.CurrentPage.Value == page.Value)
            {
                List<StoreCorruptedException> damage = [.. reader.CurrentDamage];
                damage.AddRange(reader.Damage.Where(d => d.Page is null)); // lost or unlinked files could have held a record of this page
                damage.AddRange(reader.DamagedBatchesReaching(page).Except(damage));
                return new RestoredPage(page, reader.CurrentBytes.ToArray(), [.. reader.CurrentRecords], damage);
            }

            if (reader.CurrentPage.Value > page.Value)
            {
                break;
            }
        }

        return new RestoredPage(page, new byte[reader.PageSize], [], [.. reader.Damage.Where(d => d.Page is null), .. reader.DamagedBatchesReaching(page)]);
    }

    /// <summary>
    /// Damaged page batches that may have held <paramref name="page"/>: a batch's checksum covers all
    /// its pages, but once it is damaged only its first is known, so every page up to the next
    /// record of its file is suspect.
    /// </summary>
    private IEnumerable<StoreCorruptedException> DamagedBatchesReaching(PageId page) =>
        _damagedBatches.Where(d => d.First <= page.Value && page.Value < d.End).Select(d => d.Damage);

    /// <summary>Moves to the next page some record of the chain touches, in ascending page order.</summary>
    public bool MoveNext()
    {
        uint next = uint.MaxValue;
        bool any = false;
        foreach (Source? source in _sources)
        {
            if (source is { Ended: false } && source.Page <= next)
            {
                next = source.Page;
                any = true;
            }
        }

        if (_damagedAhead.Count > 0 && _damagedAhead.Keys.First() <= next)
        {
            next = _damagedAhead.Keys.First();
            any = true;
        }

        _currentRecords.Clear();
        _currentDamage.Clear();
        if (!any)
        {
            return false;
        }

        CurrentPage = new PageId(next);
        Array.Clear(_page);
        var sink = new PageSink(_page);
        var records = new List<(int Index, ChainRecord Record)>();
        for (int i = 0; i < _sources.Length; i++)
        {
            Source? source = _sources[i];
            while (source is { Ended: false } && source.Page == next)
            {
                DataFileReader data = source.Reader;
                PageRecordHeader header = data.Current;
                StoreCorruptedException? damage = null;
                try
                {
                    PagePatch.Apply(header, data.CurrentPayload, PageSize, ref sink);
                }
                catch (StoreCorruptedException e)
                {
                    damage = e;
                    _currentDamage.Add(e);
                    _damage.Add(e);
                }

                records.Add((i, new ChainRecord(source.File, data.Path, data.CurrentOffset, data.Header.Checkpoint, header, damage)));
                Advance(source, i);
            }
        }

        if (_damagedAhead.Remove(next, out List<(int Index, ChainRecord Record)>? damaged))
        {
            records.AddRange(damaged);
            _currentDamage.AddRange(damaged.Select(d => d.Record.Damage!));
        }

        _currentRecords.AddRange(records.OrderBy(r => r.Index).Select(r => r.Record)); // chain order; OrderBy is stable
        return true;
    }

    /// <summary>
    /// Moves a file to its next verified record, checking page order; a file whose framing breaks
    /// leaves the merge. A damaged record's page id is only claimed, so it never decides the order:
    /// it is attached to the page it claims when that claim fits the file's order, and otherwise
    /// only listed in <see cref="Damage"/>.
    /// </summary>
    private void Advance(Source source, int index)
    {
        try
        {
            while (true)
            {
                if (!source.Reader.MoveNext())
                {
                    Drop(source, index, null);
                    return;
                }

                DataFileReader data = source.Reader;
                uint page = data.Current.Page.Value;
                bool inOrder = !source.Started || page > source.Page;
                if (source.DamagedBatch >= 0)
                {
                    // The record after a damaged batch bounds the pages the batch can have held.
                    _damagedBatches[source.DamagedBatch] = _damagedBatches[source.DamagedBatch] with { End = Math.Max(page, _damagedBatches[source.DamagedBatch].First + 1) };
                    source.DamagedBatch = -1;
                }

                if (data.CurrentDamage is { } damage)
                {
                    _damage.Add(damage);
                    if (data.Current.Kind == PageRecordKind.Batch)
                    {
                        source.DamagedBatch = _damagedBatches.Count;
                        _damagedBatches.Add((damage, page, uint.MaxValue));
                    }

                    if (inOrder && page < Checkpoint.PageCount)
                    {
                        if (!_damagedAhead.TryGetValue(page, out List<(int Index, ChainRecord Record)>? list))
                        {
                            _damagedAhead[page] = list = [];
                        }

                        list.Add((index, new ChainRecord(source.File, data.Path, data.CurrentOffset, data.Header.Checkpoint, data.Current, damage)));
                    }

                    continue;
                }

                if (!inOrder)
                {
                    // A restore refuses this; the merge could not place the record, so the rest of the file goes too.
                    Drop(source, index, new StoreCorruptedException(
                        $"page records are out of order: {data.Current.Page} follows page {source.Page}", data.Path, data.CurrentOffset, data.Current.Page));
                    return;
                }

                source.Started = true;
                source.Page = page;
                return;
            }
        }
        catch (StoreCorruptedException e)
        {
            Drop(source, index, e);
        }
    }

    private void Drop(Source source, int index, StoreCorruptedException? why)
    {
        source.Ended = true;
        source.Reader.Dispose();
        _sources[index] = null;
        if (why is not null)
        {
            FileLost(why);
        }
    }

    private void FileLost(StoreCorruptedException why)
    {
        AllFilesReadable = false;
        _damage.Add(why);
    }

    public void Dispose()
    {
        for (int i = 0; i < _sources.Length; i++)
        {
            _sources[i]?.Reader.Dispose();
            _sources[i] = null;
        }
    }

    private sealed class Source(DataFileReader reader, DataFileId file)
    {
        public DataFileReader Reader { get; } = reader;

        public DataFileId File { get; } = file;

        public uint Page { get; set; }

        public bool Started { get; set; }

        public bool Ended { get; set; }

        /// <summary>The index in <c>_damagedBatches</c> of this file's last record when it was a damaged batch; -1 otherwise.</summary>
        public int DamagedBatch { get; set; } = -1;
    }

    private readonly struct PageSink(byte[] page) : IPagePatchSink
    {
        public void Write(int offset, ReadOnlySpan<byte> bytes) => bytes.CopyTo(page.AsSpan(offset));
    }
}
