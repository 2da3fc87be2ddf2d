using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace StaticNets.Kernels;

/// <summary>
/// BatchNorm and LayerNorm over row-major [batch, n] spans, with the activation that follows them
/// fused into the normalization loop. Statistics accumulate in double.
/// </summary>
public static partial class NormalizationKernels
{
    /// <summary>
    /// Training-mode BatchNorm: normalizes each feature with the batch mean and biased variance,
    /// y = γ·x̂ + β, a = f(y); keeps x̂ and 1/σ for backward and updates the running statistics as
    /// PyTorch does: r ← (1 − m)·r + m·batch value, with the unbiased variance for the running one.
    /// <paramref name="y"/> may be empty when the activation is the identity.
    /// </summary>
    public static void BatchNormTrain<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> runningMean, Span<float> runningVariance, Span<float> xhat, Span<float> invStd, Span<float> y, Span<float> a,
        int batch, int n, float momentum, float epsilon, TAct activation) where TAct : struct, IActivation
    {
        if (batch < 2)
            throw new ArgumentOutOfRangeException(nameof(batch), batch,
                "BatchNorm needs at least 2 samples per training batch: the variance of one sample is 0 and its normalized value undefined. Use a larger batch, or LayerNorm for single samples.");
        CheckRows(x.Length, xhat.Length, a.Length, batch * n);
        if (gamma.Length != n || beta.Length != n || runningMean.Length != n || runningVariance.Length != n || invStd.Length != n)
            throw new ArgumentException($"BatchNorm over {n} features needs γ, β, running statistics and 1/σ of {n} values each.");
        bool keepY = !y.IsEmpty;
        int done = BatchNormColumns.IsAccelerated
            ? BatchNormColumns.Train(x, gamma, beta, runningMean, runningVariance, xhat, invStd, y, a, batch, n, momentum, epsilon, activation) : 0;
        for (int j = done; j < n; j++)
        {
            double sum = 0;
            for (int r = 0; r < batch; r++) sum += x[r * n + j];
            double mean = sum / batch;
            double squares = 0;
            for (int r = 0; r < batch; r++) { double d = x[r * n + j] - mean; squares += d * d; }
            double variance = squares / batch;
            double inv = 1.0 / Math.Sqrt(variance + epsilon);
            invStd[j] = (float)inv;
            BatchNormColumns.UpdateRunning(runningMean, runningVariance, j, mean, squares, batch, momentum);
            float g = gamma[j], b = beta[j];
            for (int r = 0; r < batch; r++)
            {
                int i = r * n + j;
                // In double: x − mean cancels when the batch barely varies, and backward inherits x̂'s error.
                float h = (float)((x[i] - mean) * inv);
                xhat[i] = h;
                float v = g * h + b;
                if (keepY) y[i] = v;
                a[i] = activation.Forward(v);
            }
        }
    }

    /// <summary>
    /// BatchNorm backward through the batch statistics (the full gradient, not the frozen-statistics
    /// shortcut): dγ = Σ dy·x̂, dβ = Σ dy, dx = γ/σ·(dy − mean(dy) − x̂·mean(dy·x̂)). Adds into dγ, dβ.
    /// </summary>
    public static void BatchNormBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, ReadOnlySpan<float> invStd, ReadOnlySpan<float> gamma,
        Span<float> dGamma, Span<float> dBeta, Span<float> dx, int batch, int n)
    {
        CheckRows(dy.Length, xhat.Length, dx.Length, batch * n);
        if (invStd.Length != n || gamma.Length != n || dGamma.Length != n || dBeta.Length != n)
            throw new ArgumentException($"BatchNorm backward over {n} features needs 1/σ, γ, dγ and dβ of {n} values each.");
        int done = BatchNormColumns.IsAccelerated ? BatchNormColumns.Backward(dy, xhat, invStd, gamma, dGamma, dBeta, dx, batch, n) : 0;
        for (int j = done; j < n; j++)
        {
            double sumDy = 0, sumDyXhat = 0;
            for (int r = 0; r < batch; r++)
            {
                int i = r * n + j;
                sumDy += dy[i];
                sumDyXhat += (double)dy[i] * xhat[i];
            }
            dGamma[j] += (float)sumDyXhat;
            dBeta[j] += (float)sumDy;
            // The three terms nearly cancel for small batches: combine them in double.
            double meanDy = sumDy / batch, meanDyXhat = sumDyXhat / batch;
            double scale = (double)gamma[j] * invStd[j];
            for (int r = 0; r < batch; r++)
            {
                int i = r * n + j;
                dx[i] = (float)(scale * (dy[i] - meanDy - xhat[i] * meanDyXhat));
            }
        }
    }

    /// <summary>Eval-mode BatchNorm as an affine map: scale = γ/√(var + ε), shift = β − mean·scale.</summary>
    public static void BatchNormAffine(ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> runningMean,
        ReadOnlySpan<float> runningVariance, float epsilon, Span<float> scale, Span<float> shift)
    {
        for (int j = 0; j < scale.Length; j++)
        {
            float s = (float)(gamma[j] / Math.Sqrt((double)runningVariance[j] + epsilon));
            scale[j] = s;
            shift[j] = beta[j] - runningMean[j] * s;
        }
    }

    /// <summary>
    /// Folds an eval-mode BatchNorm into the Dense before it: W' = s·W (row-wise), b' = s·(b − mean) + β
    /// with s = γ/√(var + ε). <paramref name="bias"/> may be empty (a Dense without bias).
    /// </summary>
    public static void FoldIntoDense(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVariance, float epsilon, Span<float> foldedWeights, Span<float> foldedBias, int inSize)
    {
        int rows = foldedBias.Length;
        for (int o = 0; o < rows; o++)
        {
            float s = (float)(gamma[o] / Math.Sqrt((double)runningVariance[o] + epsilon));
            TensorPrimitives.Multiply(weights.Slice(o * inSize, inSize), s, foldedWeights.Slice(o * inSize, inSize));
            float b = bias.IsEmpty ? 0f : bias[o];
            foldedBias[o] = s * (b - runningMean[o]) + beta[o];
        }
    }

    /// <summary>a = f(x·scale + shift) per feature (a product and a sum, rounded separately).</summary>
    public static void AffineForward<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, Span<float> a, int batch, int n, TAct activation)
        where TAct : struct, IActivation
    {
        CheckRows(x.Length, a.Length, a.Length, batch * n);
        if (scale.Length != n || shift.Length != n)
            throw new ArgumentException($"scale and shift need {n} values each; got {scale.Length} and {shift.Length}.");
        for (int r = 0; r < batch; r++)
            VectorLoop.Run(new AffineRow<TAct>(x.Slice(r * n, n), scale, shift, a.Slice(r * n, n), activation));
    }

    private readonly ref struct AffineRow<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, Span<float> a, TAct activation) : IVectorLoop
        where TAct : struct, IActivation
    {
        private readonly ref float _x = ref MemoryMarshal.GetReference(x), _scale = ref MemoryMarshal.GetReference(scale);
        private readonly ref float _shift = ref MemoryMarshal.GetReference(shift), _a = ref MemoryMarshal.GetReference(a);
        private readonly int _length = x.Length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Run<TV>(int start) where TV : struct, ISimd<TV>
        {
            int j = start;
            for (; j + TV.Count <= _length; j += TV.Count)
            {
                nuint at = (nuint)j;
                TV v = TV.Add(TV.Multiply(TV.Load(ref _x, at), TV.Load(ref _scale, at)), TV.Load(ref _shift, at));
                TV.Store(activation.Forward(v), ref _a, at);
            }
            return j;
        }
    }

    /// <summary>
    /// LayerNorm: each sample normalized over its n features (biased variance), y = γ·x̂ + β, a = f(y);
    /// the same at training and inference. Keeps x̂ and 1/σ per sample when they are not empty.
    /// </summary>
    public static void LayerNorm<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> xhat, Span<float> invStd, Span<float> y, Span<float> a, int batch, int n, float epsilon, TAct activation)
        where TAct : struct, IActivation
    {
        CheckRows(x.Length, a.Length, a.Length, batch * n);
        bool keep = !xhat.IsEmpty, keepY = !y.IsEmpty;
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<float> row = x.Slice(r * n, n);
            double sum = 0;
            for (int j = 0; j < n; j++) sum += row[j];
            double mean = sum / n, squares = 0;
            for (int j = 0; j < n; j++) { double d = row[j] - mean; squares += d * d; }
            double inv = 1.0 / Math.Sqrt(squares / n + epsilon);
            if (keep) invStd[r] = (float)inv;
            for (int j = 0; j < n; j++)
            {
                float h = (float)((row[j] - mean) * inv);
                if (keep) xhat[r * n + j] = h;
                float v = gamma[j] * h + beta[j];
                if (keepY) y[r * n + j] = v;
                a[r * n + j] = activation.Forward(v);
            }
        }
    }

    /// <summary>
    /// LayerNorm backward: dγ += Σ dy·x̂, dβ += Σ dy over samples; per sample with g = dy·γ:
    /// dx = (1/σ)·(g − mean(g) − x̂·mean(g·x̂)).
    /// </summary>
    public static void LayerNormBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, ReadOnlySpan<float> invStd, ReadOnlySpan<float> gamma,
        Span<float> dGamma, Span<float> dBeta, Span<float> dx, int batch, int n)
    {
        CheckRows(dy.Length, xhat.Length, dx.Length, batch * n);
        for (int r = 0; r < batch; r++)
        {
            double sumG = 0, sumGXhat = 0;
            for (int j = 0; j < n; j++)
            {
                int i = r * n + j;
                double g = (double)dy[i] * gamma[j];
                sumG += g;
                sumGXhat += g * xhat[i];
                dGamma[j] += dy[i] * xhat[i];
                dBeta[j] += dy[i];
            }
            double meanG = sumG / n, meanGXhat = sumGXhat / n, inv = invStd[r];
            for (int j = 0; j < n; j++)
            {
                int i = r * n + j;
                dx[i] = (float)(inv * ((double)dy[i] * gamma[j] - meanG - xhat[i] * meanGXhat));
            }
        }
    }

    private static void CheckRows(int a, int b, int c, int expected)
    {
        if (a != expected || b != expected || c != expected)
            throw new ArgumentException($"normalization buffers must hold batch × features = {expected} values; got {a}, {b} and {c}.");
    }
}
