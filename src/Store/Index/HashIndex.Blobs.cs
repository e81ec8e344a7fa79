using Store.Pages;

namespace Store.Index;

/// <summary>Values longer than the inline limit, stored in chains of blob pages of the key's group.</summary>
internal sealed partial class HashIndex
{
    /// <summary>Writes <paramref name="value"/> into a new chain and returns its first page.</summary>
    private PageId WriteBlob(int keyGroup, ReadOnlySpan<byte> value)
    {
        // Built back to front, so each page's successor is already known when it is written.
        int pages = BlobPage.PagesFor(value.Length, _geometry.PageSize);
        PageId next = PageId.None;
        for (int i = pages - 1; i >= 0; i--)
        {
            PageId page = AllocatePage();
            WriteBlobPage(keyGroup, page, next, BlobChunk(value, i));
            next = page;
        }

        return next;
    }

    /// <summary>
    /// Rewrites a value in its existing chain, page by page, writing only bytes that differ; the
    /// chain grows or shrinks at its tail.
    /// </summary>
    private void RewriteBlob(int keyGroup, PageId first, ReadOnlySpan<byte> value)
    {
        int pages = BlobPage.PagesFor(value.Length, _geometry.PageSize);
        PageId page = first;
        PageId oldNext = PageHeader.Next(_table.Read(first)); // the rest of the old chain, not yet reused
        for (int i = 0; i < pages; i++)
        {
            PageId next = PageId.None;
            if (i < pages - 1)
            {
                if (oldNext.IsNone)
                {
                    next = AllocatePage();
                }
                else
                {
                    next = oldNext;
                    oldNext = PageHeader.Next(_table.Read(oldNext));
                }
            }

            WriteBlobPage(keyGroup, page, next, BlobChunk(value, i));
            page = next;
        }

        FreeChain(oldNext);
    }

    private ReadOnlySpan<byte> BlobChunk(ReadOnlySpan<byte> value, int index)
    {
        int start = index * _geometry.BlobPayload;
        return value.Slice(start, Math.Min(_geometry.BlobPayload, value.Length - start));
    }

    private void WriteBlobPage(int keyGroup, PageId page, PageId next, ReadOnlySpan<byte> chunk)
    {
        Span<byte> image = ClearImage();
        PageHeader.Write(image, PageKind.Blob, (ushort)keyGroup, next, fieldA: (uint)chunk.Length);
        chunk.CopyTo(image[BlobPage.PayloadOffset..]);
        _table.WriteIfChanged(page, 0, image);
    }
}
