namespace Store.Index;

/// <summary>
/// Copies of the live records of one or more bucket pages, kept while those pages are rewritten
/// (compaction, split). Reused across rewrites, so steady-state rewrites allocate nothing.
/// </summary>
internal sealed class ScratchRecords
{
    private byte[] _arena = new byte[16 * 1024];
    private readonly List<Entry> _entries = new();
    private int _used;

    public int Count => _entries.Count;

    public void Clear()
    {
        _entries.Clear();
        _used = 0;
    }

    public void AddPage(ReadOnlySpan<byte> page)
    {
        int slots = BucketPage.SlotCount(page.Length);
        for (int slot = 0; slot < slots; slot++)
        {
            if (page[BucketPage.TagOffset(slot)] >= BucketPage.EmptyTag)
            {
                continue;
            }

            RecordView record = BucketPage.Record(page, slot);
            int size = record.Key.Length + record.Stored.Length;
            if (_used + size > _arena.Length)
            {
                Array.Resize(ref _arena, Math.Max(_arena.Length * 2, _used + size));
            }

            record.Key.CopyTo(_arena.AsSpan(_used));
            record.Stored.CopyTo(_arena.AsSpan(_used + record.Key.Length));
            _entries.Add(new Entry(_used, record.Key.Length, record.Stored.Length, record.ValueLength, record.Flags));
            _used += size;
        }
    }

    public PendingRecord Get(int index)
    {
        Entry e = _entries[index];
        ReadOnlySpan<byte> key = _arena.AsSpan(e.Offset, e.KeyLength);
        return new PendingRecord(key, _arena.AsSpan(e.Offset + e.KeyLength, e.StoredLength), e.ValueLength, e.Flags, KeyHash.Of(key));
    }

    private readonly record struct Entry(int Offset, int KeyLength, int StoredLength, int ValueLength, byte Flags);
}
