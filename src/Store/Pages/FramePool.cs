using System.Diagnostics;
using Store.Storage;

namespace Store.Pages;

/// <summary>
/// Hands out frames to the page table: recycled frames first (a LIFO stack, so the most recently
/// used, cache-warm frame is reused), then never-used frames of the newest segment, then a new
/// segment. Every frame it returns is already faulted in.
/// </summary>
/// <remarks>Writer thread only: reclamation of frames released by frozen versions also runs on
/// the writer thread (see <see cref="Versioning.Reclaimer"/>), so the pool needs no lock.</remarks>
internal sealed class FramePool
{
    private readonly FrameMemory _memory;
    private int[] _free = new int[1024];
    private int _freeCount;
    private int _nextFresh;
    private int _freshEnd;
    private int _rented;

    public FramePool(FrameMemory memory) => _memory = memory;

    /// <summary>Frames currently rented (in use by some version or retired and not yet reclaimed).</summary>
    public int InUse => _rented;

    public int Free => _freeCount + (_freshEnd - _nextFresh);

    /// <summary>Returns a frame with undefined content.</summary>
    public FrameIndex Rent()
    {
        if (_freeCount > 0)
        {
            _rented++;
            return new FrameIndex(_free[--_freeCount]);
        }

        if (_nextFresh == _freshEnd)
        {
            Grow(); // may throw StoreFullException: nothing is rented then
        }

        _rented++;
        return new FrameIndex(_nextFresh++);
    }

    /// <summary>
    /// Returns a frame of zeros. A never-used frame already is one (a new mapping of anonymous
    /// memory or of freshly allocated file space), so only recycled frames are cleared: a restore,
    /// which allocates every page at once, then writes each frame once instead of twice.
    /// </summary>
    public FrameIndex RentZeroed()
    {
        if (_freeCount > 0)
        {
            FrameIndex recycled = Rent();
            _memory.Frame(recycled).Clear();
            return recycled;
        }

        FrameIndex fresh = Rent();
        Debug.Assert(!_memory.Frame(fresh).ContainsAnyExcept((byte)0), "a never-used frame is zero");
        return fresh;
    }

    /// <summary>
    /// Grows until <paramref name="count"/> frames are free. Operations call this before they change
    /// anything, so a full disk (<see cref="Diagnostics.StoreFullException"/>) fails the operation
    /// cleanly instead of leaving it half applied.
    /// </summary>
    public void EnsureFree(int count)
    {
        while (Free < count)
        {
            Grow();
        }
    }

    /// <summary>
    /// For a restore that writes every frame right away: makes <paramref name="count"/> frames free
    /// with new segments whose pre-faulting runs on a background thread meanwhile (see
    /// <see cref="FrameMemory.AddSegmentsPrefaultingInBackground"/>). Only on a pool that has never
    /// handed out a frame.
    /// </summary>
    public void EnsureFreePrefaultingInBackground(int count)
    {
        Debug.Assert(_rented == 0 && _freeCount == 0 && _nextFresh == _freshEnd, "bulk installation starts from an empty pool");
        FrameIndex first = _memory.AddSegmentsPrefaultingInBackground(count);
        _nextFresh = first.Value;
        _freshEnd = _memory.FrameCount;
    }

    public void Return(FrameIndex frame)
    {
        Debug.Assert(_rented > 0, "only rented frames come back");
        _rented--;
        Poison(frame);
        Push(frame.Value);
    }

    private void Push(int frame)
    {
        if (_freeCount == _free.Length)
        {
            Array.Resize(ref _free, _free.Length * 2);
        }

        _free[_freeCount++] = frame;
    }

    private void Grow()
    {
        // Fresh frames come in segment order, so the never-used range is always the newest segment.
        FrameIndex first = _memory.AddSegment();
        // Never-used frames of the previous segment join the free stack, so none is lost.
        while (_nextFresh < _freshEnd)
        {
            Push(_nextFresh++);
        }

        _nextFresh = first.Value;
        _freshEnd = first.Value + _memory.FramesPerSegment;
    }

    /// <summary>Debug builds fill released frames so a use-after-release reads garbage loudly.</summary>
    [Conditional("DEBUG")]
    private void Poison(FrameIndex frame) => _memory.Frame(frame).Fill(0xDB);
}
