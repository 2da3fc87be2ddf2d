using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace StaticNets.Kernels;

// PReLU and channel dropout over the channels of NCHW images: one slope or one mask value per channel, over its plane.
public static partial class ElementwiseKernels
{
    /// <summary>a = x for x &gt; 0, α[c]·x otherwise, one learnable slope per channel (PyTorch's PReLU(num_parameters = C)).</summary>
    public static void PReLUForwardChannels(ReadOnlySpan<float> x, ReadOnlySpan<float> alpha, Span<float> a, int batch, int channels, int plane)
    {
        Check(x.Length, a.Length, batch * channels * plane);
        if (alpha.Length != channels) throw new ArgumentException($"alpha has {alpha.Length} slopes for {channels} channels.", nameof(alpha));
        for (int q = 0; q < batch * channels; q++)
            VectorLoop.Run(new PReLUPlane(x.Slice(q * plane, plane), alpha[q % channels], a.Slice(q * plane, plane)));
    }

    private readonly ref struct PReLUPlane(ReadOnlySpan<float> x, float alpha, Span<float> a) : IVectorLoop
    {
        private readonly ref float _x = ref MemoryMarshal.GetReference(x), _a = ref MemoryMarshal.GetReference(a);
        private readonly int _length = x.Length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Run<TV>(int start) where TV : struct, ISimd<TV>
        {
            TV slope = TV.Broadcast(alpha);
            int j = start;
            for (; j + TV.Count <= _length; j += TV.Count)
            {
                TV v = TV.Load(ref _x, (nuint)j);
                TV.Store(TV.SelectPositive(v, v, TV.Multiply(slope, v)), ref _a, (nuint)j);
            }
            return j;
        }
    }

    /// <summary>dx = da where x &gt; 0, α[c]·da otherwise; dα[c] += Σ over x ≤ 0 of da·x, over the batch and the plane.</summary>
    public static void PReLUBackwardChannels(ReadOnlySpan<float> x, ReadOnlySpan<float> alpha, ReadOnlySpan<float> da, Span<float> dx, Span<float> dAlpha,
        int batch, int channels, int plane)
    {
        Check(x.Length, dx.Length, batch * channels * plane);
        Check(da.Length, da.Length, batch * channels * plane);
        for (int c = 0; c < channels; c++)
        {
            double slope = 0;
            for (int r = 0; r < batch; r++)
            {
                int at = (r * channels + c) * plane;
                for (int i = at; i < at + plane; i++)
                {
                    float v = x[i];
                    if (v > 0f)
                        dx[i] = da[i];
                    else
                    {
                        dx[i] = alpha[c] * da[i];
                        slope += (double)da[i] * v;
                    }
                }
            }
            dAlpha[c] += (float)slope;
        }
    }

    /// <summary>
    /// Channel dropout: one mask value per sample and channel (0, or 1/(1 − rate) with probability 1 − rate), written to
    /// <paramref name="mask"/> for backward; each plane is multiplied by its channel's value.
    /// </summary>
    public static void SpatialDropoutForward(ReadOnlySpan<float> x, Span<float> mask, Span<float> a, int batch, int channels, int plane, float rate, Rng rng)
    {
        Check(x.Length, a.Length, batch * channels * plane);
        Check(mask.Length, mask.Length, batch * channels);
        rng.FillDropoutMask(mask, rate, 1f / (1f - rate));
        for (int q = 0; q < batch * channels; q++)
            System.Numerics.Tensors.TensorPrimitives.Multiply(x.Slice(q * plane, plane), mask[q], a.Slice(q * plane, plane));
    }

    /// <summary>dx = da times its channel's mask value.</summary>
    public static void SpatialDropoutBackward(ReadOnlySpan<float> da, ReadOnlySpan<float> mask, Span<float> dx, int batch, int channels, int plane)
    {
        Check(da.Length, dx.Length, batch * channels * plane);
        Check(mask.Length, mask.Length, batch * channels);
        for (int q = 0; q < batch * channels; q++)
            System.Numerics.Tensors.TensorPrimitives.Multiply(da.Slice(q * plane, plane), mask[q], dx.Slice(q * plane, plane));
    }
}
