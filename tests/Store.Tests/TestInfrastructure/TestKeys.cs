using System.Buffers.Binary;

namespace Store.Tests.TestInfrastructure;

/// <summary>Keys shared by the store's tests: an id as 8 little-endian bytes.</summary>
internal static class TestKeys
{
    public static byte[] Key(long id)
    {
        byte[] key = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(key, id);
        return key;
    }
}
