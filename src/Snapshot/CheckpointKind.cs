namespace Snapshot;

/// <summary>What a checkpoint's data file holds. The numeric values are on disk.</summary>
public enum CheckpointKind : byte
{
    /// <summary>Every page of the version: a restore starts here.</summary>
    Full = 1,

    /// <summary>Only the bytes written since its base checkpoint.</summary>
    Incremental = 2,
}
