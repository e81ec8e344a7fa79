using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Store.Pages;
using Store.Storage;

namespace Store.Tests.Storage;

public sealed class FrameMemoryTests : IDisposable
{
    private const int PageSize = 4096;
    private const long SegmentBytes = 64 * PageSize;
    private readonly TempDirectory _temp = new("frame-memory-tests");

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FramesOfEverySegmentLieSideBySideAndKeepTheirBytesAsTheMemoryGrows(bool fileBacked)
    {
        using var memory = new FrameMemory(fileBacked ? _temp.Path : null, PageSize, SegmentBytes);
        memory.AddSegment();
        memory.AddSegment();
        memory.AddSegment();
        for (int f = 0; f < memory.FrameCount; f++)
        {
            Assert.Equal((nint)f * PageSize, OffsetFromFirstFrame(memory, f));
            memory.Frame(new FrameIndex(f)).Fill((byte)(f % 251));
        }

        int written = memory.FrameCount;
        memory.AddSegment();
        memory.AddSegment();

        for (int f = 0; f < memory.FrameCount; f++)
        {
            Assert.Equal((nint)f * PageSize, OffsetFromFirstFrame(memory, f));
        }

        for (int f = 0; f < written; f++)
        {
            Assert.True(memory.Frame(new FrameIndex(f)).IndexOfAnyExcept((byte)(f % 251)) < 0, $"frame {f} kept its bytes");
        }

        for (int f = written; f < memory.FrameCount; f++)
        {
            Assert.True(memory.Frame(new FrameIndex(f)).IndexOfAnyExcept((byte)0) < 0, $"new frame {f} is zeroed");
        }
    }

    [Fact]
    public void GrowingPastTheReservedAddressSpaceIsAClearErrorAndKeepsEveryFrame()
    {
        using var memory = new FrameMemory(null, PageSize, SegmentBytes, maxReservedBytes: 4 * SegmentBytes);
        Assert.Equal(4, memory.MaxSegmentCount);
        for (int i = 0; i < 4; i++)
        {
            memory.AddSegment();
        }

        for (int f = 0; f < memory.FrameCount; f++)
        {
            memory.Frame(new FrameIndex(f)).Fill(7);
        }

        var error = Assert.Throws<InvalidOperationException>(() => memory.AddSegment());
        Assert.Contains("limit of 4 segments", error.Message);
        Assert.Contains($"{4 * SegmentBytes} bytes of reserved address space", error.Message);
        Assert.Equal(4 * SegmentBytes, memory.MappedBytes);
        for (int f = 0; f < memory.FrameCount; f++)
        {
            Assert.True(memory.Frame(new FrameIndex(f)).IndexOfAnyExcept((byte)7) < 0, $"frame {f} kept its bytes");
        }
    }

    private static nint OffsetFromFirstFrame(FrameMemory memory, int frame) => Unsafe.ByteOffset(
        ref MemoryMarshal.GetReference(memory.Frame(new FrameIndex(0))),
        ref MemoryMarshal.GetReference(memory.Frame(new FrameIndex(frame))));
}
