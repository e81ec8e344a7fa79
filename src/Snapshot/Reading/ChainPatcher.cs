using System.Diagnostics;
using System.Runtime.CompilerServices;
using Snapshot.Format;
using Store;
using Store.Diagnostics;
using Store.Pages;

namespace Snapshot.Reading;

/// <summary>
/// Applies the record-streamed files of a restore's chain (its deltas, and a full file without the
/// fixed layout) to the store being rebuilt, one page range at a time, so a delta's patches can go
/// into a page right after the full file's image of it landed, while the page is still in cache.
/// </summary>
/// <remarks>
/// <para>Ordering: a page's final bytes are its full image, then each delta's patches in chain order.
/// <see cref="ApplyBelow"/> applies, stream by stream in chain order, every record whose page is below
/// the limit. Records of one file come in page order (checked), so every record of a page is applied
/// in the same call, streams in chain order; records of different pages touch different bytes and
/// commute. Calls with rising limits therefore give the same pages as applying each file whole, one
/// after the other.</para>
/// <para>Why: applied file after file, a delta's patches each land on a random page of a store
/// larger than any cache, about 300 ns a page (perf/HISTORY.md, "Restore re-measured"). Folded into
/// the full file's pass, they land on pages the full file's checksum has just read.</para>
/// </remarks>
internal sealed class ChainPatcher : IDisposable
{
    private readonly Stream[] _streams;

    /// <summary>Takes over the files' handles, also when it throws.</summary>
    public ChainPatcher(IReadOnlyList<(CheckedDataFile File, string Path)> files, StoreLoader loader, bool readAhead)
    {
        _streams = new Stream[files.Count];
        try
        {
            for (int i = 0; i < files.Count; i++)
            {
                (CheckedDataFile file, string path) = files[i];
                _streams[i] = new Stream(DataFileReader.Open(file, path, readAhead: readAhead), loader);
            }
        }
        catch
        {
            for (int i = 0; i < files.Count; i++)
            {
                if (_streams[i] is { } opened)
                {
                    opened.Reader.Dispose();
                }
                else
                {
                    files[i].File.Handle.Dispose();
                }
            }

            throw;
        }
    }

    /// <summary>Applies every not yet applied record for a page below <paramref name="limit"/>, file by file in chain order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
    public void ApplyBelow(uint limit)
    {
        foreach (Stream stream in _streams)
        {
            stream.ApplyBelow(limit);
        }
    }

    /// <summary>Applies every remaining record and checks each file's end (its trailer counts).</summary>
    public void ApplyRest() => ApplyBelow(uint.MaxValue);

    public void Dispose()
    {
        foreach (Stream stream in _streams)
        {
            stream.Reader.Dispose();
        }
    }

    /// <summary>One file's records, with at most one record read but held back for a later range.</summary>
    private sealed class Stream(DataFileReader reader, StoreLoader loader)
    {
        private LoaderSink _sink = new(loader);
        private bool _held;   // Reader.Current is verified but its page was at or above the last limit
        private bool _ended;  // MoveNext returned false: the file's end and trailer counts checked
        private uint? _last;  // page of the last record read, for the order check

        public DataFileReader Reader { get; } = reader;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
        public void ApplyBelow(uint limit)
        {
            while (true)
            {
                if (!_held)
                {
                    if (_ended || !Reader.MoveNext())
                    {
                        _ended = true;
                        return;
                    }

                    PageId page = Reader.Current.Page;
                    if (_last is { } last && page.Value <= last)
                    {
                        throw new StoreCorruptedException($"page records are out of order: {page} follows {new PageId(last)}", Reader.Path, Reader.CurrentOffset, page);
                    }

                    _last = page.Value;
                    _held = true;
                }

                PageRecordHeader record = Reader.Current;
                if (record.Page.Value >= limit)
                {
                    return;
                }

                _sink.Page = record.Page;
                PagePatch.Apply(record, Reader.CurrentPayload, Reader.Header.PageSize, ref _sink);
                _held = false;
            }
        }
    }

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
