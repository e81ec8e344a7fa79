namespace Store.PageTable;

/// <summary>
/// Recycles page-table nodes so that copy-on-write of a path allocates nothing in steady state.
/// Writer thread only (nodes come back through the <see cref="Versioning.Reclaimer"/>).
/// </summary>
internal sealed class PageTableNodePool
{
    private readonly Stack<PageTableNode> _leaves = new();
    private readonly Stack<PageTableNode> _interiors = new();

    public PageTableNode RentLeaf() => _leaves.TryPop(out PageTableNode? node) ? node : PageTableNode.NewLeaf();

    public PageTableNode RentInterior() => _interiors.TryPop(out PageTableNode? node) ? node : PageTableNode.NewInterior();

    public void Return(PageTableNode node)
    {
        node.Clear();
        (node.IsLeaf ? _leaves : _interiors).Push(node);
    }
}
