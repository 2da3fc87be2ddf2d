using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using StaticNets.Kernels;

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
    protected override void Update(Span<float> w, ReadOnlySpan<float> g, int offset, bool isWeight) =>
        UpdateAndKeep(w, g, PreviousValues(offset, w.Length), offset, isWeight, LearningRate, Steps);

    private protected override bool UpdateAndKeep(Span<float> w, ReadOnlySpan<float> g, Span<float> previous, int offset, bool isWeight, float learningRate, long step) =>
        ElementwiseUpdate.Run(w, g, previous, new MeanSquares(g, _meanSquare.AsSpan(offset, w.Length), learningRate, Alpha, Epsilon));

    private readonly ref struct MeanSquares(ReadOnlySpan<float> g, Span<float> v, float lr, float a, float eps) : IElementwiseUpdate
    {
        private readonly ref float _v = ref MemoryMarshal.GetReference(v);
        private readonly ref float _g = ref MemoryMarshal.GetReference(g);
        private readonly int _length = g.Length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Run<TV>(int start, ref ParameterTarget target) where TV : struct, ISimd<TV>
        {
            TV rate = TV.Broadcast(lr), alpha = TV.Broadcast(a), rest = TV.Broadcast(1f - a), epsilon = TV.Broadcast(eps);
            TV check = TV.Zero;
            int i = start;
            for (; i + TV.Count <= _length; i += TV.Count)
            {
                nuint at = (nuint)i;
                // v ← α·v + (1 − α)·g·g; w − lr·g / (√v + ε)
                TV gi = TV.Load(ref _g, at);
                TV vi = TV.Add(TV.Multiply(alpha, TV.Load(ref _v, at)), TV.Multiply(TV.Multiply(rest, gi), gi));
                TV.Store(vi, ref _v, at);
                TV wi = target.Load<TV>(at);
                target.Write(wi, TV.Subtract(wi, TV.Divide(TV.Multiply(rate, gi), TV.Add(TV.Sqrt(vi), epsilon))), at, ref check);
            }
            target.Finish(check);
            return i;
        }
    }
}
