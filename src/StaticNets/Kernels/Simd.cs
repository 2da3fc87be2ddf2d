using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Arm = System.Runtime.Intrinsics.Arm;
using X86 = System.Runtime.Intrinsics.X86;

namespace StaticNets.Kernels;

/// <summary>
/// The few vector operations the kernels, activations and the optimizers' updates need, over one width. Kernels are
/// generic over an implementing struct, so the JIT (or the AOT compiler) makes one specialized body per width: 512
/// bits where the hardware has them, 256, 128 (SSE on any x64, AdvSimd on ARM64), and one float for tails and
/// machines without SIMD. <see cref="Simd.Width"/> picks the widest one accelerated.
/// </summary>
internal interface ISimd<TSelf> where TSelf : struct, ISimd<TSelf>
{
    static abstract int Count { get; }
    static abstract TSelf Zero { get; }
    static abstract TSelf Load(ref float source, nuint index);
    static abstract void Store(TSelf value, ref float destination, nuint index);
    static abstract TSelf Broadcast(float value);
    /// <summary>a·b + c: fused (one rounding) where the hardware has fused multiply-add, else two roundings, the same at every width.</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);
    /// <summary>a·(the vector at source[index]) + c, with the load inside the expression so the JIT folds it into the FMA.</summary>
    static abstract TSelf MultiplyAddLoad(TSelf a, ref float source, nuint index, TSelf c);
    static abstract TSelf Add(TSelf a, TSelf b);
    static abstract TSelf Subtract(TSelf a, TSelf b);
    static abstract TSelf Multiply(TSelf a, TSelf b);
    static abstract TSelf Divide(TSelf a, TSelf b);
    static abstract TSelf Sqrt(TSelf value);
    /// <summary>|x| &lt; min ? 0 : x, per lane (NaN passes).</summary>
    static abstract TSelf ZeroBelow(TSelf x, TSelf min);
    /// <summary>z &gt; 0 ? ifPositive : otherwise, per lane (NaN takes otherwise, as the scalar activations do).</summary>
    static abstract TSelf SelectPositive(TSelf z, TSelf ifPositive, TSelf otherwise);
    static abstract float Sum(TSelf value);
    /// <summary>The activation's scalar forward on every lane: the same bits as calling it value by value.</summary>
    static abstract TSelf ForwardLanes<TAct>(TSelf z, TAct activation) where TAct : struct, IActivation;
    /// <summary>The activation's scalar derivative on every lane.</summary>
    static abstract TSelf DerivativeLanes<TAct>(TSelf z, TSelf a, TAct activation) where TAct : struct, IActivation;
}

/// <summary>The widths and what the hardware does with them.</summary>
internal static class Simd
{
    /// <summary>
    /// Whether multiply-adds are fused: hardware FMA on x64 (AVX2-era and later), always on ARM64. Without it, a fused
    /// multiply-add is a slow software routine, so every width multiplies and adds in two roundings instead.
    /// </summary>
    public static bool Fused
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => X86.Fma.IsSupported || Arm.AdvSimd.Arm64.IsSupported;
    }

    /// <summary>The widest accelerated vector, in floats (1 without SIMD).</summary>
    public static int Width =>
        Vector512.IsHardwareAccelerated ? Vector512<float>.Count
        : Vector256.IsHardwareAccelerated ? Vector256<float>.Count
        : Vector128.IsHardwareAccelerated ? Vector128<float>.Count
        : 1;
}

/// <summary>A loop over whole vectors of one width, from a start index; returns where it stopped.</summary>
internal interface IVectorLoop
{
    int Run<TV>(int start) where TV : struct, ISimd<TV>;
}

internal static class VectorLoop
{
    /// <summary>Runs <paramref name="loop"/> in the widest accelerated vectors, then one float at a time for the rest.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TLoop>(in TLoop loop) where TLoop : IVectorLoop, allows ref struct
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated) i = loop.Run<Simd512>(0);
        else if (Vector256.IsHardwareAccelerated) i = loop.Run<Simd256>(0);
        else if (Vector128.IsHardwareAccelerated) i = loop.Run<Simd128>(0);
        loop.Run<Scalar>(i);
    }
}

// A stack copy of one vector, for the per-lane fallbacks.
[InlineArray(16)]
internal struct Lanes
{
    private float _element;
}

