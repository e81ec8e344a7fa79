using System.Globalization;
using System.Numerics;
using System.Text;
using Snapshot;
using Snapshot.Format;

namespace PageDump;

/// <summary>How pagedump spells numbers, masks, kinds, keys and bytes, the same in every verb.</summary>
internal static class Fmt
{
    public const ushort StoreWide = 0xFFFF;

    /// <summary>A granule mask as a bar of <paramref name="width"/> characters (64, 32 or 16): '█' all granules of a cell set, '▒' some, '·' none.</summary>
    public static string Bar(ulong mask, int width = 32)
    {
        int per = 64 / width;
        var bar = new StringBuilder(width);
        for (int cell = 0; cell < width; cell++)
        {
            ulong bits = (mask >> (cell * per)) & (per == 64 ? ulong.MaxValue : (1UL << per) - 1);
            int set = BitOperations.PopCount(bits);
            bar.Append(set == per ? '█' : set == 0 ? '·' : '▒');
        }

        return bar.ToString();
    }

    /// <summary>The 64-character ASCII bar of the JSON output: '#' for a set granule, '.' for a clear one, granule 0 first.</summary>
    public static string AsciiBar(ulong mask) => string.Create(64, mask, (span, m) =>
    {
        for (int i = 0; i < 64; i++)
        {
            span[i] = ((m >> i) & 1) != 0 ? '#' : '.';
        }
    });

    public static string Mask(ulong mask) => mask.ToString("x16", CultureInfo.InvariantCulture);

    public static string Num(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Inv(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Kind(CheckpointKind kind) => kind switch
    {
        CheckpointKind.Full => "full",
        CheckpointKind.Incremental => "incremental",
        _ => $"unknown ({(byte)kind})",
    };

    public static string Kind(PageRecordKind kind) => kind switch
    {
        PageRecordKind.FullPage => "full",
        PageRecordKind.Granules => "granules",
        PageRecordKind.Extents => "extents",
        PageRecordKind.Batch => "batch",
        _ => $"unknown ({(byte)kind})",
    };

    public static string Id(CheckpointId id) => id.IsNone ? "-" : Inv(id.Value);

    public static string KeyGroup(int keyGroup) => keyGroup == StoreWide ? "store-wide" : Inv(keyGroup);

    public static int? KeyGroupOrNull(int keyGroup) => keyGroup == StoreWide ? null : keyGroup;

    public static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>Printable ASCII as is (quoted), anything else as hex.</summary>
    public static string Key(ReadOnlySpan<byte> key) => Printable(key) is { } text ? $"\"{text}\"" : "0x" + Hex(key);

    /// <summary>The bytes as text when they are all printable ASCII, else null.</summary>
    public static string? Printable(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            if (b is < 0x20 or > 0x7E)
            {
                return null;
            }
        }

        return Encoding.ASCII.GetString(bytes);
    }

    /// <summary>Up to <paramref name="max"/> bytes as text or hex, with "…" when cut.</summary>
    public static string Preview(ReadOnlySpan<byte> bytes, int max = 24)
    {
        ReadOnlySpan<byte> head = bytes[..Math.Min(bytes.Length, max)];
        string shown = Printable(head) is { } text ? $"\"{text}\"" : "0x" + Hex(head);
        return bytes.Length > max ? shown + "…" : shown;
    }

    /// <summary>
    /// A hex dump, 16 bytes a line: offset, hex, ASCII. Runs of identical lines after the first are
    /// shown as one "*" line, as hexdump does, so a mostly empty page stays short.
    /// </summary>
    public static IEnumerable<string> HexDump(byte[] bytes)
    {
        ReadOnlyMemory<byte> previous = default;
        bool skipping = false;
        for (int offset = 0; offset < bytes.Length; offset += 16)
        {
            ReadOnlyMemory<byte> line = bytes.AsMemory(offset, Math.Min(16, bytes.Length - offset));
            if (offset > 0 && line.Length == 16 && line.Span.SequenceEqual(previous.Span))
            {
                if (!skipping)
                {
                    yield return "*";
                    skipping = true;
                }

                continue;
            }

            skipping = false;
            previous = line;
            var text = new StringBuilder(80);
            text.Append(offset.ToString("x5", CultureInfo.InvariantCulture)).Append("  ");
            for (int i = 0; i < 16; i++)
            {
                text.Append(i < line.Length ? line.Span[i].ToString("x2", CultureInfo.InvariantCulture) : "  ").Append(i == 7 ? "  " : " ");
            }

            text.Append(" |");
            foreach (byte b in line.Span)
            {
                text.Append(b is >= 0x20 and <= 0x7E ? (char)b : '.');
            }

            yield return text.Append('|').ToString();
        }

        yield return bytes.Length.ToString("x5", CultureInfo.InvariantCulture);
    }
}
