using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Numerics;

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
        ReadOnlySpan<Vector<float>> vectors = MemoryMarshal.Cast<float, Vector<float>>(values);
        Vector<double> a0 = default, a1 = default;
        foreach (Vector<float> v in vectors)
        {
            Vector.Widen(v, out Vector<double> low, out Vector<double> high);
            a0 = Vector.FusedMultiplyAdd(low, low, a0);
            a1 = Vector.FusedMultiplyAdd(high, high, a1);
        }
        double sum = Vector.Sum(a0 + a1);
        foreach (float f in values[(vectors.Length * Vector<float>.Count)..])
            sum += (double)f * f;
        return sum;
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
