using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Store.Diagnostics;

/// <summary>
/// Throw sites for API misuse. Keeping the throw (and its message formatting) out of the caller
/// keeps Get/Put/RMW small enough to inline and free of string building on the fast path.
/// </summary>
internal static class ThrowHelper
{
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowEmptyKey(string paramName) =>
        throw new ArgumentException("Keys must not be empty.", paramName);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowKeyTooLong(int length, int max, string paramName) =>
        throw new ArgumentException($"The key is {length} bytes; the maximum is {max} bytes.", paramName);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowEmptyValue(string paramName) =>
        throw new ArgumentException("Values must not be empty; use Delete to remove a key.", paramName);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowValueTooLong(long length, long max, string paramName) =>
        throw new ArgumentException(
            $"The value is {length} bytes; the maximum is {max} bytes (StoreOptions.MaxValueLength).", paramName);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowDestinationTooSmall(int needed, int given) =>
        throw new ArgumentException(
            $"The destination holds {given} bytes but the value is {needed} bytes; " +
            "ask for the length with TryGetValueLength first.", "destination");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowStoreDisposed() =>
        throw new ObjectDisposedException(nameof(StateStore), "The store has been disposed.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowVersionReleased(Versioning.Epoch version) =>
        throw new ObjectDisposedException(nameof(Versioning.FrozenVersion),
            $"Frozen version {version.Value} has been released; its pages may already be reused.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowVersionStreamed(Versioning.Epoch version) =>
        throw new InvalidOperationException(
            $"Frozen version {version.Value} is being streamed (StreamDirtyPagesSince): pages behind the stream may already hold newer bytes, " +
            "so it is read only through its stream, once. Use DirtyPagesSince to keep a version whole for other readers.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowPageNotInStream(Versioning.Epoch version, Pages.PageId page, uint watermark) =>
        throw new InvalidOperationException(
            $"Page {page.Value} of frozen version {version.Value} is not ahead in its stream: either behind it (pages below {watermark} are consumed) " +
            "or not listed by it (not written since the stream's base); such pages may already hold newer bytes.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowConcurrentWriter(int ownerThread, int currentThread) =>
        throw new InvalidOperationException(
            $"Two threads wrote to one store at once (threads {ownerThread} and {currentThread}). " +
            "A store has exactly one writer thread; frozen versions are for concurrent readers.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowInvalidOption(string name, string requirement, object? actual) =>
        throw new ArgumentOutOfRangeException(name, actual, $"StoreOptions.{name} {requirement}.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowBaseTooOld(Versioning.Epoch requested, Versioning.Epoch confirmed) =>
        throw new ArgumentOutOfRangeException("baseVersion", requested.Value,
            $"Dirty pages can only be listed relative to epoch {confirmed.Value} (the last confirmed version) or later; " +
            "granule history older than the confirmed version has been discarded. Use Epoch.None for a full listing.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ThrowPageOutOfRange(Pages.PageId page, uint pageCount) =>
        throw new ArgumentOutOfRangeException("page", page.Value,
            $"{page} does not exist in this version, which has {pageCount} pages.");
}
