namespace Store.Index;

/// <summary>
/// Enumerates a version's entries with <c>foreach</c>. Disposing it (foreach does) ends the read:
/// for a frozen version it drops the lease that keeps the version's pages alive.
/// </summary>
public struct EntryEnumerator : IDisposable
{
    private readonly EntryCursor _cursor;
    private readonly Func<bool>? _stillValid;

    internal EntryEnumerator(EntryCursor cursor, Func<bool>? stillValid)
    {
        _cursor = cursor;
        _stillValid = stillValid;
    }

    public readonly EntryEnumerator GetEnumerator() => this;

    public readonly StoreEntry Current => _cursor.Current;

    public readonly bool MoveNext()
    {
        if (_stillValid is not null && !_stillValid())
        {
            throw new InvalidOperationException("The store was modified during enumeration; enumerate a frozen version to read while writing.");
        }

        return _cursor.MoveNext();
    }

    public readonly void Dispose() => _cursor.Dispose();
}
