using System.Numerics;
using System.Runtime.InteropServices;

namespace StaticNets;

/// <summary>
/// Stochastic gradient descent, with optional momentum (the classical form: v ← μ·v − lr·g; w ← w + v)
/// and Nesterov momentum (v_prev ← v; v ← μ·v − lr·g; w ← w − μ·v_prev + (1 + μ)·v).
/// </summary>
public sealed class Sgd : Optimizer
{
    private ArraySegment<float> _velocity;

    /// <summary>Plain SGD (w ← w − lr·g), or with <paramref name="momentum"/> μ in [0, 1), optionally Nesterov's.</summary>
    public Sgd(float learningRate = 0.01f, float momentum = 0f, bool nesterov = false) : base(learningRate)
    {
        Momentum = InRange(momentum, 0f, 1f, nameof(momentum));
        if (nesterov && momentum == 0f)
            throw new ArgumentException("Nesterov momentum needs a momentum above 0.", nameof(nesterov));
        Nesterov = nesterov;
    }

    /// <summary>μ.</summary>
    public float Momentum { get; }

    /// <summary>Whether the Nesterov form is used.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    protected override void Allocate(int count)
    {
        if (Momentum > 0f) _velocity = AlignedArrays.Allocate(count);
    }

    /// <inheritdoc/>
    protected internal override bool UpdatesElementwise => true;

    /// <inheritdoc/>
    protected override void Update(Span<float> w, ReadOnlySpan<float> g, int offset, bool isWeight)
    {
        float lr = LearningRate, mu = Momentum;
        if (mu == 0f)
        {
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(g, -lr, w, w);
            return;
        }
        Span<float> v = _velocity.AsSpan(offset, w.Length);
        var vw = MemoryMarshal.Cast<float, Vector<float>>(w);
        var vg = MemoryMarshal.Cast<float, Vector<float>>(g);
        var vv = MemoryMarshal.Cast<float, Vector<float>>(v);
        int i = 0;
        for (int k = 0; k < vw.Length; k++, i += Vector<float>.Count)
        {
            Vector<float> previous = vv[k];
            Vector<float> next = mu * previous - lr * vg[k];
            vv[k] = next;
            vw[k] += Nesterov ? -mu * previous + (1f + mu) * next : next;
        }
        for (; i < w.Length; i++)
        {
            float previous = v[i], next = mu * previous - lr * g[i];
            v[i] = next;
            w[i] += Nesterov ? -mu * previous + (1f + mu) * next : next;
        }
    }
}
