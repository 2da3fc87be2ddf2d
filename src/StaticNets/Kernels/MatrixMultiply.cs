using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace StaticNets.Kernels;

/// <summary>
/// One product C[m, j] (+)= Σ_k A(k, m)·B[k, j] for m &lt; M, j &lt; Columns, k &lt; K: A read through two strides (so one
/// matrix serves as A or as Aᵀ: dz in both dense backward products, a weight matrix as W or Wᵀ in convolutions), B and C
/// row-major with their own row strides. <see cref="Accumulate"/> adds into C instead of writing it.
/// </summary>
internal readonly ref struct MatrixProduct
{
    public readonly ref float A;
    public readonly ref float B;
    public readonly ref float C;
    public readonly int AStrideK, AStrideM, BStride, CStride;
    public readonly int K, M, Columns;
    public readonly bool Accumulate;

    public MatrixProduct(ReadOnlySpan<float> a, int aStrideK, int aStrideM, ReadOnlySpan<float> b, int bStride,
        Span<float> c, int cStride, int kCount, int mCount, int columns, bool accumulate)
    {
        A = ref MemoryMarshal.GetReference(a);
        B = ref MemoryMarshal.GetReference(b);
        C = ref MemoryMarshal.GetReference(c);
        (AStrideK, AStrideM, BStride, CStride, K, M, Columns, Accumulate) = (aStrideK, aStrideM, bStride, cStride, kCount, mCount, columns, accumulate);
    }
}

