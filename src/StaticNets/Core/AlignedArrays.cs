using System.Runtime.InteropServices;

namespace StaticNets;

/// <summary>
/// Float buffers whose first element sits on a cache-line boundary. A 512-bit load that straddles two
/// 64-byte lines costs two L1 accesses, which slows the packed inference kernels markedly on unaligned
/// arrays (a .NET array's data starts 16 bytes into the object, so its alignment is left to chance).
/// The array is allocated on the pinned object heap, so the aligned offset found once stays valid.
/// The generated networks keep their parameter, gradient, inference and workspace blocks here, and the
/// optimizers their state.
/// </summary>
public static class AlignedArrays
{
    /// <summary>Floats per <see cref="Alignment"/>: offsets that are multiples of it keep the alignment.</summary>
    public const int FloatsPerLine = SharedLayout.FloatsPerLine;

    /// <summary>Bytes the first element is aligned to: one cache line, one 512-bit vector.</summary>
    public const int Alignment = FloatsPerLine * sizeof(float);

    /// <summary>
    /// <paramref name="length"/> zeroed floats starting on a 64-byte boundary. Allocates a little more
    /// (at most 15 floats) and returns the aligned segment of it.
    /// </summary>
    public static ArraySegment<float> Allocate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length > Array.MaxLength - FloatsPerLine)
            throw new ArgumentOutOfRangeException(nameof(length), length, "The buffer is too large for one array.");
        var array = GC.AllocateArray<float>(length + FloatsPerLine - 1, pinned: true);
        return new ArraySegment<float>(array, AlignedStart(array), length);
    }

    private static int AlignedStart(float[] array)
    {
        // The pinned object heap never moves the array, so the address read under this handle stays its address.
        var handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        try
        {
            long misalignment = handle.AddrOfPinnedObject() & (Alignment - 1);
            return (int)((Alignment - misalignment) & (Alignment - 1)) / sizeof(float);
        }
        finally
        {
            handle.Free();
        }
    }
}
