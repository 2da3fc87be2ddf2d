namespace StaticNets.Kernels;

/// <summary>PReLU, dropout and the skip-connection sum over row-major [batch, n] spans.</summary>
public static class ElementwiseKernels
{
    /// <summary>a = x for x &gt; 0, α[j]·x otherwise, with one learnable slope per feature.</summary>
    public static void PReLUForward(ReadOnlySpan<float> x, ReadOnlySpan<float> alpha, Span<float> a, int batch, int n)
    {
        Check(x.Length, a.Length, batch * n);
        for (int r = 0; r < batch; r++)
            for (int j = 0; j < n; j++)
            {
                float v = x[r * n + j];
                a[r * n + j] = v > 0f ? v : alpha[j] * v;
            }
    }

    /// <summary>dx = da where x &gt; 0, α·da otherwise; dα[j] += Σ over x ≤ 0 of da·x.</summary>
    public static void PReLUBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> alpha, ReadOnlySpan<float> da, Span<float> dx, Span<float> dAlpha, int batch, int n)
    {
        Check(x.Length, dx.Length, batch * n);
        for (int j = 0; j < n; j++)
        {
            double slope = 0;
            for (int r = 0; r < batch; r++)
            {
                int i = r * n + j;
                float v = x[i];
                if (v > 0f)
                    dx[i] = da[i];
                else
                {
                    dx[i] = alpha[j] * da[i];
                    slope += (double)da[i] * v;
                }
            }
            dAlpha[j] += (float)slope;
        }
    }

    /// <summary>
    /// Inverted dropout: each value is kept with probability 1 − <paramref name="rate"/> and scaled by
    /// 1/(1 − rate), so the expectation is unchanged. The mask (0 or the scale) is written for backward.
    /// </summary>
    public static void DropoutForward(ReadOnlySpan<float> x, Span<float> mask, Span<float> a, float rate, Rng rng)
    {
        Check(x.Length, a.Length, mask.Length);
        rng.FillDropoutMask(mask, rate, 1f / (1f - rate));
        System.Numerics.Tensors.TensorPrimitives.Multiply(x, mask, a);
    }

    /// <summary>dx = da ⊙ mask.</summary>
    public static void DropoutBackward(ReadOnlySpan<float> da, ReadOnlySpan<float> mask, Span<float> dx)
    {
        Check(da.Length, dx.Length, mask.Length);
        System.Numerics.Tensors.TensorPrimitives.Multiply(da, mask, dx);
    }

    /// <summary>a = f(x + skip): a skip connection's sum with the activation that follows it.</summary>
    public static void AddForward<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> skip, Span<float> z, Span<float> a, TAct activation)
        where TAct : struct, IActivation
    {
        Check(x.Length, a.Length, skip.Length);
        bool keepZ = !z.IsEmpty;
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i] + skip[i];
            if (keepZ) z[i] = v;
            a[i] = activation.Forward(v);
        }
    }

    /// <summary>y += x.</summary>
    public static void AddInPlace(ReadOnlySpan<float> x, Span<float> y)
    {
        Check(x.Length, y.Length, x.Length);
        System.Numerics.Tensors.TensorPrimitives.Add(x, y, y);
    }

    private static void Check(int a, int b, int expected)
    {
        if (a != expected || b != expected)
            throw new ArgumentException($"buffers must hold {expected} values; got {a} and {b}.");
    }
}
