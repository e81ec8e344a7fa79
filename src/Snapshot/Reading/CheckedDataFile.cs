using Microsoft.Win32.SafeHandles;
using Snapshot.Format;

namespace Snapshot.Reading;

/// <summary>
/// A data file whose length, trailer and header checked out (<see cref="DataFileReader.OpenChecked"/>),
/// with its open handle, which the caller owns: the streaming reader or <see cref="FullFileRestore"/> goes on from here.
/// </summary>
internal readonly record struct CheckedDataFile(SafeFileHandle Handle, DataFileHeader Header, DataFileTrailer Trailer, long Length);
