using System.Buffers.Binary;
using System.Numerics;
using Store.Diagnostics;

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
    /// Calls <paramref name="sink"/> once per contiguous piece of the record. Extents are checked
    /// to lie inside the page and inside the record's granule mask.
    /// </summary>
    public static void Apply<TSink>(in PageRecordHeader header, ReadOnlySpan<byte> payload, int pageSize, string file, long offset, ref TSink sink)
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
                ulong mask = header.GranuleMask;
                int at = 0;
                while (mask != 0)
                {
                    int start = BitOperations.TrailingZeroCount(mask);
                    int run = BitOperations.TrailingZeroCount(~(mask >> start));
                    int bytes = run << granuleShift;
                    sink.Write(start << granuleShift, payload.Slice(at, bytes));
                    at += bytes;
                    mask = run + start == 64 ? 0 : mask & ~(((1UL << run) - 1) << start);
                }

                break;
            }

            default:
            {
                int at = 0;
                while (at < payload.Length)
                {
                    if (payload.Length - at < PageRecordHeader.ExtentPrefixSize)
                    {
                        throw new StoreCorruptedException("an extent prefix is cut off at the end of the payload", file, offset + PageRecordHeader.Size + at, header.Page);
                    }

                    int extentOffset = BinaryPrimitives.ReadUInt16LittleEndian(payload[at..]);
                    int length = BinaryPrimitives.ReadUInt16LittleEndian(payload[(at + 2)..]);
                    at += PageRecordHeader.ExtentPrefixSize;
                    if (length == 0 || length > payload.Length - at || extentOffset + length > pageSize ||
                        (Store.Pages.DirtyRegion.GranuleBits(extentOffset, length, granuleShift) & ~header.GranuleMask) != 0)
                    {
                        throw new StoreCorruptedException(
                            $"extent [{extentOffset}, {extentOffset + length}) does not fit the payload, the page or the granule mask {header.GranuleMask:X16}",
                            file, offset + PageRecordHeader.Size + at - PageRecordHeader.ExtentPrefixSize, header.Page);
                    }

                    sink.Write(extentOffset, payload.Slice(at, length));
                    at += length;
                }

                break;
            }
        }
    }
}
