using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace StaticNets.Kernels;

/// <summary>
/// BatchNorm training forward and backward eight features at a time, in two groups of four double lanes. Each
/// lane runs the scalar code's arithmetic in the scalar code's order (sums over the rows from the first, products
/// and sums rounded separately, no fused multiply-add), so the results are bit-identical to
/// <see cref="NormalizationKernels"/>' scalar loops, which finish the features left over.
/// </summary>
// Two groups, not one: the sums over the rows are chains of dependent adds, and a second independent chain fills the
// adder's latency. Four doubles are one AVX register, or two 128-bit ones (SSE on any x64, AdvSimd on ARM64).
internal static class BatchNormColumns
{
    public const int Width = 8;

    public static bool IsAccelerated => Vector128.IsHardwareAccelerated;

    /// <summary>Training forward for features [0, returned count); the caller does the rest.</summary>
    public static int Train<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> runningMean, Span<float> runningVariance, Span<float> xhat, Span<float> invStd, Span<float> y, Span<float> a,
        int batch, int n, float momentum, float epsilon, TAct activation) where TAct : struct, IActivation =>
        Avx.IsSupported
            ? Train<TAct, Avx4>(x, gamma, beta, runningMean, runningVariance, xhat, invStd, y, a, batch, n, momentum, epsilon, activation)
            : Train<TAct, Pair4>(x, gamma, beta, runningMean, runningVariance, xhat, invStd, y, a, batch, n, momentum, epsilon, activation);

    /// <summary>Backward through the batch statistics for features [0, returned count).</summary>
    public static int Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, ReadOnlySpan<float> invStd, ReadOnlySpan<float> gamma,
        Span<float> dGamma, Span<float> dBeta, Span<float> dx, int batch, int n) =>
        Avx.IsSupported
            ? Backward<Avx4>(dy, xhat, invStd, gamma, dGamma, dBeta, dx, batch, n)
            : Backward<Pair4>(dy, xhat, invStd, gamma, dGamma, dBeta, dx, batch, n);

    private static int Train<TAct, TD>(ReadOnlySpan<float> x, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> runningMean, Span<float> runningVariance, Span<float> xhat, Span<float> invStd, Span<float> y, Span<float> a,
        int batch, int n, float momentum, float epsilon, TAct activation) where TAct : struct, IActivation where TD : struct, IDouble4<TD>
    {
        ref float xr = ref MemoryMarshal.GetReference(x), hr = ref MemoryMarshal.GetReference(xhat);
        ref float yr = ref MemoryMarshal.GetReference(y), ar = ref MemoryMarshal.GetReference(a);
        bool keepY = !y.IsEmpty;
        TD rows = TD.Broadcast(batch), eps = TD.Broadcast(epsilon), one = TD.Broadcast(1.0);
        int j = 0;
        for (; j + Width <= n; j += Width)
        {
            TD sum0 = TD.Zero, sum1 = sum0;
            for (int r = 0; r < batch; r++)
            {
                sum0 = TD.Add(sum0, TD.Load(ref xr, r * n + j));
                sum1 = TD.Add(sum1, TD.Load(ref xr, r * n + j + 4));
            }
            TD mean0 = TD.Divide(sum0, rows), mean1 = TD.Divide(sum1, rows);
            TD squares0 = TD.Zero, squares1 = squares0;
            for (int r = 0; r < batch; r++)
            {
                TD d0 = TD.Subtract(TD.Load(ref xr, r * n + j), mean0), d1 = TD.Subtract(TD.Load(ref xr, r * n + j + 4), mean1);
                squares0 = TD.Add(squares0, TD.Multiply(d0, d0));
                squares1 = TD.Add(squares1, TD.Multiply(d1, d1));
            }
            TD inv0 = TD.Divide(one, TD.Sqrt(TD.Add(TD.Divide(squares0, rows), eps)));
            TD inv1 = TD.Divide(one, TD.Sqrt(TD.Add(TD.Divide(squares1, rows), eps)));
            ref float invAt = ref Unsafe.Add(ref MemoryMarshal.GetReference(invStd), j);
            TD.Narrow(inv0).StoreUnsafe(ref invAt);
            TD.Narrow(inv1).StoreUnsafe(ref invAt, 4);
            for (int k = 0; k < 4; k++)
            {
                UpdateRunning(runningMean, runningVariance, j + k, TD.Element(mean0, k), TD.Element(squares0, k), batch, momentum);
                UpdateRunning(runningMean, runningVariance, j + 4 + k, TD.Element(mean1, k), TD.Element(squares1, k), batch, momentum);
            }
            Vector128<float> g0 = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(gamma), (nuint)j), g1 = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(gamma), (nuint)j + 4);
            Vector128<float> b0 = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(beta), (nuint)j), b1 = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(beta), (nuint)j + 4);
            for (int r = 0; r < batch; r++)
            {
                int i = r * n + j;
                Normalize(ref xr, ref hr, ref yr, ref ar, i, mean0, inv0, g0, b0, keepY, activation);
                Normalize(ref xr, ref hr, ref yr, ref ar, i + 4, mean1, inv1, g1, b1, keepY, activation);
            }
        }
        return j;
    }

    // PyTorch's update: r ← (1 − m)·r + m·batch value, with the unbiased variance for the running one (the scalar
    // loops of NormalizationKernels call it too).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void UpdateRunning(Span<float> runningMean, Span<float> runningVariance, int j, double mean, double squares, int batch, float momentum)
    {
        runningMean[j] = (float)((1 - momentum) * runningMean[j] + momentum * mean);
        runningVariance[j] = (float)((1 - momentum) * runningVariance[j] + momentum * (squares / (batch - 1)));
    }

    // x̂ = (x − mean)·(1/σ) in double, y = γ·x̂ + β and a = f(y) in float, for the four features at i.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Normalize<TAct, TD>(ref float xr, ref float hr, ref float yr, ref float ar, int i, TD mean, TD inv,
        Vector128<float> gamma, Vector128<float> beta, bool keepY, TAct activation) where TAct : struct, IActivation where TD : struct, IDouble4<TD>
    {
        Vector128<float> h = TD.Narrow(TD.Multiply(TD.Subtract(TD.Load(ref xr, i), mean), inv));
        h.StoreUnsafe(ref hr, (nuint)i);
        Vector128<float> v = gamma * h + beta;
        if (keepY) v.StoreUnsafe(ref yr, (nuint)i);
        Simd128.Store(activation.Forward<Simd128>(v), ref ar, (nuint)i);
    }

    private static int Backward<TD>(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, ReadOnlySpan<float> invStd, ReadOnlySpan<float> gamma,
        Span<float> dGamma, Span<float> dBeta, Span<float> dx, int batch, int n) where TD : struct, IDouble4<TD>
    {
        ref float dyr = ref MemoryMarshal.GetReference(dy), hr = ref MemoryMarshal.GetReference(xhat), dxr = ref MemoryMarshal.GetReference(dx);
        ref float dg = ref MemoryMarshal.GetReference(dGamma), db = ref MemoryMarshal.GetReference(dBeta);
        ref float gr = ref MemoryMarshal.GetReference(gamma), ir = ref MemoryMarshal.GetReference(invStd);
        TD rows = TD.Broadcast(batch);
        int j = 0;
        for (; j + Width <= n; j += Width)
        {
            TD sumDy0 = TD.Zero, sumDy1 = sumDy0, sumDyXhat0 = sumDy0, sumDyXhat1 = sumDy0;
            for (int r = 0; r < batch; r++)
            {
                int i = r * n + j;
                TD d0 = TD.Load(ref dyr, i), d1 = TD.Load(ref dyr, i + 4);
                sumDy0 = TD.Add(sumDy0, d0);
                sumDy1 = TD.Add(sumDy1, d1);
                sumDyXhat0 = TD.Add(sumDyXhat0, TD.Multiply(d0, TD.Load(ref hr, i)));
                sumDyXhat1 = TD.Add(sumDyXhat1, TD.Multiply(d1, TD.Load(ref hr, i + 4)));
            }
            AddTo<TD>(ref dg, j, sumDyXhat0);
            AddTo<TD>(ref dg, j + 4, sumDyXhat1);
            AddTo<TD>(ref db, j, sumDy0);
            AddTo<TD>(ref db, j + 4, sumDy1);
            TD meanDy0 = TD.Divide(sumDy0, rows), meanDyXhat0 = TD.Divide(sumDyXhat0, rows), scale0 = TD.Multiply(TD.Load(ref gr, j), TD.Load(ref ir, j));
            TD meanDy1 = TD.Divide(sumDy1, rows), meanDyXhat1 = TD.Divide(sumDyXhat1, rows), scale1 = TD.Multiply(TD.Load(ref gr, j + 4), TD.Load(ref ir, j + 4));
            for (int r = 0; r < batch; r++)
            {
                int i = r * n + j;
                TD.Narrow(TD.Multiply(scale0, TD.Subtract(TD.Subtract(TD.Load(ref dyr, i), meanDy0), TD.Multiply(TD.Load(ref hr, i), meanDyXhat0)))).StoreUnsafe(ref dxr, (nuint)i);
                TD.Narrow(TD.Multiply(scale1, TD.Subtract(TD.Subtract(TD.Load(ref dyr, i + 4), meanDy1), TD.Multiply(TD.Load(ref hr, i + 4), meanDyXhat1)))).StoreUnsafe(ref dxr, (nuint)i + 4);
            }
        }
        return j;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo<TD>(ref float destination, int j, TD sum) where TD : struct, IDouble4<TD> =>
        (Vector128.LoadUnsafe(ref destination, (nuint)j) + TD.Narrow(sum)).StoreUnsafe(ref destination, (nuint)j);

    /// <summary>Four doubles, widened from four floats and narrowed back: the lanes BatchNorm's statistics run in.</summary>
    private interface IDouble4<TSelf> where TSelf : struct, IDouble4<TSelf>
    {
        static abstract TSelf Zero { get; }
        static abstract TSelf Broadcast(double value);
        static abstract TSelf Load(ref float source, int index);
        static abstract Vector128<float> Narrow(TSelf value);
        static abstract double Element(TSelf value, int index);
        static abstract TSelf Add(TSelf a, TSelf b);
        static abstract TSelf Subtract(TSelf a, TSelf b);
        static abstract TSelf Multiply(TSelf a, TSelf b);
        static abstract TSelf Divide(TSelf a, TSelf b);
        static abstract TSelf Sqrt(TSelf value);
    }

    /// <summary>One AVX register (AVX converts four floats to doubles and back in one instruction each).</summary>
    private readonly struct Avx4(Vector256<double> v) : IDouble4<Avx4>
    {
        private readonly Vector256<double> _v = v;
        public static Avx4 Zero => default;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Avx4 Broadcast(double value) => new(Vector256.Create(value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Avx4 Load(ref float source, int index) => new(Avx.ConvertToVector256Double(Vector128.LoadUnsafe(ref source, (nuint)index)));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Narrow(Avx4 value) => Avx.ConvertToVector128Single(value._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Element(Avx4 value, int index) => value._v.GetElement(index);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Avx4 Add(Avx4 a, Avx4 b) => new(a._v + b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Avx4 Subtract(Avx4 a, Avx4 b) => new(a._v - b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Avx4 Multiply(Avx4 a, Avx4 b) => new(a._v * b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Avx4 Divide(Avx4 a, Avx4 b) => new(a._v / b._v);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Avx4 Sqrt(Avx4 value) => new(Vector256.Sqrt(value._v));
    }

    /// <summary>Two 128-bit registers of two doubles each, through the portable Vector128 operations.</summary>
    private readonly struct Pair4(Vector128<double> low, Vector128<double> high) : IDouble4<Pair4>
    {
        private readonly Vector128<double> _low = low, _high = high;
        public static Pair4 Zero => default;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Pair4 Broadcast(double value) => new(Vector128.Create(value), Vector128.Create(value));
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Pair4 Load(ref float source, int index)
        {
            Vector128<float> v = Vector128.LoadUnsafe(ref source, (nuint)index);
            return new(Vector128.WidenLower(v), Vector128.WidenUpper(v));
        }
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Narrow(Pair4 value) => Vector128.Narrow(value._low, value._high);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static double Element(Pair4 value, int index) => index < 2 ? value._low.GetElement(index) : value._high.GetElement(index - 2);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Pair4 Add(Pair4 a, Pair4 b) => new(a._low + b._low, a._high + b._high);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Pair4 Subtract(Pair4 a, Pair4 b) => new(a._low - b._low, a._high - b._high);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Pair4 Multiply(Pair4 a, Pair4 b) => new(a._low * b._low, a._high * b._high);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Pair4 Divide(Pair4 a, Pair4 b) => new(a._low / b._low, a._high / b._high);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Pair4 Sqrt(Pair4 value) => new(Vector128.Sqrt(value._low), Vector128.Sqrt(value._high));
    }
}
