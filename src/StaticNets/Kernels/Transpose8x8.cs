using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace StaticNets.Kernels;

/// <summary>
/// 8 × 8 float transposes in eight 256-bit registers: the tiled forward's two layout changes (samples' inputs into
/// the k-major tile, and the tile's sums back into [batch, out]). Element by element, both took about a sixth of the
/// batch-32 forward: each value a strided load or store of its own. Here 64 values take 16 vector loads and stores
/// and 24 shuffles. Only data moves, so the results are bit-identical to the scalar loops.
/// </summary>
internal static class Transpose8x8
{
    /// <summary>The shuffles need AVX; without it callers keep their scalar loops.</summary>
    public static bool IsAccelerated => Avx.IsSupported;

    /// <summary>
    /// destination[j · destinationStride + i] = source[i · sourceStride + j] for i, j in 0..7.
    /// </summary>
    /// <summary>
    /// destination[c, r] = source[r, c] for a row-major [rows, columns] matrix: 8 × 8 blocks in registers where AVX is
    /// there, the edges (and everything without AVX) value by value. Data movement only: the bits are the same.
    /// </summary>
    public static void Matrix(ReadOnlySpan<float> source, int rows, int columns, Span<float> destination)
    {
        if (source.Length < rows * columns || destination.Length < rows * columns)
            throw new ArgumentException($"a {rows}×{columns} transpose needs {rows * columns} values in and out; got {source.Length} and {destination.Length}.");
        ref float s = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(source);
        ref float d = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(destination);
        int r = 0;
        if (IsAccelerated)
            for (; r + 8 <= rows; r += 8)
            {
                int c = 0;
                for (; c + 8 <= columns; c += 8)
                    Copy(ref Unsafe.Add(ref s, r * columns + c), columns, ref Unsafe.Add(ref d, c * rows + r), rows);
                for (; c < columns; c++)
                    for (int k = r; k < r + 8; k++) Unsafe.Add(ref d, c * rows + k) = Unsafe.Add(ref s, k * columns + c);
            }
        for (; r < rows; r++)
            for (int c = 0; c < columns; c++) Unsafe.Add(ref d, c * rows + r) = Unsafe.Add(ref s, r * columns + c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(ref float source, int sourceStride, ref float destination, int destinationStride)
    {
        Load(ref source, sourceStride, out var r0, out var r1, out var r2, out var r3, out var r4, out var r5, out var r6, out var r7);
        Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        r0.StoreUnsafe(ref destination);
        r1.StoreUnsafe(ref destination, (nuint)destinationStride);
        r2.StoreUnsafe(ref destination, (nuint)(2 * destinationStride));
        r3.StoreUnsafe(ref destination, (nuint)(3 * destinationStride));
        r4.StoreUnsafe(ref destination, (nuint)(4 * destinationStride));
        r5.StoreUnsafe(ref destination, (nuint)(5 * destinationStride));
        r6.StoreUnsafe(ref destination, (nuint)(6 * destinationStride));
        r7.StoreUnsafe(ref destination, (nuint)(7 * destinationStride));
    }

    // Eight separate vectors rather than an inline array of them: the JIT keeps locals in registers, an array on the stack.
    /// <summary>Eight rows of eight floats from source, sourceStride apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(ref float source, int sourceStride, out Vector256<float> r0, out Vector256<float> r1, out Vector256<float> r2,
        out Vector256<float> r3, out Vector256<float> r4, out Vector256<float> r5, out Vector256<float> r6, out Vector256<float> r7)
    {
        r0 = Vector256.LoadUnsafe(ref source);
        r1 = Vector256.LoadUnsafe(ref source, (nuint)sourceStride);
        r2 = Vector256.LoadUnsafe(ref source, (nuint)(2 * sourceStride));
        r3 = Vector256.LoadUnsafe(ref source, (nuint)(3 * sourceStride));
        r4 = Vector256.LoadUnsafe(ref source, (nuint)(4 * sourceStride));
        r5 = Vector256.LoadUnsafe(ref source, (nuint)(5 * sourceStride));
        r6 = Vector256.LoadUnsafe(ref source, (nuint)(6 * sourceStride));
        r7 = Vector256.LoadUnsafe(ref source, (nuint)(7 * sourceStride));
    }

    /// <summary>Lane j of row i becomes lane i of row j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose(ref Vector256<float> r0, ref Vector256<float> r1, ref Vector256<float> r2, ref Vector256<float> r3,
        ref Vector256<float> r4, ref Vector256<float> r5, ref Vector256<float> r6, ref Vector256<float> r7)
    {
        // Pairs of rows interleaved, then pairs of pairs, then the 128-bit halves exchanged.
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        r0 = Avx.Permute2x128(u0, u4, 0x20);
        r1 = Avx.Permute2x128(u1, u5, 0x20);
        r2 = Avx.Permute2x128(u2, u6, 0x20);
        r3 = Avx.Permute2x128(u3, u7, 0x20);
        r4 = Avx.Permute2x128(u0, u4, 0x31);
        r5 = Avx.Permute2x128(u1, u5, 0x31);
        r6 = Avx.Permute2x128(u2, u6, 0x31);
        r7 = Avx.Permute2x128(u3, u7, 0x31);
    }
}
