using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using StaticNets.Kernels;

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

    /// <inheritdoc/>
    protected override void Update(Span<float> w, ReadOnlySpan<float> g, int offset, bool isWeight) =>
        UpdateAndKeep(w, g, PreviousValues(offset, w.Length), offset, isWeight, LearningRate, Steps);

    private protected override bool UpdateAndKeep(Span<float> w, ReadOnlySpan<float> g, Span<float> previous, int offset, bool isWeight, float learningRate, long step)
    {
        float lr = learningRate, b1 = Beta1, b2 = Beta2;
        // Bias corrections in double: 1 − β₂ᵗ is tiny for small t.
        float c1 = (float)(1.0 / (1.0 - Math.Pow(b1, step))), c2 = (float)(1.0 / (1.0 - Math.Pow(b2, step)));
        float decay = (isWeight || DecayAllParameters) ? 1f - lr * WeightDecay : 1f;
        // Software flush-to-zero: a gradient whose (1 − β₂)·g² would be subnormal, and a moment that β·m would
        // take below float's normal range, count as 0 (NaN still passes). On x86 each vector instruction that
        // produces a subnormal takes a microcode assist and .NET cannot set the FTZ/DAZ flags; such values move no
        // parameter by a representable amount, but once a network has nearly memorized its batch they are common
        // enough to slow whole steps down. Hardware flush-to-zero (PyTorch's set_flush_denormal) does the same.
        float gMin = MathF.Sqrt(SmallestNormal / (1f - b2)), mMin = SmallestNormal / b1, vMin = SmallestNormal / b2;
        return ElementwiseUpdate.Run(w, g, previous, new Moments(g, _m.AsSpan(offset, w.Length), _v.AsSpan(offset, w.Length), lr, b1, b2, Epsilon, c1, c2, decay, gMin, mMin, vMin));
    }

    // In the widest lanes the hardware has, on refs without bounds checks (through Vector<T>, .NET's 256 bits, with
    // bounds checks, the update was bound by instructions). No fused multiply-adds: the formula's roundings, one by one.
    private readonly ref struct Moments(ReadOnlySpan<float> g, Span<float> m, Span<float> v,
        float lr, float b1, float b2, float eps, float c1, float c2, float decay, float gMin, float mMin, float vMin) : IElementwiseUpdate
    {
        private readonly ref float _m = ref MemoryMarshal.GetReference(m), _v = ref MemoryMarshal.GetReference(v);
        private readonly ref float _g = ref MemoryMarshal.GetReference(g);
        private readonly int _length = g.Length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Run<TV>(int start, ref ParameterTarget target) where TV : struct, ISimd<TV>
        {
            TV beta1 = TV.Broadcast(b1), beta2 = TV.Broadcast(b2), rest1 = TV.Broadcast(1f - b1), rest2 = TV.Broadcast(1f - b2);
            TV rate = TV.Broadcast(lr), epsilon = TV.Broadcast(eps), scale1 = TV.Broadcast(c1), scale2 = TV.Broadcast(c2), keep = TV.Broadcast(decay);
            TV gLow = TV.Broadcast(gMin), mLow = TV.Broadcast(mMin), vLow = TV.Broadcast(vMin);
            TV check = TV.Zero;
            int i = start;
            for (; i + TV.Count <= _length; i += TV.Count)
            {
                nuint at = (nuint)i;
                TV gi = TV.ZeroBelow(TV.Load(ref _g, at), gLow);
                TV mi = TV.Add(TV.Multiply(beta1, TV.ZeroBelow(TV.Load(ref _m, at), mLow)), TV.Multiply(rest1, gi));
                TV vi = TV.Add(TV.Multiply(beta2, TV.ZeroBelow(TV.Load(ref _v, at), vLow)), TV.Multiply(TV.Multiply(rest2, gi), gi));
                TV.Store(mi, ref _m, at);
                TV.Store(vi, ref _v, at);
                // decay·w − lr·(m·c1) / (√(v·c2) + ε)
                TV step = TV.Divide(TV.Multiply(rate, TV.Multiply(mi, scale1)), TV.Add(TV.Sqrt(TV.Multiply(vi, scale2)), epsilon));
                TV wi = target.Load<TV>(at);
                target.Write(wi, TV.Subtract(TV.Multiply(keep, wi), step), at, ref check);
            }
            target.Finish(check);
            return i;
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
