using System.Runtime.CompilerServices;
using Store.Diagnostics;
using Store.Pages;

namespace Store;

/// <summary>
/// A store being rebuilt from page images, as a checkpoint restore does: every page below
/// <see cref="PageCount"/> starts as zeros; the restorer writes the bytes it read, then
/// <see cref="Complete"/> hands the store over. Writer thread only, like the store itself.
/// </summary>
/// <remarks>
/// The loader does no dirty tracking: what it writes is the restored checkpoint, which becomes the
/// store's version 1, already confirmed. The next incremental checkpoint therefore lists only
/// what changed after the restore.
/// </remarks>
public sealed class StoreLoader : IDisposable
{
    private StateStore? _store;

    private uint _allocated; // pages [0, _allocated) exist in the store; the rest are created on first write

    internal StoreLoader(StateStore store, uint pageCount)
    {
        _store = store;
        PageSize = store.Options.PageSize;
        PageCount = pageCount;
    }

    public int PageSize { get; }

    public uint PageCount { get; }

    /// <summary>Copies <paramref name="bytes"/> into <paramref name="page"/> at <paramref name="offset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
    public void Write(PageId page, int offset, ReadOnlySpan<byte> bytes)
    {
        StateStore store = Existing(page);
        if (offset < 0 || bytes.Length > PageSize - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset,
                $"{bytes.Length} bytes at offset {offset} do not fit in a {PageSize}-byte page ({page}).");
        }

        store.WriteRestored(page, offset, bytes);
    }

    /// <summary>
    /// The whole page as writable memory, so a restore can read a page image from a file straight
    /// into it (a scatter read with <see cref="RandomAccess.Read(Microsoft.Win32.SafeHandles.SafeFileHandle, IReadOnlyList{Memory{byte}}, long)"/>)
    /// instead of copying it through a buffer. The memory may be filled from any thread, but only
    /// until <see cref="Complete"/> or <see cref="Dispose"/>: every read into it must have finished
    /// by then, because the store's memory goes away with an abandoned restore.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
    public Memory<byte> PageMemory(PageId page) => Existing(page).RestoredPageMemory(page);

    /// <summary>The store, with pages up to <paramref name="page"/> created.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
    private StateStore Existing(PageId page)
    {
        StateStore store = _store ?? throw new ObjectDisposedException(nameof(StoreLoader), "The restore was completed or abandoned.");
        if (page.Value >= PageCount)
        {
            ThrowHelper.ThrowPageOutOfRange(page, PageCount);
        }

        if (page.Value >= _allocated)
        {
            // Pages appear in page order in a full checkpoint, so this runs once per page, in the
            // time the restore would otherwise spend waiting for the next chunk of the file.
            store.AllocateRestoredPages(page.Value + 1);
            _allocated = page.Value + 1;
        }

        return store;
    }

    /// <summary>
    /// Checks the restored meta page against the store options and returns the store. A mismatch in
    /// page size or key-group count is an <see cref="ArgumentException"/>; a damaged meta page is a
    /// <see cref="StoreCorruptedException"/> naming <paramref name="source"/>.
    /// </summary>
    public StateStore Complete(string? source = null)
    {
        StateStore store = _store ?? throw new ObjectDisposedException(nameof(StoreLoader), "The restore was completed or abandoned.");
        try
        {
            store.AllocateRestoredPages(PageCount); // pages no record wrote are zeros
            store.SealRestore(source);
        }
        catch
        {
            Dispose();
            throw;
        }

        _store = null;
        return store;
    }

    /// <summary>Abandons an incomplete restore and frees its memory.</summary>
    public void Dispose()
    {
        _store?.Dispose();
        _store = null;
    }
}
