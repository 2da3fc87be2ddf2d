using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace StaticNets.Kernels;

/// <summary>
/// BatchNorm training forward and backward four features at a time, in double lanes. Each lane runs the
/// scalar code's arithmetic in the scalar code's order (sums over the rows from the first, products and
/// sums rounded separately, no fused multiply-add), so the results are bit-identical to
/// <see cref="NormalizationKernels"/>' scalar loops, which finish the features left over.
/// </summary>
internal static class BatchNormColumns
{
    public const int Width = 4;

    public static bool IsAccelerated => Avx.IsSupported;

    /// <summary>Training forward for features [0, returned count); the caller does the rest.</summary>
    public static int Train<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> runningMean, Span<float> runningVariance, Span<float> xhat, Span<float> invStd, Span<float> y, Span<float> a,
        int batch, int n, float momentum, float epsilon, TAct activation) where TAct : struct, IActivation
    {
        ref float xr = ref MemoryMarshal.GetReference(x), hr = ref MemoryMarshal.GetReference(xhat);
        ref float yr = ref MemoryMarshal.GetReference(y), ar = ref MemoryMarshal.GetReference(a);
        bool keepY = !y.IsEmpty;
        var rows = Vector256.Create((double)batch);
        int j = 0;
        for (; j + Width <= n; j += Width)
        {
            Vector256<double> sum = Vector256<double>.Zero;
            for (int r = 0; r < batch; r++) sum += Load(ref xr, r * n + j);
            Vector256<double> mean = sum / rows;
            Vector256<double> squares = Vector256<double>.Zero;
            for (int r = 0; r < batch; r++)
            {
                Vector256<double> d = Load(ref xr, r * n + j) - mean;
                squares += d * d;
            }
            Vector256<double> inv = Vector256.Create(1.0) / Vector256.Sqrt(squares / rows + Vector256.Create((double)epsilon));
            Avx.ConvertToVector128Single(inv).StoreUnsafe(ref MemoryMarshal.GetReference(invStd), (nuint)j);
            for (int k = 0; k < Width; k++)
            {
                runningMean[j + k] = (float)((1 - momentum) * runningMean[j + k] + momentum * mean.GetElement(k));
                runningVariance[j + k] = (float)((1 - momentum) * runningVariance[j + k] + momentum * (squares.GetElement(k) / (batch - 1)));
            }
            Vector128<float> g = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(gamma), (nuint)j);
            Vector128<float> b = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(beta), (nuint)j);
            for (int r = 0; r < batch; r++)
            {
                nuint i = (nuint)(r * n + j);
                Vector128<float> h = Avx.ConvertToVector128Single((Load(ref xr, (int)i) - mean) * inv);
                h.StoreUnsafe(ref hr, i);
                Vector128<float> v = g * h + b;
                if (keepY) v.StoreUnsafe(ref yr, i);
                Activate(v, ref Unsafe.Add(ref ar, i), activation);
            }
        }
        return j;
    }

    /// <summary>Backward through the batch statistics for features [0, returned count).</summary>
    public static int Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, ReadOnlySpan<float> invStd, ReadOnlySpan<float> gamma,
        Span<float> dGamma, Span<float> dBeta, Span<float> dx, int batch, int n)
    {
        ref float dyr = ref MemoryMarshal.GetReference(dy), hr = ref MemoryMarshal.GetReference(xhat), dxr = ref MemoryMarshal.GetReference(dx);
        ref float dg = ref MemoryMarshal.GetReference(dGamma), db = ref MemoryMarshal.GetReference(dBeta);
        var rows = Vector256.Create((double)batch);
        int j = 0;
        for (; j + Width <= n; j += Width)
        {
            Vector256<double> sumDy = Vector256<double>.Zero, sumDyXhat = Vector256<double>.Zero;
            for (int r = 0; r < batch; r++)
            {
                Vector256<double> d = Load(ref dyr, r * n + j);
                sumDy += d;
                sumDyXhat += d * Load(ref hr, r * n + j);
            }
            (Vector128.LoadUnsafe(ref dg, (nuint)j) + Avx.ConvertToVector128Single(sumDyXhat)).StoreUnsafe(ref dg, (nuint)j);
            (Vector128.LoadUnsafe(ref db, (nuint)j) + Avx.ConvertToVector128Single(sumDy)).StoreUnsafe(ref db, (nuint)j);
            Vector256<double> meanDy = sumDy / rows, meanDyXhat = sumDyXhat / rows;
            Vector256<double> scale = Load(ref MemoryMarshal.GetReference(gamma), j) * Load(ref MemoryMarshal.GetReference(invStd), j);
            for (int r = 0; r < batch; r++)
            {
                int i = r * n + j;
                Avx.ConvertToVector128Single(scale * (Load(ref dyr, i) - meanDy - Load(ref hr, i) * meanDyXhat)).StoreUnsafe(ref dxr, (nuint)i);
            }
        }
        return j;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Load(ref float source, int index) => Avx.ConvertToVector256Double(Vector128.LoadUnsafe(ref source, (nuint)index));

    // Identity and the rectifiers on the vector; other activations value by value.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Activate<TAct>(Vector128<float> v, ref float destination, TAct activation) where TAct : struct, IActivation
    {
        if (typeof(TAct) == typeof(Identity))
            v.StoreUnsafe(ref destination);
        else if (Rectifiers.Is<TAct>())
        {
            // The select of Rectifiers.Forward on four lanes (ISimd has no 128-bit width).
            Vector128<float> otherwise = typeof(TAct) == typeof(ReLU) ? Vector128<float>.Zero : v * Rectifiers.NegativeSlope(activation);
            Vector128.ConditionalSelect(Vector128.GreaterThan(v, Vector128<float>.Zero), v, otherwise).StoreUnsafe(ref destination);
        }
        else
            for (int k = 0; k < Width; k++)
                Unsafe.Add(ref destination, k) = activation.Forward(v.GetElement(k));
    }
}
