namespace StaticNets.Kernels;

/// <summary>Layers that are not elementwise: maxout and softmax over row-major [batch, n] spans.</summary>
public static class OutputKernels
{
    /// <summary>a[r, u] = max over p of z[r, u·pieces + p].</summary>
    public static void MaxoutForward(ReadOnlySpan<float> z, Span<float> a, int batch, int units, int pieces)
    {
        if (z.Length != batch * units * pieces || a.Length != batch * units)
            throw new ArgumentException($"maxout needs z of {batch * units * pieces} and a of {batch * units} values; got {z.Length} and {a.Length}.");
        for (int i = 0; i < batch * units; i++)
        {
            ReadOnlySpan<float> group = z.Slice(i * pieces, pieces);
            float best = group[0];
            for (int p = 1; p < pieces; p++)
                if (group[p] > best) best = group[p];
            a[i] = best;
        }
    }

    /// <summary>Routes each unit's gradient to its largest piece (the first one on ties); the others get 0.</summary>
    public static void MaxoutBackward(ReadOnlySpan<float> z, ReadOnlySpan<float> da, Span<float> dz, int batch, int units, int pieces)
    {
        if (z.Length != batch * units * pieces || dz.Length != z.Length || da.Length != batch * units)
            throw new ArgumentException($"maxout backward needs z and dz of {batch * units * pieces} and da of {batch * units} values.");
        dz.Clear();
        for (int i = 0; i < batch * units; i++)
        {
            ReadOnlySpan<float> group = z.Slice(i * pieces, pieces);
            int best = 0;
            for (int p = 1; p < pieces; p++)
                if (group[p] > group[best]) best = p;
            dz[i * pieces + best] = da[i];
        }
    }

    /// <summary>Row-wise softmax, shifted by the row maximum so it never overflows. In place is allowed.</summary>
    public static void Softmax(ReadOnlySpan<float> z, Span<float> a, int batch, int n)
    {
        if (z.Length != batch * n || a.Length != batch * n)
            throw new ArgumentException($"softmax needs {batch * n} values in and out; got {z.Length} and {a.Length}.");
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<float> zr = z.Slice(r * n, n);
            Span<float> ar = a.Slice(r * n, n);
            float max = zr[0];
            for (int i = 1; i < n; i++) if (zr[i] > max) max = zr[i];
            double sum = 0;
            for (int i = 0; i < n; i++)
            {
                float e = MathF.Exp(zr[i] - max);
                ar[i] = e;
                sum += e;
            }
            float inv = (float)(1.0 / sum);
            for (int i = 0; i < n; i++) ar[i] *= inv;
        }
    }

    /// <summary>dz = a ⊙ (da − Σ da·a) per row: the softmax Jacobian applied to da.</summary>
    public static void SoftmaxBackward(ReadOnlySpan<float> a, ReadOnlySpan<float> da, Span<float> dz, int batch, int n)
    {
        if (a.Length != batch * n || da.Length != batch * n || dz.Length != batch * n)
            throw new ArgumentException($"softmax backward needs {batch * n} values in a, da and dz.");
        for (int r = 0; r < batch; r++)
        {
            double dot = 0;
            for (int i = 0; i < n; i++) dot += (double)da[r * n + i] * a[r * n + i];
            for (int i = 0; i < n; i++) dz[r * n + i] = a[r * n + i] * (da[r * n + i] - (float)dot);
        }
    }

    /// <summary>Elementwise logistic function, in place allowed.</summary>
    public static void Sigmoid(ReadOnlySpan<float> z, Span<float> a)
    {
        if (z.Length != a.Length) throw new ArgumentException($"sigmoid needs equal lengths; got {z.Length} and {a.Length}.");
        for (int i = 0; i < z.Length; i++) a[i] = Kernels.Sigmoid.Logistic(z[i]);
    }
}
