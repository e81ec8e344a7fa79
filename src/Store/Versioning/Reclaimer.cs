using System.Diagnostics;
using Store.Pages;
using Store.PageTable;

namespace Store.Versioning;

/// <summary>
/// Frames and page-table nodes that the live version stopped using (it copied them) but that
/// frozen versions may still reach. An item replaced during live version L, first written in
/// version w, is reachable exactly from the frozen versions in [w, L); it goes back to its pool
/// once none of those is alive. Out-of-order releases are handled: releasing a newer version
/// frees what only it used even while an older one is still alive.
/// </summary>
/// <remarks>
/// Writer thread only. The frozen-memory account (<see cref="HeldBytes"/>) is what
/// <see cref="StoreOptions.MaxFrozenBytes"/> bounds.
/// </remarks>
internal sealed class Reclaimer
{
    private readonly FramePool _frames;
    private readonly PageTableNodePool _nodes;
    private readonly int _pageSize;
    private readonly List<Retired> _items = new(1024);
    private int _seenGeneration = -1;

    public Reclaimer(FramePool frames, PageTableNodePool nodes, int pageSize)
    {
        _frames = frames;
        _nodes = nodes;
        _pageSize = pageSize;
    }

    public long HeldBytes { get; private set; }

    public int PendingCount => _items.Count;

    public void RetireFrame(FrameIndex frame, Epoch firstVisible, Epoch retiredAt)
    {
        _items.Add(new Retired(frame, null, firstVisible, retiredAt));
        HeldBytes += _pageSize;
    }

    public void RetireNode(PageTableNode node, Epoch retiredAt)
    {
        _items.Add(new Retired(default, node, node.Version, retiredAt));
        HeldBytes += node.FootprintBytes;
    }

    /// <summary>
    /// Returns to their pools the items no alive frozen version can reach. Cheap when nothing was
    /// released since the last pass (one volatile read).
    /// </summary>
    public void Reclaim(VersionRegistry versions)
    {
        if (versions.Generation == _seenGeneration || _items.Count == 0)
        {
            return;
        }

        Span<Epoch> alive = stackalloc Epoch[64];
        int aliveCount = versions.CopyAlive(alive, out _seenGeneration);
        alive = alive[..aliveCount];

        int kept = 0;
        for (int i = 0; i < _items.Count; i++)
        {
            Retired item = _items[i];
            if (IsReachable(item, alive))
            {
                _items[kept++] = item;
                continue;
            }

            if (item.Node is { } node)
            {
                HeldBytes -= node.FootprintBytes;
                _nodes.Return(node);
            }
            else
            {
                HeldBytes -= _pageSize;
                _frames.Return(item.Frame);
            }
        }

        _items.RemoveRange(kept, _items.Count - kept);
        Debug.Assert(HeldBytes >= 0, "the frozen-memory account never goes negative");
    }

    private static bool IsReachable(in Retired item, ReadOnlySpan<Epoch> alive)
    {
        foreach (Epoch v in alive)
        {
            if (v >= item.FirstVisible && v < item.RetiredAt)
            {
                return true;
            }
        }

        return false;
    }

    private readonly record struct Retired(FrameIndex Frame, PageTableNode? Node, Epoch FirstVisible, Epoch RetiredAt);
}
