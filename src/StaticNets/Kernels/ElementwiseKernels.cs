using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace StaticNets.Kernels;

/// <summary>PReLU, dropout and the skip-connection sum over row-major [batch, n] spans.</summary>
public static partial class ElementwiseKernels
{
    /// <summary>a = x for x &gt; 0, α[j]·x otherwise, with one learnable slope per feature.</summary>
    public static void PReLUForward(ReadOnlySpan<float> x, ReadOnlySpan<float> alpha, Span<float> a, int batch, int n)
    {
        Check(x.Length, a.Length, batch * n);
        if (alpha.Length != n) throw new ArgumentException($"alpha has {alpha.Length} slopes for {n} features.", nameof(alpha));
        for (int r = 0; r < batch; r++)
            VectorLoop.Run(new PReLURow(x.Slice(r * n, n), alpha, a.Slice(r * n, n)));
    }

    private readonly ref struct PReLURow(ReadOnlySpan<float> x, ReadOnlySpan<float> alpha, Span<float> a) : IVectorLoop
    {
        private readonly ref float _x = ref MemoryMarshal.GetReference(x), _alpha = ref MemoryMarshal.GetReference(alpha), _a = ref MemoryMarshal.GetReference(a);
        private readonly int _length = x.Length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Run<TV>(int start) where TV : struct, ISimd<TV>
        {
            int j = start;
            for (; j + TV.Count <= _length; j += TV.Count)
            {
                TV v = TV.Load(ref _x, (nuint)j);
                TV.Store(TV.SelectPositive(v, v, TV.Multiply(TV.Load(ref _alpha, (nuint)j), v)), ref _a, (nuint)j);
            }
            return j;
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

    /// <summary>a = f(x + skip): a skip connection's sum with the activation that follows it (z keeps the sum when not empty).</summary>
    public static void AddForward<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> skip, Span<float> z, Span<float> a, TAct activation)
        where TAct : struct, IActivation
    {
        Check(x.Length, a.Length, skip.Length);
        if (!z.IsEmpty && z.Length != x.Length) throw new ArgumentException($"z has {z.Length} values; expected {x.Length}.", nameof(z));
        VectorLoop.Run(new Sum<TAct>(x, skip, z, a, activation));
    }

    private readonly ref struct Sum<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> skip, Span<float> z, Span<float> a, TAct activation) : IVectorLoop
        where TAct : struct, IActivation
    {
        private readonly ref float _x = ref MemoryMarshal.GetReference(x), _skip = ref MemoryMarshal.GetReference(skip);
        private readonly ref float _z = ref MemoryMarshal.GetReference(z), _a = ref MemoryMarshal.GetReference(a);
        private readonly int _length = x.Length;
        private readonly bool _keepZ = !z.IsEmpty;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Run<TV>(int start) where TV : struct, ISimd<TV>
        {
            int i = start;
            for (; i + TV.Count <= _length; i += TV.Count)
            {
                TV v = TV.Add(TV.Load(ref _x, (nuint)i), TV.Load(ref _skip, (nuint)i));
                if (_keepZ) TV.Store(v, ref _z, (nuint)i);
                TV.Store(activation.Forward(v), ref _a, (nuint)i);
            }
            return i;
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
