namespace Snapshot.Catalog;

/// <summary>The registry's record of one data file: who created it, the newest checkpoint that needs it, and its committed length.</summary>
public sealed record DataFileEntry(DataFileId Id, CheckpointId CreatedBy, CheckpointId LastUsedBy, long Length);
