using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace StaticNets;

/// <summary>
/// A weight penalty added to the loss and its gradient, on weight tensors only (never biases,
/// normalization parameters or slopes): L2 adds λ₂/2·Σw² (gradient λ₂·w, PyTorch's weight_decay),
/// L1 adds λ₁·Σ|w| (gradient λ₁·sign(w), 0 at 0); elastic net adds both.
/// </summary>
public sealed class Regularization
{
    private Regularization(float l1, float l2)
    {
        L1 = l1 >= 0f && float.IsFinite(l1) ? l1 : throw new ArgumentOutOfRangeException(nameof(l1), l1, "The L1 strength must be non-negative.");
        L2 = l2 >= 0f && float.IsFinite(l2) ? l2 : throw new ArgumentOutOfRangeException(nameof(l2), l2, "The L2 strength must be non-negative.");
    }

    /// <summary>λ₂/2·Σw².</summary>
    public static Regularization Ridge(float lambda) => new(0f, lambda);

    /// <summary>λ₁·Σ|w|.</summary>
    public static Regularization Lasso(float lambda) => new(lambda, 0f);

    /// <summary>λ₁·Σ|w| + λ₂/2·Σw².</summary>
    public static Regularization ElasticNet(float l1, float l2) => new(l1, l2);

    /// <summary>λ₁.</summary>
    public float L1 { get; }

    /// <summary>λ₂.</summary>
    public float L2 { get; }

    /// <summary>Adds the penalty's gradient into <paramref name="gradients"/> and returns the penalty.</summary>
    public float Apply(ReadOnlySpan<float> parameters, Span<float> gradients, ReadOnlySpan<ParameterTensor> layout)
    {
        if (parameters.Length != gradients.Length)
            throw new ArgumentException($"gradients has {gradients.Length} values; parameters has {parameters.Length}.", nameof(gradients));
        double penalty = 0;
        foreach (ParameterTensor t in layout)
        {
            if (t.Kind != ParameterKind.Weight) continue;
            ReadOnlySpan<float> w = parameters.Slice(t.Offset, t.Length);
            Span<float> g = gradients.Slice(t.Offset, t.Length);
            if (L2 > 0f)
            {
                penalty += 0.5 * L2 * TensorPrimitives.SumOfSquares(w);
                TensorPrimitives.MultiplyAdd(w, L2, g, g);
            }
            if (L1 > 0f)
            {
                penalty += L1 * TensorPrimitives.SumOfMagnitudes(w);
                for (int i = 0; i < w.Length; i++)
                    g[i] += L1 * MathF.Sign(w[i]);
            }
        }
        return (float)penalty;
    }
}

/// <summary>
/// Gradient clipping, applied after the gradient is computed and before the update. Both forms return
/// the gradient's global L2 norm before clipping, so a healthy threshold can be read off training runs.
/// </summary>
public static class GradientClipping
{
    /// <summary>Clips every element to [−<paramref name="limit"/>, <paramref name="limit"/>].</summary>
    public static float ByValue(Span<float> gradients, float limit)
    {
        if (!(limit > 0f)) throw new ArgumentOutOfRangeException(nameof(limit), limit, "The clipping limit must be positive.");
        float norm = Norm(gradients);
        Clamp(gradients, limit);
        return norm;
    }

    /// <summary>Scales the whole gradient by min(1, <paramref name="maxNorm"/>/‖g‖₂), keeping its direction.</summary>
    public static float ByGlobalNorm(Span<float> gradients, float maxNorm)
    {
        if (!(maxNorm > 0f)) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The maximum norm must be positive.");
        float norm = Norm(gradients);
        Rescale(gradients, maxNorm, norm);
        return norm;
    }

    /// <summary>
    /// The global L2 norm ‖g‖₂, with the squares summed in double: a float square of a value below about 1e-19
    /// is subnormal, and on x86 every vector instruction producing one takes a microcode assist (.NET cannot set
    /// flush-to-zero), which slowed training steps twofold once a network had nearly memorized its batch.
    /// </summary>
    public static float Norm(ReadOnlySpan<float> gradients) => (float)Math.Sqrt(SumOfSquares(gradients));

