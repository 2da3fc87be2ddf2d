using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using StaticNets.Kernels;

namespace StaticNets;

/// <summary>
/// Stochastic gradient descent as PyTorch defines it: w ← w − lr·g, or with momentum μ a buffer b ← μ·b + g and
/// w ← w − lr·b (Nesterov: w ← w − lr·(g + μ·b)). The buffer sums gradients, not steps, so a new learning rate applies
/// from the next step on, to everything the buffer holds.
/// </summary>
public sealed class Sgd : Optimizer
{
    private ArraySegment<float> _buffer;

    /// <summary>Plain SGD, or with <paramref name="momentum"/> μ in [0, 1), optionally Nesterov's.</summary>
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
        if (Momentum > 0f) _buffer = AlignedArrays.Allocate(count);
    }

    /// <inheritdoc/>
    protected internal override bool UpdatesElementwise => true;

    /// <inheritdoc/>
    protected override void Update(Span<float> w, ReadOnlySpan<float> g, int offset, bool isWeight) =>
        UpdateAndKeep(w, g, PreviousValues(offset, w.Length), offset, isWeight, LearningRate, Steps);

    private protected override bool UpdateAndKeep(Span<float> w, ReadOnlySpan<float> g, Span<float> previous, int offset, bool isWeight, float learningRate, long step) =>
        Momentum == 0f
            ? ElementwiseUpdate.Run(w, g, previous, new Plain(g, learningRate))
            : ElementwiseUpdate.Run(w, g, previous, new Buffered(g, _buffer.AsSpan(offset, w.Length), learningRate, Momentum, Nesterov));

    private readonly ref struct Plain(ReadOnlySpan<float> g, float lr) : IElementwiseUpdate
    {
        private readonly ref float _g = ref MemoryMarshal.GetReference(g);
        private readonly int _length = g.Length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Run<TV>(int start, ref ParameterTarget target) where TV : struct, ISimd<TV>
        {
            TV rate = TV.Broadcast(lr);
            TV check = TV.Zero;
            int i = start;
            for (; i + TV.Count <= _length; i += TV.Count)
            {
                nuint at = (nuint)i;
                // w − lr·g
                TV wi = target.Load<TV>(at);
                target.Write(wi, TV.Subtract(wi, TV.Multiply(rate, TV.Load(ref _g, at))), at, ref check);
            }
            target.Finish(check);
            return i;
        }
    }

    private readonly ref struct Buffered(ReadOnlySpan<float> g, Span<float> b, float lr, float mu, bool nesterov) : IElementwiseUpdate
    {
        private readonly ref float _b = ref MemoryMarshal.GetReference(b);
        private readonly ref float _g = ref MemoryMarshal.GetReference(g);
        private readonly int _length = g.Length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Run<TV>(int start, ref ParameterTarget target) where TV : struct, ISimd<TV>
        {
            TV rate = TV.Broadcast(lr), momentum = TV.Broadcast(mu);
            TV check = TV.Zero;
            int i = start;
            for (; i + TV.Count <= _length; i += TV.Count)
            {
                nuint at = (nuint)i;
                // b ← μ·b + g; w − lr·b, or with Nesterov w − lr·(g + μ·b)
                TV gi = TV.Load(ref _g, at);
                TV bi = TV.Add(TV.Multiply(momentum, TV.Load(ref _b, at)), gi);
                TV.Store(bi, ref _b, at);
                TV direction = nesterov ? TV.Add(gi, TV.Multiply(momentum, bi)) : bi;
                TV wi = target.Load<TV>(at);
                target.Write(wi, TV.Subtract(wi, TV.Multiply(rate, direction)), at, ref check);
            }
            target.Finish(check);
            return i;
        }
    }
}
