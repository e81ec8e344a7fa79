using System.Buffers.Binary;
using Snapshot.Format;
using Snapshot.Reading;

namespace TestInfrastructure;

/// <summary>
/// Ways to damage checkpoint files, as bit rot, a cut-off copy or a lost file would. Linked into
/// the Snapshot and PageDump test projects (see their .csproj).
/// </summary>
public static class Corrupt
{
    public static void FlipBit(string path, long offset)
    {
        using FileStream stream = File.Open(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        int b = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(b ^ 0x10));
    }

    public static void Truncate(string path, long bytes)
    {
        using FileStream stream = File.Open(path, FileMode.Open);
        stream.SetLength(stream.Length - bytes);
    }

    /// <summary>
    /// The file offset and page of the <paramref name="n"/>th record (0-based) of a data file, as its
    /// header names them: a page batch is one record, named by its first page. Damage to a record's
    /// payload is reported there.
    /// </summary>
    public static (long Offset, uint Page) NthRecord(string path, int n)
    {
        using DataFileReader reader = DataFileReader.Open(path);
        long seen = -1;
        for (int i = -1; i < n;)
        {
            Assert.True(reader.MoveNext());
            if (reader.CurrentRecordOffset != seen)
            {
                seen = reader.CurrentRecordOffset;
                i++;
            }
        }

        return (reader.CurrentRecordOffset, reader.CurrentRecord.Page.Value);
    }

    /// <summary>Rewrites a data file's header as a newer format version would, checksum included, so only the version is wrong.</summary>
    public static void WithNewerFormatVersion(string path)
    {
        byte[] header = new byte[DataFileHeader.Size];
        using FileStream stream = File.Open(path, FileMode.Open, FileAccess.ReadWrite);
        stream.ReadExactly(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(DataFileHeader.FormatVersionOffset), DataFileHeader.FormatVersion + 1);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(DataFileHeader.ChecksumOffset),
            System.IO.Hashing.XxHash3.HashToUInt64(header.AsSpan(0, DataFileHeader.ChecksumOffset)));
        stream.Position = 0;
        stream.Write(header);
    }
}
