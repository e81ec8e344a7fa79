namespace Store.Pages;

/// <summary>The index of a physical frame in the store's frame memory (not a logical page).</summary>
internal readonly record struct FrameIndex(int Value)
{
    public override string ToString() => $"frame {Value}";
}
