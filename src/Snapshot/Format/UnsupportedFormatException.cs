namespace Snapshot.Format;

/// <summary>
/// A checkpoint structure written by a newer (or unknown) format version. Not corruption: the
/// bytes check out, but this build cannot interpret them. Upgrade the reader.
/// </summary>
public sealed class UnsupportedFormatException(string file, uint found, uint supported)
    : Exception($"'{file}' uses checkpoint format version {found}; this build reads versions {DataFileHeader.OldestReadableFormat} to {supported}." +
        (found > supported ? " Use a newer Store build to read it." : ""))
{
    public string File { get; } = file;

    public uint FoundVersion { get; } = found;

    public uint SupportedVersion { get; } = supported;
}
