using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using StaticNets.Kernels;

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
    protected override void Update(Span<float> w, ReadOnlySpan<float> g, int offset, bool isWeight) =>
        UpdateAndKeep(w, g, PreviousValues(offset, w.Length), offset, isWeight, LearningRate, Steps);

    private protected override bool UpdateAndKeep(Span<float> w, ReadOnlySpan<float> g, Span<float> previous, int offset, bool isWeight, float learningRate, long step) =>
        ElementwiseUpdate.Run(w, g, previous, new Sums(g, _sum.AsSpan(offset, w.Length), learningRate, Epsilon));

    private readonly ref struct Sums(ReadOnlySpan<float> g, Span<float> c, float lr, float eps) : IElementwiseUpdate
    {
        private readonly ref float _c = ref MemoryMarshal.GetReference(c);
        private readonly ref float _g = ref MemoryMarshal.GetReference(g);
        private readonly int _length = g.Length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Run<TV>(int start, ref ParameterTarget target) where TV : struct, ISimd<TV>
        {
            TV rate = TV.Broadcast(lr), epsilon = TV.Broadcast(eps);
            TV check = TV.Zero;
            int i = start;
            for (; i + TV.Count <= _length; i += TV.Count)
            {
                nuint at = (nuint)i;
                TV gi = TV.Load(ref _g, at), ci = TV.Add(TV.Load(ref _c, at), TV.Multiply(gi, gi));
                TV.Store(ci, ref _c, at);
                // w − lr·g / (√c + ε)
                TV wi = target.Load<TV>(at);
                target.Write(wi, TV.Subtract(wi, TV.Divide(TV.Multiply(rate, gi), TV.Add(TV.Sqrt(ci), epsilon))), at, ref check);
            }
            target.Finish(check);
            return i;
        }
    }
}
