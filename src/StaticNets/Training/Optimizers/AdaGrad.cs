using System.Numerics;
using System.Runtime.InteropServices;

namespace StaticNets;

/// <summary>AdaGrad: c ← c + g²; w ← w − lr·g/(√c + ε). PyTorch's defaults.</summary>
public sealed class AdaGrad(float learningRate = 0.01f, float epsilon = 1e-10f) : Optimizer(learningRate)
{
    private ArraySegment<float> _sum;

    /// <summary>ε.</summary>
    public float Epsilon { get; } = epsilon > 0f && float.IsFinite(epsilon) ? epsilon : throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be positive.");

    /// <inheritdoc/>
    protected override void Allocate(int count) => _sum = AlignedArrays.Allocate(count);

    /// <inheritdoc/>
    protected internal override bool UpdatesElementwise => true;

    /// <inheritdoc/>
    protected override void Update(Span<float> w, ReadOnlySpan<float> g, int offset, bool isWeight)
    {
        Span<float> c = _sum.AsSpan(offset, w.Length);
        float lr = LearningRate, eps = Epsilon;
        var vw = MemoryMarshal.Cast<float, Vector<float>>(w);
        var vg = MemoryMarshal.Cast<float, Vector<float>>(g);
        var vc = MemoryMarshal.Cast<float, Vector<float>>(c);
        int i = 0;
        for (int k = 0; k < vw.Length; k++, i += Vector<float>.Count)
        {
            vc[k] += vg[k] * vg[k];
            vw[k] -= lr * vg[k] / (Vector.SquareRoot(vc[k]) + new Vector<float>(eps));
        }
        for (; i < w.Length; i++)
        {
            c[i] += g[i] * g[i];
            w[i] -= lr * g[i] / (MathF.Sqrt(c[i]) + eps);
        }
    }
}
