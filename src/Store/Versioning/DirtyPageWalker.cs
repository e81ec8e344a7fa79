using Store.Pages;
using Store.PageTable;

namespace Store.Versioning;

/// <summary>
/// Lists the pages of a frozen tree written after a base version, in page-id order. Subtrees whose
/// node version is not newer than the base are skipped whole, so the walk costs O(dirty pages ×
/// tree height), not O(pages). The caller holds a lease on the version for the whole walk.
/// </summary>
internal struct DirtyPageWalker
{
    private readonly Epoch _base;
    private readonly PageTableNode?[] _path;
    private readonly int[] _next;
    private int _depth;
    private DirtyPage _current;
    private FrameIndex _currentFrame;

    public DirtyPageWalker(PageTableSnapshot snapshot, Epoch baseVersion)
    {
        _base = baseVersion;
        _path = new PageTableNode?[snapshot.Height + 1];
        _next = new int[snapshot.Height + 1];
        _path[0] = snapshot.Root.Version > baseVersion ? snapshot.Root : null;
        _depth = 0;
        _current = default;
        _currentFrame = default;
        Height = snapshot.Height;
    }

    private int Height { get; }

    public readonly DirtyPage Current => _current;

    /// <summary>The frame holding <see cref="Current"/> in this version (for prefetching it).</summary>
    public readonly FrameIndex CurrentFrame => _currentFrame;

    public bool MoveNext()
    {
        while (_depth >= 0)
        {
            PageTableNode? node = _path[_depth];
            if (node is null || _next[_depth] == PageTableNode.Fanout)
            {
                _depth--;
                continue;
            }

            int slot = _next[_depth]++;
            if (node.IsLeaf)
            {
                ref readonly PageEntry entry = ref node.Entries![slot];
                if (entry.Exists && entry.Written > _base)
                {
                    _current = new DirtyPage(new PageId(PageIdAt(slot)), entry.Written, entry.DirtySince(_base));
                    _currentFrame = entry.Frame;
                    return true;
                }

                continue;
            }

            PageTableNode? child = node.Children![slot];
            if (child is not null && child.Version > _base)
            {
                _depth++;
                _path[_depth] = child;
                _next[_depth] = 0;
            }
        }

        return false;
    }

    /// <summary>The page id of leaf slot <paramref name="slot"/> on the current path.</summary>
    private readonly uint PageIdAt(int slot)
    {
        uint id = 0;
        for (int d = 0; d < _depth; d++)
        {
            // _next[d] was advanced past the child we descended into.
            id = (id << PageTableNode.FanoutBits) | (uint)(_next[d] - 1);
        }

        return (id << PageTableNode.FanoutBits) | (uint)slot;
    }
}
