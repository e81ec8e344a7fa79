using System.Buffers;
using Microsoft.Win32.SafeHandles;
using Snapshot.Diagnostics;
using Store.Diagnostics;
using Store.Storage;

namespace Snapshot.Catalog;

/// <summary>
/// A shard's catalog on disk: two slots, LMDB-style. <see cref="Commit"/> writes the next revision
/// into the slot that does not hold the current one and fsyncs; that fsync is the commit point.
/// A crash mid-write leaves the other slot, the previous revision, intact.
/// </summary>
internal sealed class CatalogFile : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly string _path;
    private readonly string _shard;

    private CatalogFile(SafeFileHandle handle, string path, string shard)
    {
        _handle = handle;
        _path = path;
        _shard = shard;
    }


    /// <summary>Opens the shard's catalog, creating an empty one (durably) when none exists.</summary>
    public static CatalogFile OpenOrCreate(ShardFiles files)
    {
        bool created = !File.Exists(files.CatalogPath);
        SafeFileHandle handle = File.OpenHandle(files.CatalogPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            if (created || RandomAccess.GetLength(handle) < 2L * CatalogCodec.SlotSize)
            {
                // Both slots exist from the start, zeroed (an empty slot is not a damaged one), so a
                // commit never changes the file's size and never needs its directory synced.
                byte[] zeros = new byte[CatalogCodec.SlotSize];
                long length = RandomAccess.GetLength(handle);
                for (long offset = length - length % CatalogCodec.SlotSize; offset < 2L * CatalogCodec.SlotSize; offset += CatalogCodec.SlotSize)
                {
                    RandomAccess.Write(handle, zeros, offset);
                }

                RandomAccess.FlushToDisk(handle);
                DirectorySync.Flush(files.Directory);
            }

            return new CatalogFile(handle, files.CatalogPath, files.Shard);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public ShardCatalog Load() => CatalogReader.Read(_handle, _path, _shard).Catalog;

    /// <summary>Writes <paramref name="next"/> (whose revision is the current one + 1) and makes it durable.</summary>
    public void Commit(ShardCatalog next)
    {
        byte[] slot = ArrayPool<byte>.Shared.Rent(CatalogCodec.SlotSize);
        try
        {
            int length = CatalogCodec.Encode(next, slot);
            long offset = (next.Revision % 2) * CatalogCodec.SlotSize;
            int half = length / 2;
            RandomAccess.Write(_handle, slot.AsSpan(0, half), offset);
            FaultPoints.Hit(FaultPoints.CatalogSlotHalf);
            RandomAccess.Write(_handle, slot.AsSpan(half, length - half), offset + half);
            RandomAccess.FlushToDisk(_handle);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(slot);
        }
    }

    public void Dispose() => _handle.Dispose();
}

/// <summary>What reading a catalog found: the catalog, and any slot that was damaged (not merely empty).</summary>
/// <param name="DamagedSlots">Corruption found in the slot not used. After a crash during a commit this is expected (a torn slot); otherwise it is bit rot.</param>
public sealed record CatalogReadResult(ShardCatalog Catalog, IReadOnlyList<StoreCorruptedException> DamagedSlots);

/// <summary>Reads catalogs without taking the shard's lock: for restores and tools.</summary>
public static class CatalogReader
{
    public static CatalogReadResult Read(ShardFiles files)
    {
        if (!File.Exists(files.CatalogPath))
        {
            throw new FileNotFoundException($"Shard '{files.Shard}' has no catalog in '{files.Directory}'.", files.CatalogPath);
        }

        using SafeFileHandle handle = File.OpenHandle(files.CatalogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return Read(handle, files.CatalogPath, files.Shard);
    }

    internal static CatalogReadResult Read(SafeFileHandle handle, string path, string shard)
    {
        long length = RandomAccess.GetLength(handle);
        if (length < 2L * CatalogCodec.SlotSize)
        {
            throw new StoreCorruptedException($"the catalog is {length} bytes; two {CatalogCodec.SlotSize}-byte slots are {2 * CatalogCodec.SlotSize}",
                path, length, null);
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(CatalogCodec.SlotSize);
        try
        {
            ShardCatalog? best = null;
            var damaged = new List<StoreCorruptedException>();
            for (int slot = 0; slot < 2; slot++)
            {
                long offset = (long)slot * CatalogCodec.SlotSize;
                Span<byte> span = buffer.AsSpan(0, CatalogCodec.SlotSize);
                int read = RandomAccess.Read(handle, span, offset);
                if (read < CatalogCodec.SlotSize || CatalogCodec.IsEmpty(span))
                {
                    continue;
                }

                try
                {
                    ShardCatalog candidate = CatalogCodec.Decode(span, shard, path, offset);
                    if (best is null || candidate.Revision > best.Revision)
                    {
                        best = candidate;
                    }
                }
                catch (StoreCorruptedException e)
                {
                    damaged.Add(e);
                }
            }

            // Both slots damaged is corruption. One damaged and one never written is the torn first
            // commit (revision 1 lands in slot 1 while slot 0 is still zero): the catalog was empty
            // before it, and revision 1 never holds a confirmed checkpoint (confirming takes a later
            // revision), so reading it as empty loses nothing that was promised.
            if (best is null && damaged.Count == 2)
            {
                throw damaged[0];
            }

            return new CatalogReadResult(best ?? ShardCatalog.Empty(shard), damaged);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
