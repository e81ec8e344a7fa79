namespace Snapshot.Format;

/// <summary>How a page record's payload encodes the page's bytes. The numeric values are on disk.</summary>
public enum PageRecordKind : byte
{
    /// <summary>The whole page, PageSize bytes.</summary>
    FullPage = 1,

    /// <summary>The granules set in the record's mask, each PageSize/64 bytes, in ascending order.</summary>
    Granules = 2,

    /// <summary>
    /// Byte extents: repeated (u16 offset, u16 length, length bytes); the rest of the page is
    /// unchanged. A record of its own only in format 2; format 3 writes extents inside a
    /// <see cref="Batch"/>, and <see cref="Reading.DataFileReader"/> presents each batched page as
    /// an Extents record in this layout.
    /// </summary>
    Extents = 3,

    /// <summary>Format 3: the extents of many pages, one entry per page (<see cref="PageBatch"/>).</summary>
    Batch = 4,
}
