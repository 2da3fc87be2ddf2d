using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace StaticNets.Kernels;

/// <summary>
/// Fully connected layer kernels over row-major spans: inputs [batch, in], weights [out, in]
/// (the layout the dot-product kernel reads: one contiguous row per output), outputs [batch, out].
/// Generated code calls them with literal sizes. Lengths are checked once per call; the inner loops
/// run on refs without bounds checks, register-blocked so each load feeds several FMAs. Training's forward
/// pass runs in tiles of two vectors of samples × 8 outputs (the samples' inputs transposed into a scratch
/// tile); without a tile it computes 4 samples × 4 outputs of dot products at a time. Both backward products
/// are sums of outer products over 8 × 2 and 4 × 4 vector blocks. Loop orders are fixed, so a result is
/// bit-identical run to run.
/// </summary>
public static class DenseKernels
{
    /// <summary>
    /// z = x Wᵀ + b, a = f(z). <paramref name="bias"/> may be empty (no bias); <paramref name="z"/>
    /// may be empty when only <paramref name="a"/> is needed (inference). With a <paramref name="tile"/> of at least
    /// <see cref="TileLength"/> floats the batch runs in tiles of samples (training); without, as dot products.
    /// </summary>
    public static void Forward<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        Span<float> z, Span<float> a, int batch, int inSize, int outSize, TAct activation, Span<float> tile = default) where TAct : struct, IActivation
    {
        CheckSizes(x.Length, batch * inSize, weights.Length, outSize * inSize, a.Length, batch * outSize);
        if (!bias.IsEmpty && bias.Length != outSize) ThrowSize(nameof(bias), bias.Length, outSize);
        if (!z.IsEmpty && z.Length != batch * outSize) ThrowSize(nameof(z), z.Length, batch * outSize);
        var layer = new Layer(x, weights, bias, z, a, inSize, outSize);
        if (!tile.IsEmpty)
        {
            if (tile.Length < TileLength(inSize, outSize)) ThrowSize(nameof(tile), tile.Length, TileLength(inSize, outSize));
            if (Vector512.IsHardwareAccelerated) ForwardTiles<TAct, Simd512>(layer, weights, batch, activation, tile);
            else if (Vector256.IsHardwareAccelerated) ForwardTiles<TAct, Simd256>(layer, weights, batch, activation, tile);
            else if (Vector128.IsHardwareAccelerated) ForwardTiles<TAct, Simd128>(layer, weights, batch, activation, tile);
            else ForwardTiles<TAct, Scalar>(layer, weights, batch, activation, tile);
        }
        else if (Vector512.IsHardwareAccelerated && inSize >= Simd512.Count) ForwardRows<TAct, Simd512>(layer, batch, activation);
        else if (Vector256.IsHardwareAccelerated && inSize >= Simd256.Count) ForwardRows<TAct, Simd256>(layer, batch, activation);
        else if (Vector128.IsHardwareAccelerated && inSize >= Simd128.Count) ForwardRows<TAct, Simd128>(layer, batch, activation);
        else ForwardRows<TAct, Scalar>(layer, batch, activation);
    }

    /// <summary>Floats of the scratch tile <see cref="Forward"/> takes for a layer: a tile of samples' inputs and outputs.</summary>
    public static int TileLength(int inSize, int outSize) => MaxTileSamples * (inSize + outSize);

    private const int MaxTileSamples = 32; // two 512-bit vectors of samples

    /// <summary>
    /// This batch's weight and bias gradients: dW += dzᵀ x, db += column sums of dz; with
    /// <paramref name="accumulate"/> false they are written instead of added (dW = dzᵀ x: no clearing pass,
    /// and dW is not read). <paramref name="biasGradient"/> may be empty (no bias).
    /// </summary>
    public static void BackwardParameters(ReadOnlySpan<float> dz, ReadOnlySpan<float> x, Span<float> weightGradient,
        Span<float> biasGradient, int batch, int inSize, int outSize, bool accumulate = true)
    {
        CheckSizes(x.Length, batch * inSize, weightGradient.Length, outSize * inSize, dz.Length, batch * outSize);
        if (!biasGradient.IsEmpty)
        {
            if (biasGradient.Length != outSize) ThrowSize(nameof(biasGradient), biasGradient.Length, outSize);
            if (!accumulate) biasGradient.Clear();
            for (int r = 0; r < batch; r++)
                System.Numerics.Tensors.TensorPrimitives.Add(biasGradient, dz.Slice(r * outSize, outSize), biasGradient);
        }
        // dW[o, i] (+)= Σ_r dz[r, o]·x[r, i]: C = dW, A(k = r, m = o) = dz, B = x.
        var product = new MatrixProduct(dz, aStrideK: outSize, aStrideM: 1, x, inSize, weightGradient, inSize, kCount: batch, mCount: outSize, inSize, accumulate);
        MatrixMultiply.Run(product);
    }

    /// <summary>dx = dz W: the gradient flowing to the layer's input (overwrites <paramref name="dx"/>).</summary>
    public static void BackwardInput(ReadOnlySpan<float> dz, ReadOnlySpan<float> weights, Span<float> dx, int batch, int inSize, int outSize)
    {
        CheckSizes(dx.Length, batch * inSize, weights.Length, outSize * inSize, dz.Length, batch * outSize);
        // dx[r, i] = Σ_o dz[r, o]·W[o, i]: C = dx, A(k = o, m = r) = dz, B = W.
        var product = new MatrixProduct(dz, aStrideK: 1, aStrideM: outSize, weights, inSize, dx, inSize, kCount: outSize, mCount: batch, inSize, accumulate: false);
        MatrixMultiply.Run(product);
    }

    /// <summary>dz = da ⊙ f'(z) elementwise (the activation's vector form in whole vectors, the same products value by value after).</summary>
    public static void ActivationBackward<TAct>(ReadOnlySpan<float> z, ReadOnlySpan<float> a, ReadOnlySpan<float> da, Span<float> dz, TAct activation)
        where TAct : struct, IActivation
    {
        int n = dz.Length;
        if (z.Length != n || a.Length != n || da.Length != n) ThrowSize(nameof(da), da.Length, n);
        int i = 0;
        if (Vector512.IsHardwareAccelerated) i = ActivationBackward<TAct, Simd512>(z, a, da, dz, activation, 0);
        else if (Vector256.IsHardwareAccelerated) i = ActivationBackward<TAct, Simd256>(z, a, da, dz, activation, 0);
        else if (Vector128.IsHardwareAccelerated) i = ActivationBackward<TAct, Simd128>(z, a, da, dz, activation, 0);
        ActivationBackward<TAct, Scalar>(z, a, da, dz, activation, i);
    }

    // From `start`, in whole vectors of TV; returns where it stopped.
    private static int ActivationBackward<TAct, TV>(ReadOnlySpan<float> z, ReadOnlySpan<float> a, ReadOnlySpan<float> da, Span<float> dz, TAct activation, int start)
        where TAct : struct, IActivation where TV : struct, ISimd<TV>
    {
        ref float zr = ref MemoryMarshal.GetReference(z), ar = ref MemoryMarshal.GetReference(a);
        ref float dar = ref MemoryMarshal.GetReference(da), dzr = ref MemoryMarshal.GetReference(dz);
        int i = start;
        for (; i + TV.Count <= dz.Length; i += TV.Count)
        {
            nuint at = (nuint)i;
            TV.Store(TV.Multiply(TV.Load(ref dar, at), activation.Derivative(TV.Load(ref zr, at), TV.Load(ref ar, at))), ref dzr, at);
        }
        return i;
    }

    /// <summary>Dot product of two spans of equal length.</summary>
    // Inlined into the generated unrolled products, which call it once per output (for more than 16 inputs): a call per
    // output was a third of a tiny network's prediction. The width is chosen by the hardware alone, so only one body
    // is inlined: a choice by length too would inline all of them, and the JIT's inlining budget runs out.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        if (x.Length != y.Length) ThrowSize(nameof(y), y.Length, x.Length);
        ref float xr = ref MemoryMarshal.GetReference(x), yr = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated) return Dot1x1<Simd512>(ref xr, ref yr, x.Length);
        if (Vector256.IsHardwareAccelerated) return Dot1x1<Simd256>(ref xr, ref yr, x.Length);
        if (Vector128.IsHardwareAccelerated) return Dot1x1<Simd128>(ref xr, ref yr, x.Length);
        return Dot1x1<Scalar>(ref xr, ref yr, x.Length);
    }

    // ---- forward: dot products in blocks of 4 samples × 4 outputs ----

    /// <summary>The spans of one dense layer as refs, so the row loops need no bounds checks.</summary>
    private readonly ref struct Layer(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> z, Span<float> a, int inSize, int outSize)
    {
        public readonly ref float X = ref MemoryMarshal.GetReference(x);
        public readonly ref float W = ref MemoryMarshal.GetReference(w);
        public readonly ref float B = ref MemoryMarshal.GetReference(b);
        public readonly ref float Z = ref MemoryMarshal.GetReference(z);
        public readonly ref float A = ref MemoryMarshal.GetReference(a);
        public readonly bool HasBias = !b.IsEmpty, KeepZ = !z.IsEmpty;
        public readonly int In = inSize, Out = outSize;
    }

    [InlineArray(16)]
    private struct Block16
    {
        private float _element;
    }

    private static void ForwardRows<TAct, TV>(in Layer l, int batch, TAct activation) where TAct : struct, IActivation where TV : struct, ISimd<TV>
    {
        int n = l.In;
        var sums = new Block16();
        int r = 0;
        for (; r + 4 <= batch; r += 4)
        {
            ref float xr = ref Unsafe.Add(ref l.X, r * n);
            int o = 0;
            for (; o + 4 <= l.Out; o += 4)
            {
                Dot4x4<TV>(ref xr, ref Unsafe.Add(ref l.W, o * n), n, ref sums);
                for (int i = 0; i < 16; i++) Finish(l, r + i / 4, o + i % 4, sums[i], activation);
            }
            for (; o < l.Out; o++)
                for (int i = 0; i < 4; i++)
                    Finish(l, r + i, o, Dot1x1<TV>(ref Unsafe.Add(ref xr, i * n), ref Unsafe.Add(ref l.W, o * n), n), activation);
        }
        for (; r < batch; r++)
        {
            ref float xr = ref Unsafe.Add(ref l.X, r * n);
            int o = 0;
            for (; o + 4 <= l.Out; o += 4)
            {
                Dot1x4<TV>(ref xr, ref Unsafe.Add(ref l.W, o * n), n, ref sums);
                for (int i = 0; i < 4; i++) Finish(l, r, o + i, sums[i], activation);
            }
            for (; o < l.Out; o++)
                Finish(l, r, o, Dot1x1<TV>(ref xr, ref Unsafe.Add(ref l.W, o * n), n), activation);
        }
    }

    // ---- forward in tiles: a tile holds 2 vectors of samples' inputs transposed (k-major), and the outputs come from the
    // backward products' outer-product blocks, z_tileᵀ = W · x_tileᵀ: 8 outputs take 2 loads and 8 broadcasts for 16
    // FMAs, where the dot products take 8 loads and end in horizontal sums, so tiles win even with the transpose they
    // need. Each sum runs over k in order from zero, the lanes
    // independent: a sample's bits do not depend on its batch or its place in it. Missing samples of the last tile are
    // zeros, never stored (stale values there could be subnormal, which costs a microcode assist per instruction).

    private static void ForwardTiles<TAct, TV>(in Layer l, ReadOnlySpan<float> weights, int batch, TAct activation, Span<float> tile)
        where TAct : struct, IActivation where TV : struct, ISimd<TV>
    {
        int n = l.In, width = 2 * TV.Count;
        Span<float> inputs = tile.Slice(0, n * width), sums = tile.Slice(n * width, l.Out * width);
        ref float t = ref MemoryMarshal.GetReference(inputs);
        // sums[o, s] = Σ_k W[o, k]·inputs[k, s]: C = sums, A(k, m = o) = W, B = the transposed inputs.
        var product = new MatrixProduct(weights, aStrideK: 1, aStrideM: n, inputs, width, sums, width, kCount: n, mCount: l.Out, width, accumulate: false);
        for (int r = 0; r < batch; r += width)
        {
            int count = Math.Min(width, batch - r);
            LoadTile(ref Unsafe.Add(ref l.X, r * n), n, count, width, ref t);
            MatrixMultiply.Rows<TV>(product);
            StoreTile(l, r, count, width, ref MemoryMarshal.GetReference(sums), activation);
        }
    }

    // tile[k, s] = x[s, k], zeros for the missing samples: 8 × 8 blocks in registers, the edges value by value.
    private static void LoadTile(ref float x, int n, int count, int width, ref float tile)
    {
        int s8 = Transpose8x8.IsAccelerated ? count & ~7 : 0, k8 = n & ~7;
        for (int s = 0; s < s8; s += 8)
            for (int k = 0; k < k8; k += 8)
                Transpose8x8.Copy(ref Unsafe.Add(ref x, s * n + k), n, ref Unsafe.Add(ref tile, k * width + s), width);
        for (int k = 0; k < n; k++)
        {
            ref float tk = ref Unsafe.Add(ref tile, k * width);
            for (int s = k < k8 ? s8 : 0; s < count; s++) Unsafe.Add(ref tk, s) = Unsafe.Add(ref x, s * n + k);
            for (int s = count; s < width; s++) Unsafe.Add(ref tk, s) = 0f;
        }
    }

    // z[r + s, o] = sums[o, s] + b[o], a = f(z): 8 outputs × 8 samples transposed in registers, the edges value by value.
    private static void StoreTile<TAct>(in Layer l, int r, int count, int width, ref float sums, TAct activation) where TAct : struct, IActivation
    {
        int s8 = Transpose8x8.IsAccelerated ? count & ~7 : 0, o8 = l.Out & ~7;
        for (int o = 0; o < o8 && s8 > 0; o += 8)
        {
            Vector256<float> bias = l.HasBias ? Vector256.LoadUnsafe(ref l.B, (nuint)o) : default;
            for (int s = 0; s < s8; s += 8)
            {
                ref float block = ref Unsafe.Add(ref sums, o * width + s);
                Transpose8x8.Load(ref block, width, out var r0, out var r1, out var r2, out var r3, out var r4, out var r5, out var r6, out var r7);
                Transpose8x8.Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
                nuint at = (nuint)((r + s) * l.Out + o), next = (nuint)l.Out;
                FinishRow(l, r0, bias, at, activation);
                FinishRow(l, r1, bias, at + next, activation);
                FinishRow(l, r2, bias, at + 2 * next, activation);
                FinishRow(l, r3, bias, at + 3 * next, activation);
                FinishRow(l, r4, bias, at + 4 * next, activation);
                FinishRow(l, r5, bias, at + 5 * next, activation);
                FinishRow(l, r6, bias, at + 6 * next, activation);
                FinishRow(l, r7, bias, at + 7 * next, activation);
            }
        }
        for (int s = 0; s < count; s++)
            for (int o = s < s8 ? o8 : 0; o < l.Out; o++) Finish(l, r + s, o, Unsafe.Add(ref sums, o * width + s), activation);
    }

    // Finish for 8 outputs of one sample: z[at..at + 8] = sums + b, a = f(z) through the activation's vector form.
    // Without a bias nothing is added: adding zero would turn a -0 sum into +0.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FinishRow<TAct>(in Layer l, Vector256<float> sums, Vector256<float> bias, nuint at, TAct activation) where TAct : struct, IActivation
    {
        Vector256<float> z = l.HasBias ? sums + bias : sums;
        if (l.KeepZ) z.StoreUnsafe(ref l.Z, at);
        Simd256.Store(activation.Forward<Simd256>(z), ref l.A, at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish<TAct>(in Layer l, int r, int o, float sum, TAct activation) where TAct : struct, IActivation
    {
        if (l.HasBias) sum += Unsafe.Add(ref l.B, o);
        int at = r * l.Out + o;
        if (l.KeepZ) Unsafe.Add(ref l.Z, at) = sum;
        Unsafe.Add(ref l.A, at) = activation.Forward(sum);
    }

    // 16 dot products: 4 rows of x against 4 rows of w, each load feeding 4 FMAs.
    private static void Dot4x4<TV>(ref float x, ref float w, int n, ref Block16 sums) where TV : struct, ISimd<TV>
    {
        ref float x1 = ref Unsafe.Add(ref x, n), x2 = ref Unsafe.Add(ref x, 2 * n), x3 = ref Unsafe.Add(ref x, 3 * n);
        ref float w1 = ref Unsafe.Add(ref w, n), w2 = ref Unsafe.Add(ref w, 2 * n), w3 = ref Unsafe.Add(ref w, 3 * n);
        TV a00 = TV.Zero, a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        TV a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int i = 0;
        for (; i + TV.Count <= n; i += TV.Count)
        {
            nuint k = (nuint)i;
            TV v0 = TV.Load(ref w, k), v1 = TV.Load(ref w1, k), v2 = TV.Load(ref w2, k), v3 = TV.Load(ref w3, k);
            TV u = TV.Load(ref x, k);
            a00 = TV.MultiplyAdd(u, v0, a00); a01 = TV.MultiplyAdd(u, v1, a01); a02 = TV.MultiplyAdd(u, v2, a02); a03 = TV.MultiplyAdd(u, v3, a03);
            u = TV.Load(ref x1, k);
            a10 = TV.MultiplyAdd(u, v0, a10); a11 = TV.MultiplyAdd(u, v1, a11); a12 = TV.MultiplyAdd(u, v2, a12); a13 = TV.MultiplyAdd(u, v3, a13);
            u = TV.Load(ref x2, k);
            a20 = TV.MultiplyAdd(u, v0, a20); a21 = TV.MultiplyAdd(u, v1, a21); a22 = TV.MultiplyAdd(u, v2, a22); a23 = TV.MultiplyAdd(u, v3, a23);
            u = TV.Load(ref x3, k);
            a30 = TV.MultiplyAdd(u, v0, a30); a31 = TV.MultiplyAdd(u, v1, a31); a32 = TV.MultiplyAdd(u, v2, a32); a33 = TV.MultiplyAdd(u, v3, a33);
        }
        sums[0] = TV.Sum(a00); sums[1] = TV.Sum(a01); sums[2] = TV.Sum(a02); sums[3] = TV.Sum(a03);
        sums[4] = TV.Sum(a10); sums[5] = TV.Sum(a11); sums[6] = TV.Sum(a12); sums[7] = TV.Sum(a13);
        sums[8] = TV.Sum(a20); sums[9] = TV.Sum(a21); sums[10] = TV.Sum(a22); sums[11] = TV.Sum(a23);
        sums[12] = TV.Sum(a30); sums[13] = TV.Sum(a31); sums[14] = TV.Sum(a32); sums[15] = TV.Sum(a33);
        for (; i < n; i++)
            for (int r = 0; r < 4; r++)
            {
                float xi = Unsafe.Add(ref x, r * n + i);
                for (int o = 0; o < 4; o++)
                    sums[r * 4 + o] = Scalar.MultiplyAdd(xi, Unsafe.Add(ref w, o * n + i), sums[r * 4 + o]);
            }
    }

    // Four dot products of one x row with four consecutive weight rows (one sample: weights dominate).
    private static void Dot1x4<TV>(ref float x, ref float w, int n, ref Block16 sums) where TV : struct, ISimd<TV>
    {
        ref float w1 = ref Unsafe.Add(ref w, n), w2 = ref Unsafe.Add(ref w, 2 * n), w3 = ref Unsafe.Add(ref w, 3 * n);
        TV a0 = TV.Zero, a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + TV.Count <= n; i += TV.Count)
        {
            nuint k = (nuint)i;
            TV u = TV.Load(ref x, k);
            a0 = TV.MultiplyAdd(u, TV.Load(ref w, k), a0);
            a1 = TV.MultiplyAdd(u, TV.Load(ref w1, k), a1);
            a2 = TV.MultiplyAdd(u, TV.Load(ref w2, k), a2);
            a3 = TV.MultiplyAdd(u, TV.Load(ref w3, k), a3);
        }
        sums[0] = TV.Sum(a0); sums[1] = TV.Sum(a1); sums[2] = TV.Sum(a2); sums[3] = TV.Sum(a3);
        for (; i < n; i++)
        {
            float xi = Unsafe.Add(ref x, i);
            for (int o = 0; o < 4; o++)
                sums[o] = Scalar.MultiplyAdd(xi, Unsafe.Add(ref w, o * n + i), sums[o]);
        }
    }

    // One dot product with two accumulators (FMA latency).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot1x1<TV>(ref float x, ref float w, int n) where TV : struct, ISimd<TV>
    {
        TV a0 = TV.Zero, a1 = a0;
        int i = 0;
        for (; i + 2 * TV.Count <= n; i += 2 * TV.Count)
        {
            a0 = TV.MultiplyAdd(TV.Load(ref x, (nuint)i), TV.Load(ref w, (nuint)i), a0);
            a1 = TV.MultiplyAdd(TV.Load(ref x, (nuint)(i + TV.Count)), TV.Load(ref w, (nuint)(i + TV.Count)), a1);
        }
        for (; i + TV.Count <= n; i += TV.Count)
            a0 = TV.MultiplyAdd(TV.Load(ref x, (nuint)i), TV.Load(ref w, (nuint)i), a0);
        float s = TV.Sum(TV.Add(a0, a1));
        for (; i < n; i++)
            s = Scalar.MultiplyAdd(Unsafe.Add(ref x, i), Unsafe.Add(ref w, i), s);
        return s;
    }

    private static void CheckSizes(int inLength, int inExpected, int wLength, int wExpected, int outLength, int outExpected)
    {
        if (inLength != inExpected) ThrowSize("input", inLength, inExpected);
        if (wLength != wExpected) ThrowSize("weights", wLength, wExpected);
        if (outLength != outExpected) ThrowSize("output", outLength, outExpected);
    }

    private static void ThrowSize(string name, int length, int expected) =>
        throw new ArgumentException($"{name} has {length} values; the layer needs {expected}.", name);
}
