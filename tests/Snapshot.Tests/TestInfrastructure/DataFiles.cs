using Snapshot.Format;
using Snapshot.Reading;

namespace Snapshot.Tests.TestInfrastructure;

/// <summary>What a data file holds, counted through the reader.</summary>
public static class DataFiles
{
    /// <summary>The pages of a data file that sit in page batches, the bytes of their entries, and the file's trailer.</summary>
    public static (int Pages, long Bytes, DataFileTrailer Trailer) BatchedPages(string path)
    {
        using DataFileReader reader = DataFileReader.Open(path);
        int pages = 0;
        long bytes = 0;
        while (reader.MoveNext())
        {
            if (reader.Current.InBatch)
            {
                pages++;
                bytes += reader.Current.StoredLength;
            }
        }

        return (pages, bytes, reader.Trailer);
    }
}
