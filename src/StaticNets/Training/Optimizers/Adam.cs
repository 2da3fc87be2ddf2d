using System.Numerics;
using System.Runtime.InteropServices;

namespace StaticNets;

/// <summary>
/// Adam (Kingma &amp; Ba): m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; w ← w − lr·m̂/(√v̂ + ε) with the
/// bias corrections m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ). With a weight decay λ this is AdamW
/// (Loshchilov &amp; Hutter): first w ← w − lr·λ·w, decoupled from the gradient, on weights only by default.
/// Values that would make the moments subnormal count as 0 (software flush-to-zero, see Update).
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

    private const float SmallestNormal = 1.17549435e-38f; // 2⁻¹²⁶

    private static Vector<float> Flush(Vector<float> x, float min) =>
        Vector.ConditionalSelect(Vector.LessThan(Vector.Abs(x), new Vector<float>(min)), Vector<float>.Zero, x);

    private static float Flush(float x, float min) => MathF.Abs(x) < min ? 0f : x;

    /// <inheritdoc/>
    protected override void Update(Span<float> w, ReadOnlySpan<float> g, int offset, bool isWeight)
    {
        Span<float> m = _m.AsSpan(offset, w.Length), v = _v.AsSpan(offset, w.Length);
        float lr = LearningRate, b1 = Beta1, b2 = Beta2, eps = Epsilon;
        // Bias corrections in double: 1 − β₂ᵗ is tiny for small t.
        float c1 = (float)(1.0 / (1.0 - Math.Pow(b1, Steps))), c2 = (float)(1.0 / (1.0 - Math.Pow(b2, Steps)));
        float decay = (isWeight || DecayAllParameters) ? 1f - lr * WeightDecay : 1f;
        // Software flush-to-zero: a gradient whose (1 − β₂)·g² would be subnormal, and a moment that β·m would
        // take below float's normal range, count as 0 (NaN still passes). On x86 each vector instruction that
        // produces a subnormal takes a microcode assist and .NET cannot set the FTZ/DAZ flags; such values move no
        // parameter by a representable amount, but once a network had nearly memorized its batch they made steps
        // twice as slow. Hardware flush-to-zero (PyTorch's set_flush_denormal) does the same.
        float gMin = MathF.Sqrt(SmallestNormal / (1f - b2)), mMin = SmallestNormal / b1, vMin = SmallestNormal / b2;
        var vw = MemoryMarshal.Cast<float, Vector<float>>(w);
        var vg = MemoryMarshal.Cast<float, Vector<float>>(g);
        var vm = MemoryMarshal.Cast<float, Vector<float>>(m);
        var vv = MemoryMarshal.Cast<float, Vector<float>>(v);
        int i = 0;
        for (int k = 0; k < vw.Length; k++, i += Vector<float>.Count)
        {
            Vector<float> gk = Flush(vg[k], gMin), mk = Flush(vm[k], mMin), vk = Flush(vv[k], vMin);
            vm[k] = mk = b1 * mk + (1f - b1) * gk;
            vv[k] = vk = b2 * vk + (1f - b2) * gk * gk;
            vw[k] = decay * vw[k] - lr * (mk * c1) / (Vector.SquareRoot(vk * c2) + new Vector<float>(eps));
        }
        for (; i < w.Length; i++)
        {
            float gi = Flush(g[i], gMin), mi = Flush(m[i], mMin), vi = Flush(v[i], vMin);
            m[i] = mi = b1 * mi + (1f - b1) * gi;
            v[i] = vi = b2 * vi + (1f - b2) * gi * gi;
            w[i] = decay * w[i] - lr * (mi * c1) / (MathF.Sqrt(vi * c2) + eps);
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
