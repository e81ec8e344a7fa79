namespace Store.Index;

/// <summary>What a page holds; byte 0 of every page. Zero means "never initialised".</summary>
public enum PageKind : byte
{
    Unused = 0,
    Meta = 1,
    GroupTable = 2,
    GroupRoot = 3,
    Directory = 4,
    Bucket = 5,
    Blob = 6,
    Free = 7,
}
