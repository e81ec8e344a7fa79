using System.IO.Hashing;

namespace Snapshot.Format;

/// <summary>The checksums of the checkpoint format, all XxHash3-64 (seed 0) over the bytes a layout names.</summary>
internal static class Checksum
{
    public static ulong Of(ReadOnlySpan<byte> bytes) => XxHash3.HashToUInt64(bytes);

    /// <summary>Page records keep the low 32 bits: a 2^-32 miss rate per record is plenty next to a 64-bit file trailer.</summary>
    public static uint Of32(ReadOnlySpan<byte> bytes) => (uint)XxHash3.HashToUInt64(bytes);
}
