namespace Snapshot;

/// <summary>A checkpoint that the caller named, or the newest confirmed one, does not exist in the shard's catalog.</summary>
public sealed class CheckpointNotFoundException(string message) : Exception(message);
