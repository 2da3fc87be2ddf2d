using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace StaticNets.Kernels;

// BatchNorm over the channels of NCHW images: each channel's statistics over the batch and its plane (PyTorch's
// BatchNorm2d). The planes are contiguous, so every pass runs in vectors; the sums of a channel accumulate per plane
// in float and across planes in double.
public static partial class NormalizationKernels
{
    /// <summary>
    /// Training-mode BatchNorm per channel: mean and biased variance over batch × plane values, y = γ·x̂ + β, a = f(y);
    /// keeps x̂ and 1/σ, and updates the running statistics with the unbiased variance, as PyTorch does.
    /// <paramref name="y"/> may be empty.
    /// </summary>
    public static void BatchNormTrainChannels<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> runningMean, Span<float> runningVariance, Span<float> xhat, Span<float> invStd, Span<float> y, Span<float> a,
        int batch, int channels, int plane, float momentum, float epsilon, TAct activation) where TAct : struct, IActivation
    {
        int count = batch * plane;
        if (count < 2)
            throw new ArgumentOutOfRangeException(nameof(batch), batch,
                "BatchNorm needs at least 2 values per channel in a training batch: the variance of one value is 0 and its normalized value undefined.");
        CheckRows(x.Length, xhat.Length, a.Length, batch * channels * plane);
        if (gamma.Length != channels || beta.Length != channels || runningMean.Length != channels || runningVariance.Length != channels || invStd.Length != channels)
            throw new ArgumentException($"BatchNorm over {channels} channels needs γ, β, running statistics and 1/σ of {channels} values each.");
        bool keepY = !y.IsEmpty;
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int r = 0; r < batch; r++) sum += TensorPrimitives.Sum(x.Slice((r * channels + c) * plane, plane));
            double mean = sum / count, squares = 0;
            for (int r = 0; r < batch; r++) squares += SquaredDeviations(x.Slice((r * channels + c) * plane, plane), (float)mean);
            double inv = 1.0 / Math.Sqrt(squares / count + epsilon);
            invStd[c] = (float)inv;
            BatchNormColumns.UpdateRunning(runningMean, runningVariance, c, mean, squares, count, momentum);
            for (int r = 0; r < batch; r++)
            {
                int at = (r * channels + c) * plane;
                VectorLoop.Run(new NormalizePlane<TAct>(x.Slice(at, plane), (float)mean, (float)inv, gamma[c], beta[c], xhat.Slice(at, plane),
                    keepY ? y.Slice(at, plane) : default, a.Slice(at, plane), activation));
            }
        }
    }

    /// <summary>
    /// BatchNorm backward per channel through the batch statistics: dγ += Σ dy·x̂, dβ += Σ dy over batch × plane,
    /// dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)).
    /// </summary>
    public static void BatchNormBackwardChannels(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, ReadOnlySpan<float> invStd, ReadOnlySpan<float> gamma,
        Span<float> dGamma, Span<float> dBeta, Span<float> dx, int batch, int channels, int plane)
    {
        CheckRows(dy.Length, xhat.Length, dx.Length, batch * channels * plane);
        if (invStd.Length != channels || gamma.Length != channels || dGamma.Length != channels || dBeta.Length != channels)
            throw new ArgumentException($"BatchNorm backward over {channels} channels needs 1/σ, γ, dγ and dβ of {channels} values each.");
        int count = batch * plane;
        for (int c = 0; c < channels; c++)
        {
            double sumDy = 0, sumDyXhat = 0;
            for (int r = 0; r < batch; r++)
            {
                int at = (r * channels + c) * plane;
                sumDy += TensorPrimitives.Sum(dy.Slice(at, plane));
                sumDyXhat += TensorPrimitives.Dot(dy.Slice(at, plane), xhat.Slice(at, plane));
            }
            dGamma[c] += (float)sumDyXhat;
            dBeta[c] += (float)sumDy;
            float scale = (float)(gamma[c] * (double)invStd[c]), meanDy = (float)(sumDy / count), meanDyXhat = (float)(sumDyXhat / count);
            for (int r = 0; r < batch; r++)
            {
                int at = (r * channels + c) * plane;
                VectorLoop.Run(new BackwardPlane(dy.Slice(at, plane), xhat.Slice(at, plane), dx.Slice(at, plane), scale, meanDy, meanDyXhat));
            }
        }
    }

    /// <summary>a = f(x·scale[c] + shift[c]) over each channel's plane (eval-mode BatchNorm of images).</summary>
    public static void AffineForwardChannels<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, Span<float> a,
        int batch, int channels, int plane, TAct activation) where TAct : struct, IActivation
    {
        CheckRows(x.Length, a.Length, a.Length, batch * channels * plane);
        if (scale.Length != channels || shift.Length != channels)
            throw new ArgumentException($"scale and shift need {channels} values each; got {scale.Length} and {shift.Length}.");
        for (int q = 0; q < batch * channels; q++)
        {
            int c = q % channels;
            VectorLoop.Run(new NormalizePlane<TAct>(x.Slice(q * plane, plane), 0f, scale[c], 1f, shift[c], default, default, a.Slice(q * plane, plane), activation));
        }
    }

    // Σ (x − mean)² over a plane, in vectors.
    private static double SquaredDeviations(ReadOnlySpan<float> x, float mean)
    {
        double total = 0;
        VectorLoop.Run(new Deviations(x, mean, ref total));
        return total;
    }

    private readonly ref struct Deviations(ReadOnlySpan<float> x, float mean, ref double total) : IVectorLoop
    {
        private readonly ref float _x = ref MemoryMarshal.GetReference(x);
        private readonly ref double _total = ref total;
        private readonly int _length = x.Length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Run<TV>(int start) where TV : struct, ISimd<TV>
        {
            TV m = TV.Broadcast(mean), s = TV.Zero;
            int i = start;
            for (; i + TV.Count <= _length; i += TV.Count)
            {
                TV d = TV.Subtract(TV.Load(ref _x, (nuint)i), m);
                s = TV.MultiplyAdd(d, d, s);
            }
            _total += TV.Sum(s);
            return i;
        }
    }

    // x̂ = (x − mean)·inv, v = γ·x̂ + β, a = f(v); x̂ and v kept where their spans are not empty.
    private readonly ref struct NormalizePlane<TAct>(ReadOnlySpan<float> x, float mean, float inv, float gamma, float beta,
        Span<float> xhat, Span<float> y, Span<float> a, TAct activation) : IVectorLoop where TAct : struct, IActivation
    {
        private readonly ref float _x = ref MemoryMarshal.GetReference(x), _xhat = ref MemoryMarshal.GetReference(xhat);
        private readonly ref float _y = ref MemoryMarshal.GetReference(y), _a = ref MemoryMarshal.GetReference(a);
        private readonly int _length = x.Length;
        private readonly bool _keepXhat = !xhat.IsEmpty, _keepY = !y.IsEmpty;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Run<TV>(int start) where TV : struct, ISimd<TV>
        {
            TV m = TV.Broadcast(mean), s = TV.Broadcast(inv), g = TV.Broadcast(gamma), b = TV.Broadcast(beta);
            int i = start;
            for (; i + TV.Count <= _length; i += TV.Count)
            {
                nuint at = (nuint)i;
                TV h = TV.Multiply(TV.Subtract(TV.Load(ref _x, at), m), s);
                if (_keepXhat) TV.Store(h, ref _xhat, at);
                TV v = TV.Add(TV.Multiply(g, h), b);
                if (_keepY) TV.Store(v, ref _y, at);
                TV.Store(activation.Forward(v), ref _a, at);
            }
            return i;
        }
    }

    // dx = scale·(dy − meanDy − x̂·meanDyXhat).
    private readonly ref struct BackwardPlane(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, Span<float> dx, float scale, float meanDy, float meanDyXhat) : IVectorLoop
    {
        private readonly ref float _dy = ref MemoryMarshal.GetReference(dy), _xhat = ref MemoryMarshal.GetReference(xhat), _dx = ref MemoryMarshal.GetReference(dx);
        private readonly int _length = dy.Length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Run<TV>(int start) where TV : struct, ISimd<TV>
        {
            TV s = TV.Broadcast(scale), md = TV.Broadcast(meanDy), mx = TV.Broadcast(meanDyXhat);
            int i = start;
            for (; i + TV.Count <= _length; i += TV.Count)
            {
                nuint at = (nuint)i;
                TV v = TV.Subtract(TV.Subtract(TV.Load(ref _dy, at), md), TV.Multiply(TV.Load(ref _xhat, at), mx));
                TV.Store(TV.Multiply(s, v), ref _dx, at);
            }
            return i;
        }
    }
}