    /// <summary>Σg² in double (see <see cref="Norm"/>).</summary>
    internal static double SumOfSquares(ReadOnlySpan<float> values)
    {
        // Eight independent sums: with one chain per half-vector the loop waits on the FMA latency, and the widening
        // to double costs more shuffle-port work than the squares. This way it runs close to the speed of reading
        // the gradients.
        double sum = 0;
        int done = 0;
        if (Avx512F.IsSupported)
            (sum, done) = SumOfSquares512(values);
        ReadOnlySpan<Vector<float>> vectors = MemoryMarshal.Cast<float, Vector<float>>(values[done..]);
        Vector<double> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        int k = 0;
        for (; k + 4 <= vectors.Length; k += 4)
        {
            Vector.Widen(vectors[k], out Vector<double> l0, out Vector<double> h0);
            Vector.Widen(vectors[k + 1], out Vector<double> l1, out Vector<double> h1);
            Vector.Widen(vectors[k + 2], out Vector<double> l2, out Vector<double> h2);
            Vector.Widen(vectors[k + 3], out Vector<double> l3, out Vector<double> h3);
            a0 = SquareAdd(l0, a0);
            a1 = SquareAdd(h0, a1);
            a2 = SquareAdd(l1, a2);
            a3 = SquareAdd(h1, a3);
            a4 = SquareAdd(l2, a4);
            a5 = SquareAdd(h2, a5);
            a6 = SquareAdd(l3, a6);
            a7 = SquareAdd(h3, a7);
        }
        for (; k < vectors.Length; k++)
        {
            Vector.Widen(vectors[k], out Vector<double> low, out Vector<double> high);
            a0 = SquareAdd(low, a0);
            a1 = SquareAdd(high, a1);
        }
        sum += Vector.Sum((a0 + a1) + (a2 + a3) + ((a4 + a5) + (a6 + a7)));
        foreach (float f in values[(done + vectors.Length * Vector<float>.Count)..])
            sum += (double)f * f;
        return sum;
    }

    // x² + sum: fused where the hardware has it (without, a fused multiply-add is a slow software routine).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector<double> SquareAdd(Vector<double> x, Vector<double> sum) => Kernels.Simd.Fused ? Vector.FusedMultiplyAdd(x, x, sum) : x * x + sum;

    // Whole blocks of 64 floats, each 8 converted straight from memory (no extract of the upper half).
    private static (double Sum, int Done) SumOfSquares512(ReadOnlySpan<float> values)
    {
        ref float r = ref MemoryMarshal.GetReference(values);
        Vector512<double> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        nuint n = (nuint)values.Length, i = 0;
        for (; i + 64 <= n; i += 64)
        {
            Vector512<double> v0 = Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(ref r, i));
            Vector512<double> v1 = Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(ref r, i + 8));
            Vector512<double> v2 = Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(ref r, i + 16));
            Vector512<double> v3 = Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(ref r, i + 24));
            Vector512<double> v4 = Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(ref r, i + 32));
            Vector512<double> v5 = Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(ref r, i + 40));
            Vector512<double> v6 = Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(ref r, i + 48));
            Vector512<double> v7 = Avx512F.ConvertToVector512Double(Vector256.LoadUnsafe(ref r, i + 56));
            a0 = Vector512.FusedMultiplyAdd(v0, v0, a0);
            a1 = Vector512.FusedMultiplyAdd(v1, v1, a1);
            a2 = Vector512.FusedMultiplyAdd(v2, v2, a2);
            a3 = Vector512.FusedMultiplyAdd(v3, v3, a3);
            a4 = Vector512.FusedMultiplyAdd(v4, v4, a4);
            a5 = Vector512.FusedMultiplyAdd(v5, v5, a5);
            a6 = Vector512.FusedMultiplyAdd(v6, v6, a6);
            a7 = Vector512.FusedMultiplyAdd(v7, v7, a7);
        }
        return (Vector512.Sum((a0 + a1) + (a2 + a3) + ((a4 + a5) + (a6 + a7))), (int)i);
    }

    // The two clipping steps without the norm, for callers that know it already (the trainer computes it
    // once per step for its divergence check).
    internal static void Clamp(Span<float> gradients, float limit) => TensorPrimitives.Clamp(gradients, -limit, limit, gradients);

    internal static void Rescale(Span<float> gradients, float maxNorm, float norm)
    {
        if (norm > maxNorm)
            TensorPrimitives.Multiply(gradients, maxNorm / norm, gradients);
    }
}
