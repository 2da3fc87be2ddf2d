using System.Numerics;
using System.Runtime.InteropServices;

namespace StaticNets;

/// <summary>RMSProp: v ← α·v + (1 − α)·g²; w ← w − lr·g/(√v + ε). PyTorch's defaults.</summary>
public sealed class RmsProp : Optimizer
{
    private ArraySegment<float> _meanSquare;

    /// <summary>RMSProp with decay α in [0, 1).</summary>
    public RmsProp(float learningRate = 0.01f, float alpha = 0.99f, float epsilon = 1e-8f) : base(learningRate)
    {
        Alpha = InRange(alpha, 0f, 1f, nameof(alpha));
        Epsilon = epsilon > 0f && float.IsFinite(epsilon) ? epsilon : throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be positive.");
    }

    /// <summary>α, the decay of the running mean of g².</summary>
    public float Alpha { get; }

    /// <summary>ε.</summary>
    public float Epsilon { get; }

    /// <inheritdoc/>
    protected override void Allocate(int count) => _meanSquare = AlignedArrays.Allocate(count);

    /// <inheritdoc/>
    protected internal override bool UpdatesElementwise => true;

    /// <inheritdoc/>
    protected override void Update(Span<float> w, ReadOnlySpan<float> g, int offset, bool isWeight)
    {
        Span<float> v = _meanSquare.AsSpan(offset, w.Length);
        float lr = LearningRate, a = Alpha, eps = Epsilon;
        var vw = MemoryMarshal.Cast<float, Vector<float>>(w);
        var vg = MemoryMarshal.Cast<float, Vector<float>>(g);
        var vv = MemoryMarshal.Cast<float, Vector<float>>(v);
        int i = 0;
        for (int k = 0; k < vw.Length; k++, i += Vector<float>.Count)
        {
            vv[k] = a * vv[k] + (1f - a) * vg[k] * vg[k];
            vw[k] -= lr * vg[k] / (Vector.SquareRoot(vv[k]) + new Vector<float>(eps));
        }
        for (; i < w.Length; i++)
        {
            v[i] = a * v[i] + (1f - a) * g[i] * g[i];
            w[i] -= lr * g[i] / (MathF.Sqrt(v[i]) + eps);
        }
    }
}
