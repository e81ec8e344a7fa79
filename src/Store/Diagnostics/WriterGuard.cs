using System.Diagnostics;

namespace Store.Diagnostics;

/// <summary>
/// Debug-build detection of a second concurrent writer. The contract is one writer thread per
/// store; enforcing it in release builds would cost two interlocked operations per write, so
/// release builds trust the caller (the contract is documented on <see cref="StateStore"/>).
/// </summary>
internal struct WriterGuard
{
    private int _ownerThread;

    [Conditional("DEBUG")]
    public void Enter()
    {
        int me = Environment.CurrentManagedThreadId;
        int previous = Interlocked.CompareExchange(ref _ownerThread, me, 0);
        if (previous != 0 && previous != me)
        {
            ThrowHelper.ThrowConcurrentWriter(previous, me);
        }
    }

    [Conditional("DEBUG")]
    public void Exit() => Volatile.Write(ref _ownerThread, 0);
}
