using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Store.Versioning;

/// <summary>
/// The set of frozen versions that are still alive (not yet fully released), shared between the
/// writer, which adds versions at Freeze, and whichever thread drops the last reference to a
/// frozen version. A lock guards the set; the writer's fast path reads only
/// <see cref="NewestAlive"/>, a volatile field.
/// </summary>
/// <remarks>
/// Ordering: a frozen version is removed only after its last reader is done (its reference count
/// reached zero), and the removal bumps <see cref="Generation"/> with a full fence. The writer reuses
/// frames only after observing that bump, so no frame is reused while a reader may still read it.
/// Reading a stale (larger) NewestAlive is always safe: it only makes the writer copy a page it
/// could have written in place.
/// </remarks>
internal sealed class VersionRegistry
{
    // The barrier touches this object and one array, nothing else: the array is also the lock
    // (it is private and never escapes), so a cold Freeze misses on two cache lines, not four.
    // Each slot pairs a version with its stream, so adding one still writes a single array.
    private readonly AliveVersion[] _alive = new AliveVersion[64];
    private int _count;
    private TaskCompletionSource? _released; // created only when someone waits: a release allocates nothing
    private uint _newestAlive;
    private StreamState? _newestStream; // the newest alive version's stream: Needs' lock-free answer while it has not started
    private int _generation;

    public Epoch NewestAlive => new(Volatile.Read(ref _newestAlive));

    public int Generation => Volatile.Read(ref _generation);

    public int AliveCount
    {
        get
        {
            lock (_alive)
            {
                return _count;
            }
        }
    }

    /// <summary>Completes when any frozen version is fully released after this call.</summary>
    public Task WhenReleased
    {
        get
        {
            lock (_alive)
            {
                return (_released ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
        }
    }

    /// <summary>Adds a just-frozen version unless <paramref name="limit"/> versions are alive.</summary>
    /// <param name="stream">The version's stream progress, which <see cref="Needs"/> consults.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // on the barrier's path, too rare to tier up
    public bool TryAdd(Epoch version, StreamState stream, int limit, out int aliveCount)
    {
        lock (_alive)
        {
            aliveCount = _count;
            if (aliveCount >= limit)
            {
                return false;
            }

            Debug.Assert(_count == 0 || _alive[_count - 1].Version < version, "versions are frozen in increasing order");
            _alive[_count++] = new AliveVersion(version, stream);
            Volatile.Write(ref _newestStream, stream);
            Volatile.Write(ref _newestAlive, version.Value);
            return true;
        }
    }

    public void Remove(Epoch version)
    {
        TaskCompletionSource? signal;
        lock (_alive)
        {
            int index = 0;
            while (index < _count && _alive[index].Version != version)
            {
                index++;
            }

            Debug.Assert(index < _count, "a frozen version is released exactly once");
            Array.Copy(_alive, index + 1, _alive, index, _count - index - 1);
            _alive[--_count] = default;
            Volatile.Write(ref _newestStream, _count == 0 ? null : _alive[_count - 1].Stream);
            Volatile.Write(ref _newestAlive, _count == 0 ? 0 : _alive[_count - 1].Version.Value);
            Interlocked.Increment(ref _generation);
            signal = _released;
            _released = null;
        }

        signal?.TrySetResult();
    }

    /// <summary>
    /// Whether an alive frozen version still needs the content of a page whose frame it shares with
    /// the live version (the frame was last written in <paramref name="written"/>, so it is visible
    /// to every alive version from <paramref name="written"/> on). False lets the writer change the
    /// frame in place: every version that sees it has streamed past the page or never lists it.
    /// Writer thread, on a page's first write in a version only.
    /// </summary>
    public bool Needs(Pages.PageId page, Epoch written)
    {
        // The newest alive version sees every frame the writer asks about (written <= NewestAlive).
        // If its stream has not started, it needs the frame: no lock. A stale read here names a
        // version that was newest a moment ago, which at worst makes the writer copy once more.
        if (Volatile.Read(ref _newestStream) is not { Started: true })
        {
            return true;
        }

        lock (_alive)
        {
            for (int i = _count - 1; i >= 0 && _alive[i].Version >= written; i--)
            {
                if (_alive[i].Stream.Needs(page, written))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Copies the alive versions (ascending) for a reclamation pass on the writer thread.</summary>
    public int CopyAlive(Span<Epoch> destination, out int generation)
    {
        lock (_alive)
        {
            generation = _generation;
            Debug.Assert(destination.Length >= _count, "the destination holds every alive version");
            for (int i = 0; i < _count; i++)
            {
                destination[i] = _alive[i].Version;
            }

            return _count;
        }
    }

    private readonly record struct AliveVersion(Epoch Version, StreamState Stream);
}
