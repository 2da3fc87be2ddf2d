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
    protected override void Update(Span<float> w, ReadOnlySpan<float> g, int offset, bool isWeight)
    {
        ElementwiseUpdate.Run(w, g, new Sums(w, g, _sum.AsSpan(offset, w.Length), LearningRate, Epsilon));
    }

    private readonly ref struct Sums(Span<float> w, ReadOnlySpan<float> g, Span<float> c, float lr, float eps) : IElementwiseUpdate
    {
        private readonly ref float _w = ref MemoryMarshal.GetReference(w), _c = ref MemoryMarshal.GetReference(c);
        private readonly ref float _g = ref MemoryMarshal.GetReference(g);
        private readonly int _length = w.Length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Run<TV>(int start) where TV : struct, ISimd<TV>
        {
            TV rate = TV.Broadcast(lr), epsilon = TV.Broadcast(eps);
            int i = start;
            for (; i + TV.Count <= _length; i += TV.Count)
            {
                nuint at = (nuint)i;
                TV gi = TV.Load(ref _g, at), ci = TV.Add(TV.Load(ref _c, at), TV.Multiply(gi, gi));
                TV.Store(ci, ref _c, at);
                // w − lr·g / (√c + ε)
                TV.Store(TV.Subtract(TV.Load(ref _w, at), TV.Divide(TV.Multiply(rate, gi), TV.Add(TV.Sqrt(ci), epsilon))), ref _w, at);
            }
            return i;
        }
    }
}
