using System.Diagnostics;
using Store.Pages;

namespace Store.Versioning;

/// <summary>
/// How far the single consumer of a streamed frozen version has got (see
/// <see cref="FrozenVersion.StreamDirtyPagesSince"/>). The writer reads it to skip copies the
/// version no longer needs: a page below <see cref="Watermark"/> has been consumed, and a page not
/// written after <see cref="Base"/> is never read by the stream at all.
/// </summary>
/// <remarks>
/// Ordering: the consumer has finished every read of a page before it publishes a watermark
/// above that page (Volatile.Write, a release), and the writer reads the watermark
/// (Volatile.Read, an acquire) before it decides to change a page in place. A stale watermark is
/// lower, which only makes the writer copy a page it could have written in place.
/// </remarks>
internal sealed class StreamState(FrozenVersion owner)
{
    private uint _watermark;
    private int _claimed;
    private int _started;

    /// <summary>The version this stream belongs to (the registry holds streams, and finds versions through them).</summary>
    public FrozenVersion Owner { get; } = owner;

    /// <summary>True once a stream began; until then the version may be read anywhere.</summary>
    public bool Started => Volatile.Read(ref _started) != 0;

    /// <summary>The stream's base: it lists pages written after it (<see cref="Epoch.None"/>: every page).</summary>
    public Epoch Base { get; private set; }

    /// <summary>Pages below this id are consumed; the version will not read them again.</summary>
    public uint Watermark => Volatile.Read(ref _watermark);

    /// <summary>Starts the stream. Returns false if one had already started (a version streams once).</summary>
    public bool TryStart(Epoch baseVersion)
    {
        if (Interlocked.CompareExchange(ref _claimed, 1, 0) != 0)
        {
            return false;
        }

        // Base is written before _started is published, so a writer that sees Started sees Base.
        Base = baseVersion;
        Volatile.Write(ref _started, 1);
        return true;
    }

    /// <summary>The consumer is done with every page below <paramref name="page"/>. Consumer thread only.</summary>
    public void Advance(uint page)
    {
        Debug.Assert(page >= _watermark, "the watermark only rises: a stream lists pages in ascending order");
        Volatile.Write(ref _watermark, page);
    }

    /// <summary>
    /// Whether the version still needs a page whose frame it shares with the live version, that
    /// frame's content having been written in <paramref name="written"/>.
    /// </summary>
    public bool Needs(PageId page, Epoch written) =>
        !Started || (page.Value >= Watermark && (Base == Epoch.None || written > Base));
}
