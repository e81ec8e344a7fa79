using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Store.Versioning;

/// <summary>
/// The set of frozen versions that are still alive (not yet fully released), shared between the
/// writer, which adds versions at Freeze, and whichever thread drops the last reference to a
/// frozen version. A spin lock guards the set; the writer's fast path reads only
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
    // The barrier touches this object and one array, nothing else. Each slot pairs a version with
    // its stream, so adding one writes a single array. Slots [0, _count) are the alive versions;
    // slot _count holds the stream of the next barrier's shell, staged when the shell was made
    // (Stage), so that the barrier writes only the version there: a reference store would run the
    // GC's write barrier, whose cold code and card line cost a cold barrier about 1 µs
    // (perf/README.md, "What is left", the cold barrier).
    private readonly AliveVersion[] _alive = new AliveVersion[64];

    // Why a spin lock in this object rather than a Monitor: a cold barrier pays every cache line it
    // touches (~0.4 µs each on these VMs), and a Monitor reads the thread's id from thread-local
    // storage on enter and on exit, and once contended (a release racing a freeze) it lives in a
    // sync block, two more objects. This one is a field beside _count: one compare-exchange on a
    // line the barrier reads anyway, and a plain store to leave. Every section it guards is a few
    // dozen instructions (the longest shifts at most 64 slots), so spinning never lasts long.
    private SpinLock _gate = new(enableThreadOwnerTracking: false);
    private int _count;
    private TaskCompletionSource? _released; // created only when someone waits: a release allocates nothing
    private uint _newestAlive;
    private int _generation;

    public Epoch NewestAlive => new(Volatile.Read(ref _newestAlive));

    public int Generation => Volatile.Read(ref _generation);

    public int AliveCount
    {
        get
        {
            using Gate gate = new(ref _gate);
            return _count;
        }
    }

    /// <summary>Completes when any frozen version is fully released after this call.</summary>
    public Task WhenReleased
    {
        get
        {
            using Gate gate = new(ref _gate);
            return (_released ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    /// <summary>Adds a just-frozen version unless <paramref name="limit"/> versions are alive.</summary>
    /// <param name="stream">The version's stream progress, which <see cref="Needs"/> consults.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // on the barrier's path, too rare to tier up
    public bool TryAdd(Epoch version, StreamState stream, int limit, out int aliveCount)
    {
        using Gate gate = new(ref _gate);
        aliveCount = _count;
        if (aliveCount >= limit)
        {
            return false;
        }

        Debug.Assert(_count == 0 || _alive[_count - 1].Version < version, "versions are frozen in increasing order");
        ref AliveVersion slot = ref _alive[_count];
        if (!ReferenceEquals(slot.Stream, stream))
        {
            slot.Stream = stream; // not staged (a shell made before the last barrier took the slot, or dropped): one reference store
        }

        slot.Version = version;
        _count++;
        Volatile.Write(ref _newestAlive, version.Value);
        return true;
    }

    /// <summary>Stages the stream of the shell the next <see cref="TryAdd"/> will most likely get. Any thread.</summary>
    public void Stage(StreamState stream)
    {
        using Gate gate = new(ref _gate);
        if (_count < _alive.Length)
        {
            _alive[_count].Stream = stream;
        }
    }

    /// <summary>
    /// The frozen version of <paramref name="version"/> once its barrier has activated it and while
    /// its owner has not released it; otherwise null. Any thread.
    /// </summary>
    public FrozenVersion? Find(Epoch version)
    {
        using Gate gate = new(ref _gate);
        for (int i = 0; i < _count; i++)
        {
            if (_alive[i].Version == version)
            {
                // Listed before its shell is filled in (TryAdd precedes Activate), and listed until
                // its last reader is done, after the owner's Release.
                FrozenVersion owner = _alive[i].Stream!.Owner;
                return owner.IsActivatedAs(version) && !owner.IsReleased ? owner : null;
            }
        }

        return null;
    }

    public void Remove(Epoch version)
    {
        TaskCompletionSource? signal;
        using (new Gate(ref _gate))
        {
            int index = 0;
            while (index < _count && _alive[index].Version != version)
            {
                index++;
            }

            Debug.Assert(index < _count, "a frozen version is released exactly once");
            // The staged slot (at _count, when there is room for one) moves down with the alive ones.
            int end = Math.Min(_count + 1, _alive.Length);
            Array.Copy(_alive, index + 1, _alive, index, end - index - 1);
            _alive[end - 1] = default;
            _count--;
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
        // If its stream has not started, it needs the frame: no lock. The read races with a release
        // that shifts the slots, so it may name another version's stream, a staged one, or none;
        // each answer it can give without the lock is "copy", which is always safe, and a started
        // stream sends it to the exact answer under the lock.
        int count = Volatile.Read(ref _count);
        if (count == 0 || _alive[count - 1].Stream is not { Started: true })
        {
            return true;
        }

        using Gate gate = new(ref _gate);
        for (int i = _count - 1; i >= 0 && _alive[i].Version >= written; i--)
        {
            if (_alive[i].Stream!.Needs(page, written))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Copies the alive versions (ascending) for a reclamation pass on the writer thread.</summary>
    public int CopyAlive(Span<Epoch> destination, out int generation)
    {
        using Gate gate = new(ref _gate);
        generation = _generation;
        Debug.Assert(destination.Length >= _count, "the destination holds every alive version");
        for (int i = 0; i < _count; i++)
        {
            destination[i] = _alive[i].Version;
        }

        return _count;
    }

    private struct AliveVersion
    {
        public Epoch Version;
        public StreamState? Stream; // null only in a slot never staged or filled
    }

    /// <summary>Holds <see cref="_gate"/> for a using block.</summary>
    private readonly ref struct Gate
    {
        private readonly ref SpinLock _lock;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Gate(ref SpinLock gate)
        {
            bool taken = false;
            gate.Enter(ref taken);
            Debug.Assert(taken, "SpinLock.Enter returns only once the lock is taken");
            _lock = ref gate;
        }

        // No full fence on exit: SpinLock's owner field is volatile, so the store that frees it is a
        // release write, and every write inside the section is visible before the lock is seen free.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Dispose() => _lock.Exit(useMemoryBarrier: false);
    }
}
