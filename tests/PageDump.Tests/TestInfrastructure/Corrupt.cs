using Snapshot.Reading;

namespace PageDump.Tests.TestInfrastructure;

/// <summary>Ways to damage checkpoint files, as bit rot, a cut-off copy or a lost file would.</summary>
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

    /// <summary>The file offset and page of the <paramref name="n"/>th record (0-based) of a data file.</summary>
    public static (long Offset, uint Page) NthRecord(string path, int n)
    {
        using DataFileReader reader = DataFileReader.Open(path);
        for (int i = 0; i <= n; i++)
        {
            Assert.True(reader.MoveNext());
        }

        return (reader.CurrentOffset, reader.Current.Page.Value);
    }
}
