using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace StaticNets.Kernels;

// GroupNorm over NCHW samples: a group's channels are consecutive, so each (sample, group) is one contiguous run of
// channels × plane values, normalized with its own mean and biased variance; γ and β are per channel.
public static partial class NormalizationKernels
{
    /// <summary>
    /// GroupNorm: x̂ = (x − mean)/σ over each sample's group of channels/groups channels, y = γ[c]·x̂ + β[c], a = f(y).
    /// Keeps x̂ and 1/σ (one per sample and group) when they are not empty; <paramref name="y"/> may be empty.
    /// </summary>
    public static void GroupNorm<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, Span<float> xhat, Span<float> invStd,
        Span<float> y, Span<float> a, int batch, int channels, int plane, int groups, float epsilon, TAct activation) where TAct : struct, IActivation
    {
        CheckGroups(x.Length, a.Length, gamma.Length, beta.Length, batch, channels, plane, groups);
        bool keep = !xhat.IsEmpty, keepY = !y.IsEmpty;
        int perGroup = channels / groups, n = perGroup * plane;
        for (int q = 0; q < batch * groups; q++)
        {
            ReadOnlySpan<float> values = x.Slice(q * n, n);
            float mean = (float)((double)TensorPrimitives.Sum(values) / n);
            double inv = 1.0 / Math.Sqrt(SquaredDeviations(values, mean) / n + epsilon);
            if (keep) invStd[q] = (float)inv;
            for (int k = 0; k < perGroup; k++)
            {
                int c = q % groups * perGroup + k, at = q * n + k * plane;
                VectorLoop.Run(new NormalizePlane<TAct>(x.Slice(at, plane), mean, (float)inv, gamma[c], beta[c],
                    keep ? xhat.Slice(at, plane) : default, keepY ? y.Slice(at, plane) : default, a.Slice(at, plane), activation));
            }
        }
    }

    /// <summary>
    /// GroupNorm backward: dγ[c] += Σ dy·x̂, dβ[c] += Σ dy; per sample and group, with g = γ[c]·dy:
    /// dx = (1/σ)·(g − mean(g) − x̂·mean(g·x̂)).
    /// </summary>
    public static void GroupNormBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, ReadOnlySpan<float> invStd, ReadOnlySpan<float> gamma,
        Span<float> dGamma, Span<float> dBeta, Span<float> dx, int batch, int channels, int plane, int groups)
    {
        CheckGroups(dy.Length, dx.Length, gamma.Length, dGamma.Length, batch, channels, plane, groups);
        int perGroup = channels / groups, n = perGroup * plane;
        for (int q = 0; q < batch * groups; q++)
        {
            double sumG = 0, sumGXhat = 0;
            for (int k = 0; k < perGroup; k++)
            {
                int c = q % groups * perGroup + k, at = q * n + k * plane;
                double sumDy = TensorPrimitives.Sum(dy.Slice(at, plane)), sumDyXhat = TensorPrimitives.Dot(dy.Slice(at, plane), xhat.Slice(at, plane));
                dGamma[c] += (float)sumDyXhat;
                dBeta[c] += (float)sumDy;
                sumG += gamma[c] * sumDy;
                sumGXhat += gamma[c] * sumDyXhat;
            }
            float inv = invStd[q], meanG = (float)(sumG / n), meanGXhat = (float)(sumGXhat / n);
            for (int k = 0; k < perGroup; k++)
            {
                int c = q % groups * perGroup + k, at = q * n + k * plane;
                // dx = inv·γ·dy − inv·mean(g) − inv·mean(g·x̂)·x̂
                VectorLoop.Run(new GroupBackwardPlane(dy.Slice(at, plane), xhat.Slice(at, plane), dx.Slice(at, plane), inv * gamma[c], inv * meanG, inv * meanGXhat));
            }
        }
    }

    private static void CheckGroups(int input, int output, int gamma, int beta, int batch, int channels, int plane, int groups)
    {
        if (groups < 1 || channels % groups != 0)
            throw new ArgumentException($"{channels} channels do not split into {groups} groups of equal size.", nameof(groups));
        CheckRows(input, output, output, batch * channels * plane);
        if (gamma != channels || beta != channels)
            throw new ArgumentException($"GroupNorm over {channels} channels needs γ and β of {channels} values each; got {gamma} and {beta}.");
    }

    private readonly ref struct GroupBackwardPlane(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, Span<float> dx, float scale, float shift, float slope) : IVectorLoop
    {
        private readonly ref float _dy = ref MemoryMarshal.GetReference(dy), _xhat = ref MemoryMarshal.GetReference(xhat), _dx = ref MemoryMarshal.GetReference(dx);
        private readonly int _length = dy.Length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Run<TV>(int start) where TV : struct, ISimd<TV>
        {
            TV s = TV.Broadcast(scale), b = TV.Broadcast(shift), m = TV.Broadcast(slope);
            int i = start;
            for (; i + TV.Count <= _length; i += TV.Count)
            {
                nuint at = (nuint)i;
                TV v = TV.Subtract(TV.Subtract(TV.Multiply(s, TV.Load(ref _dy, at)), b), TV.Multiply(m, TV.Load(ref _xhat, at)));
                TV.Store(v, ref _dx, at);
            }
            return i;
        }
    }
}