/// <summary>
/// The matrix-multiply core of the dense backward products and of convolutions: sums of outer products in register
/// blocks of 8 rows × 2 vectors and 4 rows × 4 vectors of columns (per k, a few loads of B and broadcasts of A feed 16
/// FMAs), vectorized along C's rows at the widest accelerated width, with narrower blocks and single columns for the
/// edges. Every element is summed over k in order from zero, so the blocking never changes the bits.
/// </summary>
internal static class MatrixMultiply
{
    /// <summary>
    /// The product at the widest accelerated width, the columns left over at narrower widths. A product that writes C
    /// (not <see cref="MatrixProduct.Accumulate"/>) covers its last partial vector with one whole vector ending at the
    /// last column instead: the columns it computes twice get the same bits twice, and no column goes value by value.
    /// </summary>
    public static void Run(in MatrixProduct p)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated) j = Columns<Simd512>(p, j);
        if (j < p.Columns && Vector256.IsHardwareAccelerated) j = Columns<Simd256>(p, j);
        if (j < p.Columns && Vector128.IsHardwareAccelerated) j = Columns<Simd128>(p, j);
        if (j < p.Columns) Columns<Scalar>(p, j);
    }

    /// <summary>The product at width TV (the caller chose it), the edges value by value.</summary>
    public static void Rows<TV>(in MatrixProduct p) where TV : struct, ISimd<TV>
    {
        int j = Columns<TV>(p, 0);
        if (j < p.Columns) Columns<Scalar>(p, j);
    }

    // Columns from j0 on in whole vectors of TV (and the overlapping last vector where allowed, see Run); returns the
    // first column not done. Every block sums each element over k in order from zero, so the blocking never changes the bits.
    // The blocks are compiled once, fully optimized (AggressiveOptimization), so a run's first steps do not go through
    // their unoptimized tier-0 code (several times slower, for the whole of a short run's first steps), and their code
    // does not depend on which product's profile came first.
    private static int Columns<TV>(in MatrixProduct p, int j0) where TV : struct, ISimd<TV>
    {
        int w = TV.Count, end = j0 + (p.Columns - j0) / w * w;
        bool overlap = w > 1 && !p.Accumulate && end < p.Columns && p.Columns >= w;
        int last = p.Columns - w, m = 0;
        for (; m + 8 <= p.M; m += 8)
        {
            int j = j0;
            if (p.AStrideM == 1)
                for (; j + 2 * w <= end; j += 2 * w) Block8x2Unit<TV>(p, m, j);
            else
                for (; j + 2 * w <= end; j += 2 * w) Block8x2<TV>(p, m, j);
            for (; j < end; j += w) Block8x1<TV>(p, m, j);
            if (overlap) Block8x1<TV>(p, m, last);
        }
        for (; m + 4 <= p.M; m += 4)
        {
            int j = j0;
            for (; j + 4 * w <= end; j += 4 * w) Block4x4<TV>(p, m, j);
            for (; j < end; j += w) Block4x1<TV>(p, m, j);
            if (overlap) Block4x1<TV>(p, m, last);
        }
        for (; m < p.M; m++)
        {
            for (int j = j0; j < end; j += w) Block1x1<TV>(p, m, j);
            if (overlap) Block1x1<TV>(p, m, last);
        }
        return overlap ? p.Columns : end;
    }

    // 4 rows of C × 4 vectors of columns: per k, 4 broadcasts and 4 loads feed 16 FMAs.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see Columns
    private static void Block4x4<TV>(in MatrixProduct p, int m, int j) where TV : struct, ISimd<TV>
    {
        int w = TV.Count;
        TV c00 = TV.Zero, c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        TV c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        ref float a = ref Unsafe.Add(ref p.A, m * p.AStrideM);
        ref float b = ref Unsafe.Add(ref p.B, j);
        for (int k = 0; k < p.K; k++)
        {
            ref float ak = ref Unsafe.Add(ref a, k * p.AStrideK);
            ref float bk = ref Unsafe.Add(ref b, k * p.BStride);
            TV b0 = TV.Load(ref bk, 0), b1 = TV.Load(ref bk, (nuint)w), b2 = TV.Load(ref bk, (nuint)(2 * w)), b3 = TV.Load(ref bk, (nuint)(3 * w));
            TV s = TV.Broadcast(ak);
            c00 = TV.MultiplyAdd(s, b0, c00); c01 = TV.MultiplyAdd(s, b1, c01); c02 = TV.MultiplyAdd(s, b2, c02); c03 = TV.MultiplyAdd(s, b3, c03);
            s = TV.Broadcast(Unsafe.Add(ref ak, p.AStrideM));
            c10 = TV.MultiplyAdd(s, b0, c10); c11 = TV.MultiplyAdd(s, b1, c11); c12 = TV.MultiplyAdd(s, b2, c12); c13 = TV.MultiplyAdd(s, b3, c13);
            s = TV.Broadcast(Unsafe.Add(ref ak, 2 * p.AStrideM));
            c20 = TV.MultiplyAdd(s, b0, c20); c21 = TV.MultiplyAdd(s, b1, c21); c22 = TV.MultiplyAdd(s, b2, c22); c23 = TV.MultiplyAdd(s, b3, c23);
            s = TV.Broadcast(Unsafe.Add(ref ak, 3 * p.AStrideM));
            c30 = TV.MultiplyAdd(s, b0, c30); c31 = TV.MultiplyAdd(s, b1, c31); c32 = TV.MultiplyAdd(s, b2, c32); c33 = TV.MultiplyAdd(s, b3, c33);
        }
        ref float c = ref Unsafe.Add(ref p.C, m * p.CStride + j);
        StoreRow(p, ref c, c00, c01, c02, c03);
        StoreRow(p, ref Unsafe.Add(ref c, p.CStride), c10, c11, c12, c13);
        StoreRow(p, ref Unsafe.Add(ref c, 2 * p.CStride), c20, c21, c22, c23);
        StoreRow(p, ref Unsafe.Add(ref c, 3 * p.CStride), c30, c31, c32, c33);
    }

    // 8 rows of C × 2 vectors of columns: per k, 2 loads of B and 8 broadcasts feed 16 FMAs (half the B traffic of 4 × 4).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see Columns
    private static void Block8x2<TV>(in MatrixProduct p, int m, int j) where TV : struct, ISimd<TV>
    {
        int w = TV.Count;
        TV c00 = TV.Zero, c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        TV c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        ref float a0 = ref Unsafe.Add(ref p.A, m * p.AStrideM);
        ref float a1 = ref Unsafe.Add(ref a0, p.AStrideM), a2 = ref Unsafe.Add(ref a1, p.AStrideM), a3 = ref Unsafe.Add(ref a2, p.AStrideM);
        ref float a4 = ref Unsafe.Add(ref a3, p.AStrideM), a5 = ref Unsafe.Add(ref a4, p.AStrideM), a6 = ref Unsafe.Add(ref a5, p.AStrideM), a7 = ref Unsafe.Add(ref a6, p.AStrideM);
        ref float bk = ref Unsafe.Add(ref p.B, j);
        // Sizes in locals: read from `p`, they were reloaded from memory every step.
        int kCount = p.K, aStride = p.AStrideK, bStride = p.BStride;
        for (int k = 0; k < kCount; k++)
        {
            nint at = (nint)k * aStride;
            TV b0 = TV.Load(ref bk, 0), b1 = TV.Load(ref bk, (nuint)w);
            TV s = TV.Broadcast(Unsafe.Add(ref a0, at)); c00 = TV.MultiplyAdd(s, b0, c00); c01 = TV.MultiplyAdd(s, b1, c01);
            s = TV.Broadcast(Unsafe.Add(ref a1, at)); c10 = TV.MultiplyAdd(s, b0, c10); c11 = TV.MultiplyAdd(s, b1, c11);
            s = TV.Broadcast(Unsafe.Add(ref a2, at)); c20 = TV.MultiplyAdd(s, b0, c20); c21 = TV.MultiplyAdd(s, b1, c21);
            s = TV.Broadcast(Unsafe.Add(ref a3, at)); c30 = TV.MultiplyAdd(s, b0, c30); c31 = TV.MultiplyAdd(s, b1, c31);
            s = TV.Broadcast(Unsafe.Add(ref a4, at)); c40 = TV.MultiplyAdd(s, b0, c40); c41 = TV.MultiplyAdd(s, b1, c41);
            s = TV.Broadcast(Unsafe.Add(ref a5, at)); c50 = TV.MultiplyAdd(s, b0, c50); c51 = TV.MultiplyAdd(s, b1, c51);
            s = TV.Broadcast(Unsafe.Add(ref a6, at)); c60 = TV.MultiplyAdd(s, b0, c60); c61 = TV.MultiplyAdd(s, b1, c61);
            s = TV.Broadcast(Unsafe.Add(ref a7, at)); c70 = TV.MultiplyAdd(s, b0, c70); c71 = TV.MultiplyAdd(s, b1, c71);
            bk = ref Unsafe.Add(ref bk, bStride);
        }
        ref float c = ref Unsafe.Add(ref p.C, m * p.CStride + j);
        StorePair(p, ref c, c00, c01); StorePair(p, ref Unsafe.Add(ref c, p.CStride), c10, c11);
        StorePair(p, ref Unsafe.Add(ref c, 2 * p.CStride), c20, c21); StorePair(p, ref Unsafe.Add(ref c, 3 * p.CStride), c30, c31);
        StorePair(p, ref Unsafe.Add(ref c, 4 * p.CStride), c40, c41); StorePair(p, ref Unsafe.Add(ref c, 5 * p.CStride), c50, c51);
        StorePair(p, ref Unsafe.Add(ref c, 6 * p.CStride), c60, c61); StorePair(p, ref Unsafe.Add(ref c, 7 * p.CStride), c70, c71);
    }

    // Block8x2 for an A whose 8 rows' values sit side by side (A(k, m) at k·strideK + m: dz in the dense weight gradient,
    // W in a convolution's input gradient, a transposed matrix): one pointer and 8 constant offsets instead of 8
    // pointers, which left the loop short of registers. The same sums in the same order, so the same bits.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see Columns
    private static void Block8x2Unit<TV>(in MatrixProduct p, int m, int j) where TV : struct, ISimd<TV>
    {
        int w = TV.Count;
        TV c00 = TV.Zero, c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        TV c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        ref float ak = ref Unsafe.Add(ref p.A, m);
        ref float bk = ref Unsafe.Add(ref p.B, j);
        int kCount = p.K, aStride = p.AStrideK, bStride = p.BStride;
        for (int k = 0; k < kCount; k++)
        {
            TV b0 = TV.Load(ref bk, 0), b1 = TV.Load(ref bk, (nuint)w);
            TV s = TV.Broadcast(ak); c00 = TV.MultiplyAdd(s, b0, c00); c01 = TV.MultiplyAdd(s, b1, c01);
            s = TV.Broadcast(Unsafe.Add(ref ak, 1)); c10 = TV.MultiplyAdd(s, b0, c10); c11 = TV.MultiplyAdd(s, b1, c11);
            s = TV.Broadcast(Unsafe.Add(ref ak, 2)); c20 = TV.MultiplyAdd(s, b0, c20); c21 = TV.MultiplyAdd(s, b1, c21);
            s = TV.Broadcast(Unsafe.Add(ref ak, 3)); c30 = TV.MultiplyAdd(s, b0, c30); c31 = TV.MultiplyAdd(s, b1, c31);
            s = TV.Broadcast(Unsafe.Add(ref ak, 4)); c40 = TV.MultiplyAdd(s, b0, c40); c41 = TV.MultiplyAdd(s, b1, c41);
            s = TV.Broadcast(Unsafe.Add(ref ak, 5)); c50 = TV.MultiplyAdd(s, b0, c50); c51 = TV.MultiplyAdd(s, b1, c51);
            s = TV.Broadcast(Unsafe.Add(ref ak, 6)); c60 = TV.MultiplyAdd(s, b0, c60); c61 = TV.MultiplyAdd(s, b1, c61);
            s = TV.Broadcast(Unsafe.Add(ref ak, 7)); c70 = TV.MultiplyAdd(s, b0, c70); c71 = TV.MultiplyAdd(s, b1, c71);
            ak = ref Unsafe.Add(ref ak, aStride);
            bk = ref Unsafe.Add(ref bk, bStride);
        }
        ref float c = ref Unsafe.Add(ref p.C, m * p.CStride + j);
        StorePair(p, ref c, c00, c01); StorePair(p, ref Unsafe.Add(ref c, p.CStride), c10, c11);
        StorePair(p, ref Unsafe.Add(ref c, 2 * p.CStride), c20, c21); StorePair(p, ref Unsafe.Add(ref c, 3 * p.CStride), c30, c31);
        StorePair(p, ref Unsafe.Add(ref c, 4 * p.CStride), c40, c41); StorePair(p, ref Unsafe.Add(ref c, 5 * p.CStride), c50, c51);
        StorePair(p, ref Unsafe.Add(ref c, 6 * p.CStride), c60, c61); StorePair(p, ref Unsafe.Add(ref c, 7 * p.CStride), c70, c71);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePair<TV>(in MatrixProduct p, ref float c, TV v0, TV v1) where TV : struct, ISimd<TV>
    {
        Store(p, ref c, v0);
        Store(p, ref Unsafe.Add(ref c, TV.Count), v1);
    }

    // 8 rows of C × 1 vector of columns, for the columns the 2-vector blocks leave: 8 independent sums keep both FMA
    // pipes busy where 4 left them waiting on latency.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // see Columns
    private static void Block8x1<TV>(in MatrixProduct p, int m, int j) where TV : struct, ISimd<TV>
    {
        TV c0 = TV.Zero, c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        ref float a = ref Unsafe.Add(ref p.A, m * p.AStrideM);
        ref float bk = ref Unsafe.Add(ref p.B, j);
        int kCount = p.K, aStrideK = p.AStrideK, aStrideM = p.AStrideM, bStride = p.BStride;
        for (int k = 0; k < kCount; k++)
        {
            ref float ak = ref Unsafe.Add(ref a, (nint)k * aStrideK);
            TV b = TV.Load(ref bk, 0);
            c0 = TV.MultiplyAdd(TV.Broadcast(ak), b, c0);
            c1 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref ak, aStrideM)), b, c1);
            c2 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref ak, 2 * aStrideM)), b, c2);
            c3 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref ak, 3 * aStrideM)), b, c3);
            c4 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref ak, 4 * aStrideM)), b, c4);
            c5 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref ak, 5 * aStrideM)), b, c5);
            c6 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref ak, 6 * aStrideM)), b, c6);
            c7 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref ak, 7 * aStrideM)), b, c7);
            bk = ref Unsafe.Add(ref bk, bStride);
        }
        ref float c = ref Unsafe.Add(ref p.C, m * p.CStride + j);
        Store(p, ref c, c0); Store(p, ref Unsafe.Add(ref c, p.CStride), c1);
        Store(p, ref Unsafe.Add(ref c, 2 * p.CStride), c2); Store(p, ref Unsafe.Add(ref c, 3 * p.CStride), c3);
        Store(p, ref Unsafe.Add(ref c, 4 * p.CStride), c4); Store(p, ref Unsafe.Add(ref c, 5 * p.CStride), c5);
        Store(p, ref Unsafe.Add(ref c, 6 * p.CStride), c6); Store(p, ref Unsafe.Add(ref c, 7 * p.CStride), c7);
    }

    private static void Block4x1<TV>(in MatrixProduct p, int m, int j) where TV : struct, ISimd<TV>
    {
        TV c0 = TV.Zero, c1 = c0, c2 = c0, c3 = c0;
        ref float a = ref Unsafe.Add(ref p.A, m * p.AStrideM);
        ref float b = ref Unsafe.Add(ref p.B, j);
        for (int k = 0; k < p.K; k++)
        {
            ref float ak = ref Unsafe.Add(ref a, k * p.AStrideK);
            TV bk = TV.Load(ref b, (nuint)(k * p.BStride));
            c0 = TV.MultiplyAdd(TV.Broadcast(ak), bk, c0);
            c1 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref ak, p.AStrideM)), bk, c1);
            c2 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref ak, 2 * p.AStrideM)), bk, c2);
            c3 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref ak, 3 * p.AStrideM)), bk, c3);
        }
        ref float c = ref Unsafe.Add(ref p.C, m * p.CStride + j);
        Store(p, ref c, c0);
        Store(p, ref Unsafe.Add(ref c, p.CStride), c1);
        Store(p, ref Unsafe.Add(ref c, 2 * p.CStride), c2);
        Store(p, ref Unsafe.Add(ref c, 3 * p.CStride), c3);
    }

    private static void Block1x1<TV>(in MatrixProduct p, int m, int j) where TV : struct, ISimd<TV>
    {
        TV c0 = TV.Zero;
        ref float a = ref Unsafe.Add(ref p.A, m * p.AStrideM);
        ref float b = ref Unsafe.Add(ref p.B, j);
        for (int k = 0; k < p.K; k++)
            c0 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref a, k * p.AStrideK)), TV.Load(ref b, (nuint)(k * p.BStride)), c0);
        Store(p, ref Unsafe.Add(ref p.C, m * p.CStride + j), c0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<TV>(in MatrixProduct p, ref float c, TV v0, TV v1, TV v2, TV v3) where TV : struct, ISimd<TV>
    {
        Store(p, ref c, v0);
        Store(p, ref Unsafe.Add(ref c, TV.Count), v1);
        Store(p, ref Unsafe.Add(ref c, 2 * TV.Count), v2);
        Store(p, ref Unsafe.Add(ref c, 3 * TV.Count), v3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TV>(in MatrixProduct p, ref float c, TV value) where TV : struct, ISimd<TV> =>
        TV.Store(p.Accumulate ? TV.Add(TV.Load(ref c, 0), value) : value, ref c, 0);
}
