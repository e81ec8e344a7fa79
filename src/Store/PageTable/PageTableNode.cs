using System.Runtime.CompilerServices;
using Store.Versioning;

namespace Store.PageTable;

/// <summary>
/// A node of the copy-on-write radix tree. Leaves hold 64 page entries, interior nodes 64
/// children. A node is immutable once any frozen version can reach it; the writer then copies it
/// (path copying) instead of changing it.
/// </summary>
/// <remarks>
/// Invariant: <see cref="Version"/> is the version that last modified the node, and is ≥ the
/// Written version of every entry below it. A dirty listing since B therefore skips any subtree
/// whose Version ≤ B, which makes the listing cost proportional to the dirty pages, not the state.
/// </remarks>
internal sealed class PageTableNode
{
    public const int FanoutBits = 6;
    public const int Fanout = 1 << FanoutBits;
    public const int FanoutMask = Fanout - 1;

    private PageTableNode(bool leaf)
    {
        if (leaf)
        {
            // Pinned (on the pinned object heap, never moved), so the page table's writer can keep
            // raw addresses of live leaves' entries: a write then reaches its entry without loading
            // the array's header, a cache miss on every write at 10M keys.
            Entries = GC.AllocateArray<PageEntry>(Fanout, pinned: true);
        }
        else
        {
            Children = new PageTableNode?[Fanout];
        }
    }

    public Epoch Version;

    /// <summary>Non-null for leaves.</summary>
    public readonly PageEntry[]? Entries;

    /// <summary>Non-null for interior nodes.</summary>
    public readonly PageTableNode?[]? Children;

    public bool IsLeaf => Entries is not null;

    /// <summary>Bytes a leaf holds (object and array headers plus entries), for the frozen-memory account.</summary>
    public static readonly int LeafFootprint = 64 + (Fanout * Unsafe.SizeOf<PageEntry>());

    /// <summary>Bytes an interior node holds.</summary>
    public static readonly int InteriorFootprint = 64 + (Fanout * IntPtr.Size);

    public int FootprintBytes => IsLeaf ? LeafFootprint : InteriorFootprint;

    public static PageTableNode NewLeaf() => new(leaf: true);

    public static PageTableNode NewInterior() => new(leaf: false);

    public void CopyFrom(PageTableNode source)
    {
        if (Entries is not null)
        {
            source.Entries!.AsSpan().CopyTo(Entries);
        }
        else
        {
            source.Children!.AsSpan().CopyTo(Children);
        }
    }

    /// <summary>Clears references so a pooled node keeps no subtree alive.</summary>
    public void Clear()
    {
        Version = Epoch.None;
        if (Entries is not null)
        {
            Array.Clear(Entries);
        }
        else
        {
            Array.Clear(Children!);
        }
    }
}
