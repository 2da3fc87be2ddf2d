using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using X86 = System.Runtime.Intrinsics.X86;

namespace StaticNets.Kernels;

/// <summary>
/// <see cref="Simd128"/> for weights known to be pinned and 16-byte aligned, on x64 without AVX (what a default
/// NativeAOT publish targets). The legacy SSE encoding folds a load into <c>mulps</c> only when it is aligned, so
/// <see cref="MultiplyAddLoad"/> loads aligned: a third fewer instructions in the packed kernels' inner loops, which
/// without FMA are bound by instructions. Everything else is <see cref="Simd128"/>. A misaligned address faults, so
/// only <see cref="PackedDenseKernels"/> uses this, after pinning the weights and checking their address.
/// </summary>
internal readonly struct Simd128Aligned : ISimd<Simd128Aligned>
{
    // A Vector128 directly, not a Simd128: a struct inside a struct is not kept in registers as reliably.
    private readonly Vector128<float> _v;
    private Simd128Aligned(Vector128<float> v) => _v = v;
    private Simd128Aligned(Simd128 v) => _v = v;

    /// <summary>Whether aligned loads fold where unaligned ones do not: SSE without the VEX encoding.</summary>
    public static bool Helps
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => X86.Sse.IsSupported && !X86.Avx.IsSupported;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Simd128Aligned MultiplyAddLoad(Simd128Aligned a, ref float source, nuint index, Simd128Aligned c)
    {
        if (!Helps) return new(Simd128.MultiplyAddLoad(a._v, ref source, index, c._v));
        Vector128<float> weights = X86.Sse.LoadAlignedVector128((float*)Unsafe.AsPointer(ref Unsafe.Add(ref source, index)));
        return new(X86.Sse.Add(X86.Sse.Multiply(a._v, weights), c._v));
    }

    public static int Count => Simd128.Count;
    public static Simd128Aligned Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128Aligned Load(ref float source, nuint index) => new(Simd128.Load(ref source, index));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Simd128Aligned value, ref float destination, nuint index) => Simd128.Store(value._v, ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128Aligned Broadcast(float value) => new(Simd128.Broadcast(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128Aligned MultiplyAdd(Simd128Aligned a, Simd128Aligned b, Simd128Aligned c) => new(Simd128.MultiplyAdd(a._v, b._v, c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128Aligned Add(Simd128Aligned a, Simd128Aligned b) => new(Simd128.Add(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128Aligned Subtract(Simd128Aligned a, Simd128Aligned b) => new(Simd128.Subtract(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128Aligned Multiply(Simd128Aligned a, Simd128Aligned b) => new(Simd128.Multiply(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128Aligned Divide(Simd128Aligned a, Simd128Aligned b) => new(Simd128.Divide(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128Aligned Sqrt(Simd128Aligned value) => new(Simd128.Sqrt(value._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128Aligned ZeroBelow(Simd128Aligned x, Simd128Aligned min) => new(Simd128.ZeroBelow(x._v, min._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128Aligned SelectPositive(Simd128Aligned z, Simd128Aligned ifPositive, Simd128Aligned otherwise) => new(Simd128.SelectPositive(z._v, ifPositive._v, otherwise._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Simd128Aligned value) => Simd128.Sum(value._v);
    public static Simd128Aligned ForwardLanes<TAct>(Simd128Aligned z, TAct activation) where TAct : struct, IActivation => new(Simd128.ForwardLanes(z._v, activation));
    public static Simd128Aligned DerivativeLanes<TAct>(Simd128Aligned z, Simd128Aligned a, TAct activation) where TAct : struct, IActivation => new(Simd128.DerivativeLanes(z._v, a._v, activation));
}
