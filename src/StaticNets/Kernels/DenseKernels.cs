using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace StaticNets.Kernels;

/// <summary>
/// Fully connected layer kernels over row-major spans: inputs [batch, in], weights [out, in]
/// (the layout the dot-product kernel reads: one contiguous row per output), outputs [batch, out].
/// Generated code calls them with literal sizes. Lengths are checked once per call; the inner
/// loops run on refs without bounds checks.
/// </summary>
public static class DenseKernels
{
    /// <summary>
    /// z = x Wᵀ + b, a = f(z). <paramref name="bias"/> may be empty (no bias); <paramref name="z"/>
    /// may be empty when only <paramref name="a"/> is needed (inference).
    /// </summary>
    public static void Forward<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias,
        Span<float> z, Span<float> a, int batch, int inSize, int outSize, TAct activation) where TAct : struct, IActivation
    {
        CheckSizes(x.Length, batch * inSize, weights.Length, outSize * inSize, a.Length, batch * outSize);
        bool hasBias = !bias.IsEmpty, keepZ = !z.IsEmpty;
        if (hasBias && bias.Length != outSize) ThrowSize(nameof(bias), bias.Length, outSize);
        if (keepZ && z.Length != batch * outSize) ThrowSize(nameof(z), z.Length, batch * outSize);

        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float w0 = ref MemoryMarshal.GetReference(weights);
        ref float b0 = ref MemoryMarshal.GetReference(bias);
        ref float z0 = ref MemoryMarshal.GetReference(z);
        ref float a0 = ref MemoryMarshal.GetReference(a);
        for (int r = 0; r < batch; r++)
        {
            ref float xr = ref Unsafe.Add(ref x0, r * inSize);
            int rowOut = r * outSize;
            int o = 0;
            for (; o <= outSize - 4; o += 4)
            {
                Dot4(ref xr, ref Unsafe.Add(ref w0, o * inSize), inSize, out float s0, out float s1, out float s2, out float s3);
                if (hasBias)
                {
                    s0 += Unsafe.Add(ref b0, o); s1 += Unsafe.Add(ref b0, o + 1);
                    s2 += Unsafe.Add(ref b0, o + 2); s3 += Unsafe.Add(ref b0, o + 3);
                }
                if (keepZ)
                {
                    ref float zo = ref Unsafe.Add(ref z0, rowOut + o);
                    zo = s0; Unsafe.Add(ref zo, 1) = s1; Unsafe.Add(ref zo, 2) = s2; Unsafe.Add(ref zo, 3) = s3;
                }
                ref float ao = ref Unsafe.Add(ref a0, rowOut + o);
                ao = activation.Forward(s0);
                Unsafe.Add(ref ao, 1) = activation.Forward(s1);
                Unsafe.Add(ref ao, 2) = activation.Forward(s2);
                Unsafe.Add(ref ao, 3) = activation.Forward(s3);
            }
            for (; o < outSize; o++)
            {
                float s = Dot(ref xr, ref Unsafe.Add(ref w0, o * inSize), inSize);
                if (hasBias) s += Unsafe.Add(ref b0, o);
                if (keepZ) Unsafe.Add(ref z0, rowOut + o) = s;
                Unsafe.Add(ref a0, rowOut + o) = activation.Forward(s);
            }
        }
    }

    /// <summary>
    /// Adds this batch's weight and bias gradients: dW += dzᵀ x, db += column sums of dz.
    /// <paramref name="biasGradient"/> may be empty (no bias).
    /// </summary>
    public static void BackwardParameters(ReadOnlySpan<float> dz, ReadOnlySpan<float> x, Span<float> weightGradient,
        Span<float> biasGradient, int batch, int inSize, int outSize)
    {
        CheckSizes(x.Length, batch * inSize, weightGradient.Length, outSize * inSize, dz.Length, batch * outSize);
        bool hasBias = !biasGradient.IsEmpty;
        if (hasBias && biasGradient.Length != outSize) ThrowSize(nameof(biasGradient), biasGradient.Length, outSize);

        ref float d0 = ref MemoryMarshal.GetReference(dz);
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float g0 = ref MemoryMarshal.GetReference(weightGradient);
        for (int o = 0; o < outSize; o++)
        {
            ref float gRow = ref Unsafe.Add(ref g0, o * inSize);
            float biasSum = 0f;
            int r = 0;
            for (; r <= batch - 4; r += 4)
            {
                float c0 = Unsafe.Add(ref d0, r * outSize + o), c1 = Unsafe.Add(ref d0, (r + 1) * outSize + o);
                float c2 = Unsafe.Add(ref d0, (r + 2) * outSize + o), c3 = Unsafe.Add(ref d0, (r + 3) * outSize + o);
                biasSum += (c0 + c1) + (c2 + c3);
                Axpy4(ref gRow, ref Unsafe.Add(ref x0, r * inSize), inSize, c0, c1, c2, c3);
            }
            for (; r < batch; r++)
            {
                float c = Unsafe.Add(ref d0, r * outSize + o);
                biasSum += c;
                Axpy(ref gRow, ref Unsafe.Add(ref x0, r * inSize), inSize, c);
            }
            if (hasBias) biasGradient[o] += biasSum;
        }
    }

    /// <summary>dx = dz W: the gradient flowing to the layer's input.</summary>
    public static void BackwardInput(ReadOnlySpan<float> dz, ReadOnlySpan<float> weights, Span<float> dx, int batch, int inSize, int outSize)
    {
        CheckSizes(dx.Length, batch * inSize, weights.Length, outSize * inSize, dz.Length, batch * outSize);
        ref float d0 = ref MemoryMarshal.GetReference(dz);
        ref float w0 = ref MemoryMarshal.GetReference(weights);
        ref float dx0 = ref MemoryMarshal.GetReference(dx);
        for (int r = 0; r < batch; r++)
        {
            ref float dxr = ref Unsafe.Add(ref dx0, r * inSize);
            ref float dr = ref Unsafe.Add(ref d0, r * outSize);
            dx.Slice(r * inSize, inSize).Clear();
            int o = 0;
            for (; o <= outSize - 4; o += 4)
            {
                // Rows o..o+3 of W are consecutive: pass row o and let Axpy4 step by inSize.
                Axpy4(ref dxr, ref Unsafe.Add(ref w0, o * inSize), inSize,
                    Unsafe.Add(ref dr, o), Unsafe.Add(ref dr, o + 1), Unsafe.Add(ref dr, o + 2), Unsafe.Add(ref dr, o + 3));
            }
            for (; o < outSize; o++)
                Axpy(ref dxr, ref Unsafe.Add(ref w0, o * inSize), inSize, Unsafe.Add(ref dr, o));
        }
    }

    /// <summary>dz = da ⊙ f'(z) elementwise.</summary>
    public static void ActivationBackward<TAct>(ReadOnlySpan<float> z, ReadOnlySpan<float> a, ReadOnlySpan<float> da, Span<float> dz, TAct activation)
        where TAct : struct, IActivation
    {
        int n = dz.Length;
        if (z.Length != n || a.Length != n || da.Length != n) ThrowSize(nameof(da), da.Length, n);
        for (int i = 0; i < n; i++)
            dz[i] = da[i] * activation.Derivative(z[i], a[i]);
    }

    /// <summary>Dot product of two spans of equal length.</summary>
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        if (x.Length != y.Length) ThrowSize(nameof(y), y.Length, x.Length);
        return Dot(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(y), x.Length);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(ref float x, ref float w, int n)
    {
        int i = 0;
        float s = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> acc0 = Vector512<float>.Zero, acc1 = Vector512<float>.Zero;
            for (; i <= n - 32; i += 32)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)i), Vector512.LoadUnsafe(ref w, (nuint)i), acc0);
                acc1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)(i + 16)), Vector512.LoadUnsafe(ref w, (nuint)(i + 16)), acc1);
            }
            for (; i <= n - 16; i += 16)
                acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)i), Vector512.LoadUnsafe(ref w, (nuint)i), acc0);
            s = Vector512.Sum(acc0 + acc1);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<float> acc0 = Vector256<float>.Zero, acc1 = Vector256<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                acc0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)i), Vector256.LoadUnsafe(ref w, (nuint)i), acc0);
                acc1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)(i + 8)), Vector256.LoadUnsafe(ref w, (nuint)(i + 8)), acc1);
            }
            for (; i <= n - 8; i += 8)
                acc0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)i), Vector256.LoadUnsafe(ref w, (nuint)i), acc0);
            s = Vector256.Sum(acc0 + acc1);
        }
        for (; i < n; i++)
            s = MathF.FusedMultiplyAdd(Unsafe.Add(ref x, i), Unsafe.Add(ref w, i), s);
        return s;
    }

    // Four dot products of x with four consecutive weight rows: x is loaded once per four FMAs.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4(ref float x, ref float w, int n, out float s0, out float s1, out float s2, out float s3)
    {
        ref float w1 = ref Unsafe.Add(ref w, n);
        ref float w2 = ref Unsafe.Add(ref w, 2 * n);
        ref float w3 = ref Unsafe.Add(ref w, 3 * n);
        int i = 0;
        s0 = s1 = s2 = s3 = 0f;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (; i <= n - 16; i += 16)
            {
                var xv = Vector512.LoadUnsafe(ref x, (nuint)i);
                a0 = Vector512.FusedMultiplyAdd(xv, Vector512.LoadUnsafe(ref w, (nuint)i), a0);
                a1 = Vector512.FusedMultiplyAdd(xv, Vector512.LoadUnsafe(ref w1, (nuint)i), a1);
                a2 = Vector512.FusedMultiplyAdd(xv, Vector512.LoadUnsafe(ref w2, (nuint)i), a2);
                a3 = Vector512.FusedMultiplyAdd(xv, Vector512.LoadUnsafe(ref w3, (nuint)i), a3);
            }
            s0 = Vector512.Sum(a0); s1 = Vector512.Sum(a1); s2 = Vector512.Sum(a2); s3 = Vector512.Sum(a3);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (; i <= n - 8; i += 8)
            {
                var xv = Vector256.LoadUnsafe(ref x, (nuint)i);
                a0 = Vector256.FusedMultiplyAdd(xv, Vector256.LoadUnsafe(ref w, (nuint)i), a0);
                a1 = Vector256.FusedMultiplyAdd(xv, Vector256.LoadUnsafe(ref w1, (nuint)i), a1);
                a2 = Vector256.FusedMultiplyAdd(xv, Vector256.LoadUnsafe(ref w2, (nuint)i), a2);
                a3 = Vector256.FusedMultiplyAdd(xv, Vector256.LoadUnsafe(ref w3, (nuint)i), a3);
            }
            s0 = Vector256.Sum(a0); s1 = Vector256.Sum(a1); s2 = Vector256.Sum(a2); s3 = Vector256.Sum(a3);
        }
        for (; i < n; i++)
        {
            float xi = Unsafe.Add(ref x, i);
            s0 = MathF.FusedMultiplyAdd(xi, Unsafe.Add(ref w, i), s0);
            s1 = MathF.FusedMultiplyAdd(xi, Unsafe.Add(ref w1, i), s1);
            s2 = MathF.FusedMultiplyAdd(xi, Unsafe.Add(ref w2, i), s2);
            s3 = MathF.FusedMultiplyAdd(xi, Unsafe.Add(ref w3, i), s3);
        }
    }

    // y += c·x over n values.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy(ref float y, ref float x, int n, float c)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var cv = Vector512.Create(c);
            for (; i <= n - 16; i += 16)
                Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)i), cv, Vector512.LoadUnsafe(ref y, (nuint)i)).StoreUnsafe(ref y, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var cv = Vector256.Create(c);
            for (; i <= n - 8; i += 8)
                Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)i), cv, Vector256.LoadUnsafe(ref y, (nuint)i)).StoreUnsafe(ref y, (nuint)i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref y, i) = MathF.FusedMultiplyAdd(Unsafe.Add(ref x, i), c, Unsafe.Add(ref y, i));
    }

    // y += c0·x0 + c1·x1 + c2·x2 + c3·x3 where x0..x3 are consecutive rows of length n:
    // y is loaded and stored once per four FMAs.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy4(ref float y, ref float x, int n, float c0, float c1, float c2, float c3)
    {
        ref float x1 = ref Unsafe.Add(ref x, n);
        ref float x2 = ref Unsafe.Add(ref x, 2 * n);
        ref float x3 = ref Unsafe.Add(ref x, 3 * n);
        int i = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var v0 = Vector512.Create(c0); var v1 = Vector512.Create(c1);
            var v2 = Vector512.Create(c2); var v3 = Vector512.Create(c3);
            for (; i <= n - 16; i += 16)
            {
                var acc = Vector512.LoadUnsafe(ref y, (nuint)i);
                acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)i), v0, acc);
                acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x1, (nuint)i), v1, acc);
                acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x2, (nuint)i), v2, acc);
                acc = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x3, (nuint)i), v3, acc);
                acc.StoreUnsafe(ref y, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var v0 = Vector256.Create(c0); var v1 = Vector256.Create(c1);
            var v2 = Vector256.Create(c2); var v3 = Vector256.Create(c3);
            for (; i <= n - 8; i += 8)
            {
                var acc = Vector256.LoadUnsafe(ref y, (nuint)i);
                acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)i), v0, acc);
                acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x1, (nuint)i), v1, acc);
                acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x2, (nuint)i), v2, acc);
                acc = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x3, (nuint)i), v3, acc);
                acc.StoreUnsafe(ref y, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float acc = Unsafe.Add(ref y, i);
            acc = MathF.FusedMultiplyAdd(Unsafe.Add(ref x, i), c0, acc);
            acc = MathF.FusedMultiplyAdd(Unsafe.Add(ref x1, i), c1, acc);
            acc = MathF.FusedMultiplyAdd(Unsafe.Add(ref x2, i), c2, acc);
            acc = MathF.FusedMultiplyAdd(Unsafe.Add(ref x3, i), c3, acc);
            Unsafe.Add(ref y, i) = acc;
        }
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
