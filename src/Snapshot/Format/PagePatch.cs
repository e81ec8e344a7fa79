using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Snapshot.Format;

/// <summary>Receives the bytes a page record puts into its page.</summary>
public interface IPagePatchSink
{
    void Write(int offset, ReadOnlySpan<byte> bytes);
}

/// <summary>Turns a verified page record into the (offset, bytes) writes that rebuild its page.</summary>
public static class PagePatch
{
    /// <summary>
    /// Calls <paramref name="sink"/> once per contiguous piece of a record that
    /// <see cref="PageRecordHeader.Verify"/> accepted (which checked every extent against the
    /// payload and the page, and the granule count against the payload length).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
    public static void Apply<TSink>(in PageRecordHeader header, ReadOnlySpan<byte> payload, int pageSize, ref TSink sink)
        where TSink : IPagePatchSink
    {
        int granuleShift = BitOperations.Log2((uint)pageSize / 64);
        switch (header.Kind)
        {
            case PageRecordKind.FullPage:
                sink.Write(0, payload);
                break;
            case PageRecordKind.Granules:
            {
                ulong mask = BinaryPrimitives.ReadUInt64LittleEndian(payload);
                int at = PageRecordHeader.GranuleMaskSize;
                while (GranuleRuns.Next(ref mask, out int start, out int run))
                {
                    int bytes = run << granuleShift;
                    sink.Write(start << granuleShift, payload.Slice(at, bytes));
                    at += bytes;
                }

                break;
            }

            default:
            {
                int at = 0;
                while (at < payload.Length)
                {
                    int extentOffset = BinaryPrimitives.ReadUInt16LittleEndian(payload[at..]);
                    int length = BinaryPrimitives.ReadUInt16LittleEndian(payload[(at + 2)..]);
                    at += PageRecordHeader.ExtentPrefixSize;
                    sink.Write(extentOffset, payload.Slice(at, length));
                    at += length;
                }

                break;
            }
        }
    }
}
