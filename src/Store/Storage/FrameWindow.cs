using System.Buffers;
using System.Runtime.CompilerServices;

namespace Store.Storage;

/// <summary>
/// A range of mapped frames as <see cref="Memory{T}"/>, so a restore can hand frames to a scatter
/// read (<see cref="RandomAccess.Read(Microsoft.Win32.SafeHandles.SafeFileHandle, IReadOnlyList{Memory{byte}}, long)"/>)
/// and the kernel copies page images straight into them.
/// </summary>
/// <remarks>
/// The memory is a mapping owned by <see cref="FrameMemory"/>, never moved (so pinning is free)
/// and never freed by this object. Invariant: nothing holds a window's memory after the store that
/// owns the mapping is disposed; the restore that uses windows finishes its reads before it
/// completes or abandons the store.
/// </remarks>
internal sealed unsafe class FrameWindow(byte* start, int length) : MemoryManager<byte>
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
    public override Span<byte> GetSpan() => new(start, length);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // restore path: see FullFileRestore's remarks
    public override MemoryHandle Pin(int elementIndex = 0) => new(start + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