internal readonly partial struct Simd512 : ISimd<Simd512>
{
    private readonly Vector512<float> _v;
    private Simd512(Vector512<float> v) => _v = v;
    public static int Count => Vector512<float>.Count;
    public static Simd512 Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Load(ref float source, nuint index) => new(Vector512.LoadUnsafe(ref source, index));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Simd512 value, ref float destination, nuint index) => value._v.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Broadcast(float value) => new(Vector512.Create(value));
    // The hardware checks written out in place (not through Simd.Fused): these sit in the innermost loops of kernels
    // inlined into large methods, where every extra inline level counts against the JIT's inlining budget.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 MultiplyAdd(Simd512 a, Simd512 b, Simd512 c) =>
        new(X86.Fma.IsSupported || Arm.AdvSimd.Arm64.IsSupported ? Vector512.FusedMultiplyAdd(a._v, b._v, c._v) : a._v * b._v + c._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512 MultiplyAddLoad(Simd512 a, ref float source, nuint index, Simd512 c) =>
        new(X86.Fma.IsSupported || Arm.AdvSimd.Arm64.IsSupported ? Vector512.FusedMultiplyAdd(a._v, Vector512.LoadUnsafe(ref source, index), c._v) : a._v * Vector512.LoadUnsafe(ref source, index) + c._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Add(Simd512 a, Simd512 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Subtract(Simd512 a, Simd512 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Multiply(Simd512 a, Simd512 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Divide(Simd512 a, Simd512 b) => new(a._v / b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Sqrt(Simd512 value) => new(Vector512.Sqrt(value._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 ZeroBelow(Simd512 x, Simd512 min) => new(Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(x._v), min._v), default, x._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 SelectPositive(Simd512 z, Simd512 ifPositive, Simd512 otherwise) => new(Vector512.ConditionalSelect(Vector512.GreaterThan(z._v, default), ifPositive._v, otherwise._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Simd512 value) => Vector512.Sum(value._v);
    public static Simd512 ForwardLanes<TAct>(Simd512 z, TAct activation) where TAct : struct, IActivation
    {
        var lanes = new Lanes();
        z._v.StoreUnsafe(ref lanes[0]);
        for (int i = 0; i < Count; i++) lanes[i] = activation.Forward(lanes[i]);
        return new(Vector512.LoadUnsafe(ref lanes[0]));
    }
    public static Simd512 DerivativeLanes<TAct>(Simd512 z, Simd512 a, TAct activation) where TAct : struct, IActivation
    {
        Lanes zs = default, az = default;
        z._v.StoreUnsafe(ref zs[0]);
        a._v.StoreUnsafe(ref az[0]);
        for (int i = 0; i < Count; i++) zs[i] = activation.Derivative(zs[i], az[i]);
        return new(Vector512.LoadUnsafe(ref zs[0]));
    }
}

internal readonly partial struct Simd256 : ISimd<Simd256>
{
    private readonly Vector256<float> _v;
    private Simd256(Vector256<float> v) => _v = v;
    public static implicit operator Simd256(Vector256<float> v) => new(v);
    public static implicit operator Vector256<float>(Simd256 v) => v._v;
    public static int Count => Vector256<float>.Count;
    public static Simd256 Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Load(ref float source, nuint index) => new(Vector256.LoadUnsafe(ref source, index));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Simd256 value, ref float destination, nuint index) => value._v.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Broadcast(float value) => new(Vector256.Create(value));
    // The hardware checks written out in place (not through Simd.Fused): these sit in the innermost loops of kernels
    // inlined into large methods, where every extra inline level counts against the JIT's inlining budget.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 MultiplyAdd(Simd256 a, Simd256 b, Simd256 c) =>
        new(X86.Fma.IsSupported || Arm.AdvSimd.Arm64.IsSupported ? Vector256.FusedMultiplyAdd(a._v, b._v, c._v) : a._v * b._v + c._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256 MultiplyAddLoad(Simd256 a, ref float source, nuint index, Simd256 c) =>
        new(X86.Fma.IsSupported || Arm.AdvSimd.Arm64.IsSupported ? Vector256.FusedMultiplyAdd(a._v, Vector256.LoadUnsafe(ref source, index), c._v) : a._v * Vector256.LoadUnsafe(ref source, index) + c._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Add(Simd256 a, Simd256 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Subtract(Simd256 a, Simd256 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Multiply(Simd256 a, Simd256 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Divide(Simd256 a, Simd256 b) => new(a._v / b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Sqrt(Simd256 value) => new(Vector256.Sqrt(value._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 ZeroBelow(Simd256 x, Simd256 min) => new(Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(x._v), min._v), default, x._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 SelectPositive(Simd256 z, Simd256 ifPositive, Simd256 otherwise) => new(Vector256.ConditionalSelect(Vector256.GreaterThan(z._v, default), ifPositive._v, otherwise._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Simd256 value) => Vector256.Sum(value._v);
    public static Simd256 ForwardLanes<TAct>(Simd256 z, TAct activation) where TAct : struct, IActivation
    {
        var lanes = new Lanes();
        z._v.StoreUnsafe(ref lanes[0]);
        for (int i = 0; i < Count; i++) lanes[i] = activation.Forward(lanes[i]);
        return new(Vector256.LoadUnsafe(ref lanes[0]));
    }
    public static Simd256 DerivativeLanes<TAct>(Simd256 z, Simd256 a, TAct activation) where TAct : struct, IActivation
    {
        Lanes zs = default, az = default;
        z._v.StoreUnsafe(ref zs[0]);
        a._v.StoreUnsafe(ref az[0]);
        for (int i = 0; i < Count; i++) zs[i] = activation.Derivative(zs[i], az[i]);
        return new(Vector256.LoadUnsafe(ref zs[0]));
    }
}

/// <summary>128 bits: SSE on every x64 (what NativeAOT targets by default), AdvSimd on ARM64.</summary>
internal readonly partial struct Simd128 : ISimd<Simd128>
{
    private readonly Vector128<float> _v;
    private Simd128(Vector128<float> v) => _v = v;
    public static implicit operator Simd128(Vector128<float> v) => new(v);
    public static implicit operator Vector128<float>(Simd128 v) => v._v;
    public static int Count => Vector128<float>.Count;
    public static Simd128 Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128 Load(ref float source, nuint index) => new(Vector128.LoadUnsafe(ref source, index));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Simd128 value, ref float destination, nuint index) => value._v.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128 Broadcast(float value) => new(Vector128.Create(value));
    // The hardware checks written out in place (not through Simd.Fused): these sit in the innermost loops of kernels
    // inlined into large methods, where every extra inline level counts against the JIT's inlining budget.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 MultiplyAdd(Simd128 a, Simd128 b, Simd128 c) =>
        new(X86.Fma.IsSupported || Arm.AdvSimd.Arm64.IsSupported ? Vector128.FusedMultiplyAdd(a._v, b._v, c._v) : a._v * b._v + c._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128 MultiplyAddLoad(Simd128 a, ref float source, nuint index, Simd128 c) =>
        new(X86.Fma.IsSupported || Arm.AdvSimd.Arm64.IsSupported ? Vector128.FusedMultiplyAdd(a._v, Vector128.LoadUnsafe(ref source, index), c._v) : a._v * Vector128.LoadUnsafe(ref source, index) + c._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128 Add(Simd128 a, Simd128 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128 Subtract(Simd128 a, Simd128 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128 Multiply(Simd128 a, Simd128 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128 Divide(Simd128 a, Simd128 b) => new(a._v / b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128 Sqrt(Simd128 value) => new(Vector128.Sqrt(value._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128 ZeroBelow(Simd128 x, Simd128 min) => new(Vector128.ConditionalSelect(Vector128.LessThan(Vector128.Abs(x._v), min._v), default, x._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd128 SelectPositive(Simd128 z, Simd128 ifPositive, Simd128 otherwise) => new(Vector128.ConditionalSelect(Vector128.GreaterThan(z._v, default), ifPositive._v, otherwise._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Simd128 value) => Vector128.Sum(value._v);
    public static Simd128 ForwardLanes<TAct>(Simd128 z, TAct activation) where TAct : struct, IActivation
    {
        var lanes = new Lanes();
        z._v.StoreUnsafe(ref lanes[0]);
        for (int i = 0; i < Count; i++) lanes[i] = activation.Forward(lanes[i]);
        return new(Vector128.LoadUnsafe(ref lanes[0]));
    }
    public static Simd128 DerivativeLanes<TAct>(Simd128 z, Simd128 a, TAct activation) where TAct : struct, IActivation
    {
        Lanes zs = default, az = default;
        z._v.StoreUnsafe(ref zs[0]);
        a._v.StoreUnsafe(ref az[0]);
        for (int i = 0; i < Count; i++) zs[i] = activation.Derivative(zs[i], az[i]);
        return new(Vector128.LoadUnsafe(ref zs[0]));
    }
}

/// <summary>One float: the tails of vector loops, and the whole loop without SIMD.</summary>
internal readonly struct Scalar : ISimd<Scalar>
{
    private readonly float _v;
    private Scalar(float v) => _v = v;
    public static int Count => 1;
    public static Scalar Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar Load(ref float source, nuint index) => new(Unsafe.Add(ref source, index));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Scalar value, ref float destination, nuint index) => Unsafe.Add(ref destination, index) = value._v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar Broadcast(float value) => new(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar MultiplyAdd(Scalar a, Scalar b, Scalar c) =>
        new(X86.Fma.IsSupported || Arm.AdvSimd.Arm64.IsSupported ? MathF.FusedMultiplyAdd(a._v, b._v, c._v) : a._v * b._v + c._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar MultiplyAddLoad(Scalar a, ref float source, nuint index, Scalar c) => MultiplyAdd(a, new(Unsafe.Add(ref source, index)), c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar Add(Scalar a, Scalar b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar Subtract(Scalar a, Scalar b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar Multiply(Scalar a, Scalar b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar Divide(Scalar a, Scalar b) => new(a._v / b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar Sqrt(Scalar value) => new(MathF.Sqrt(value._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar ZeroBelow(Scalar x, Scalar min) => new(MathF.Abs(x._v) < min._v ? 0f : x._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar SelectPositive(Scalar z, Scalar ifPositive, Scalar otherwise) => new(z._v > 0f ? ifPositive._v : otherwise._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Scalar value) => value._v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar ForwardLanes<TAct>(Scalar z, TAct activation) where TAct : struct, IActivation => new(activation.Forward(z._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar DerivativeLanes<TAct>(Scalar z, Scalar a, TAct activation) where TAct : struct, IActivation => new(activation.Derivative(z._v, a._v));

    /// <summary>a·b + c as every vector width on this machine computes it (see <see cref="Simd.Fused"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MultiplyAdd(float a, float b, float c) =>
        X86.Fma.IsSupported || Arm.AdvSimd.Arm64.IsSupported ? MathF.FusedMultiplyAdd(a, b, c) : a * b + c;
}
