using System.Numerics;
using System.Runtime.InteropServices;

namespace StaticNets;

/// <summary>
/// Adam (Kingma &amp; Ba): m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; w ← w − lr·m̂/(√v̂ + ε) with the
/// bias corrections m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ). With a weight decay λ this is AdamW
/// (Loshchilov &amp; Hutter): first w ← w − lr·λ·w, decoupled from the gradient, on weights only by default.
/// </summary>
public class Adam : Optimizer
{
    private ArraySegment<float> _m, _v;

    /// <summary>Adam with PyTorch's defaults.</summary>
    public Adam(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
        : this(learningRate, beta1, beta2, epsilon, 0f, false) { }

    /// <summary>For AdamW.</summary>
    protected Adam(float learningRate, float beta1, float beta2, float epsilon, float weightDecay, bool decayAllParameters) : base(learningRate)
    {
        Beta1 = InRange(beta1, 0f, 1f, nameof(beta1));
        Beta2 = InRange(beta2, 0f, 1f, nameof(beta2));
        Epsilon = epsilon > 0f && float.IsFinite(epsilon) ? epsilon : throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be positive.");
        WeightDecay = weightDecay >= 0f && float.IsFinite(weightDecay) ? weightDecay : throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "weightDecay must be non-negative.");
        DecayAllParameters = decayAllParameters;
    }

    /// <summary>β₁.</summary>
    public float Beta1 { get; }

    /// <summary>β₂.</summary>
    public float Beta2 { get; }

    /// <summary>ε.</summary>
    public float Epsilon { get; }

    /// <summary>Decoupled weight decay λ (0 for plain Adam).</summary>
    public float WeightDecay { get; }

    /// <summary>Whether biases and normalization parameters are decayed too (by default only weights are).</summary>
    public bool DecayAllParameters { get; }

    /// <inheritdoc/>
    protected override void Allocate(int count)
    {
        _m = AlignedArrays.Allocate(count);
        _v = AlignedArrays.Allocate(count);
    }

    /// <inheritdoc/>
    protected internal override bool UpdatesElementwise => true;

    /// <inheritdoc/>
    protected override void Update(Span<float> w, ReadOnlySpan<float> g, int offset, bool isWeight)
    {
        Span<float> m = _m.AsSpan(offset, w.Length), v = _v.AsSpan(offset, w.Length);
        float lr = LearningRate, b1 = Beta1, b2 = Beta2, eps = Epsilon;
        // Bias corrections in double: 1 − β₂ᵗ is tiny for small t.
        float c1 = (float)(1.0 / (1.0 - Math.Pow(b1, Steps))), c2 = (float)(1.0 / (1.0 - Math.Pow(b2, Steps)));
        float decay = (isWeight || DecayAllParameters) ? 1f - lr * WeightDecay : 1f;
        var vw = MemoryMarshal.Cast<float, Vector<float>>(w);
        var vg = MemoryMarshal.Cast<float, Vector<float>>(g);
        var vm = MemoryMarshal.Cast<float, Vector<float>>(m);
        var vv = MemoryMarshal.Cast<float, Vector<float>>(v);
        int i = 0;
        for (int k = 0; k < vw.Length; k++, i += Vector<float>.Count)
        {
            vm[k] = b1 * vm[k] + (1f - b1) * vg[k];
            vv[k] = b2 * vv[k] + (1f - b2) * vg[k] * vg[k];
            vw[k] = decay * vw[k] - lr * (vm[k] * c1) / (Vector.SquareRoot(vv[k] * c2) + new Vector<float>(eps));
        }
        for (; i < w.Length; i++)
        {
            m[i] = b1 * m[i] + (1f - b1) * g[i];
            v[i] = b2 * v[i] + (1f - b2) * g[i] * g[i];
            w[i] = decay * w[i] - lr * (m[i] * c1) / (MathF.Sqrt(v[i] * c2) + eps);
        }
    }
}

/// <summary>
/// AdamW: Adam with decoupled weight decay, w ← (1 − lr·λ)·w before the Adam step, applied to weights
/// only unless <c>decayAllParameters</c> (biases and normalization parameters are not decayed by default).
/// </summary>
public sealed class AdamW(float learningRate = 1e-3f, float weightDecay = 0.01f, float beta1 = 0.9f, float beta2 = 0.999f,
    float epsilon = 1e-8f, bool decayAllParameters = false)
    : Adam(learningRate, beta1, beta2, epsilon, weightDecay, decayAllParameters);
