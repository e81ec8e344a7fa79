using System.Diagnostics;
using System.Runtime.CompilerServices;
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
/// <para>Writer thread only. The frozen-memory account (<see cref="HeldBytes"/>) is what
/// <see cref="StoreOptions.MaxFrozenBytes"/> bounds.</para>
/// <para>Reclamation is incremental: a pass over the retired items starts when a release is seen and
/// advances a bounded number of items per write, so releasing a version that held 100,000 pages
/// does not stall one write for milliseconds. A pass judges only the items retired before it began,
/// against the alive set copied when it began: a version frozen later cannot reach those items
/// (it is newer than their retirement), and a version released later only makes the copy
/// conservative.</para>
/// </remarks>
internal sealed class Reclaimer
{
    private readonly FramePool _frames;
    private readonly PageTableNodePool _nodes;
    private readonly int _pageSize;
    private readonly List<Retired> _items = new(1024);
    private readonly Epoch[] _alive = new Epoch[64];
    private int _aliveCount;
    private int _seenGeneration = -1;
    private bool _passActive;
    private int _scan;   // next item the pass examines
    private int _keep;   // items [0, _keep) were examined and are still reachable
    private int _passEnd; // items retired after the pass began are not judged by it

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
    /// Advances reclamation by at most <paramref name="budget"/> items (all of them with
    /// int.MaxValue). Cheap when nothing was released since the last pass: one volatile read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Reclaim(VersionRegistry versions, int budget)
    {
        // Inlined: every write asks, and nearly always the answer is this one comparison.
        if (!_passActive && (versions.Generation == _seenGeneration || _items.Count == 0))
        {
            return;
        }

        ReclaimSome(versions, budget);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReclaimSome(VersionRegistry versions, int budget)
    {
        if (!_passActive)
        {
            _aliveCount = versions.CopyAlive(_alive, out _seenGeneration);
            _passActive = true;
            _scan = 0;
            _keep = 0;
            _passEnd = _items.Count;
        }

        ReadOnlySpan<Epoch> alive = _alive.AsSpan(0, _aliveCount);
        int stop = (int)Math.Min(_passEnd, (long)_scan + budget);
        for (; _scan < stop; _scan++)
        {
            Retired item = _items[_scan];
            if (IsReachable(item, alive))
            {
                _items[_keep++] = item;
            }
            else if (item.Node is { } node)
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

        if (_scan == _passEnd)
        {
            // Close the gap between kept items and those retired during the pass.
            _items.RemoveRange(_keep, _passEnd - _keep);
            _passActive = false;
            Debug.Assert(HeldBytes >= 0, "the frozen-memory account never goes negative");
        }
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
