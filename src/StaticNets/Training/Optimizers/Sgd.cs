using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using StaticNets.Kernels;

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
        ElementwiseUpdate.Run(w, g, new Velocities(w, g, _velocity.AsSpan(offset, w.Length), lr, mu, Nesterov));
    }

    private readonly ref struct Velocities(Span<float> w, ReadOnlySpan<float> g, Span<float> v, float lr, float mu, bool nesterov) : IElementwiseUpdate
    {
        private readonly ref float _w = ref MemoryMarshal.GetReference(w), _v = ref MemoryMarshal.GetReference(v);
        private readonly ref float _g = ref MemoryMarshal.GetReference(g);
        private readonly int _length = w.Length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Run<TV>(int start) where TV : struct, ISimd<TV>
        {
            TV rate = TV.Broadcast(lr), momentum = TV.Broadcast(mu), back = TV.Broadcast(-mu), ahead = TV.Broadcast(1f + mu);
            int i = start;
            for (; i + TV.Count <= _length; i += TV.Count)
            {
                nuint at = (nuint)i;
                // v ← μ·v − lr·g; w += v, or with Nesterov w += −μ·v_previous + (1 + μ)·v
                TV previous = TV.Load(ref _v, at), next = TV.Subtract(TV.Multiply(momentum, previous), TV.Multiply(rate, TV.Load(ref _g, at)));
                TV.Store(next, ref _v, at);
                TV step = nesterov ? TV.Add(TV.Multiply(back, previous), TV.Multiply(ahead, next)) : next;
                TV.Store(TV.Add(TV.Load(ref _w, at), step), ref _w, at);
            }
            return i;
        }
    }
}
