using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace StaticNets.Kernels;

/// <summary>
/// The few vector operations the kernels and the optimizers' updates need, over one width. Kernels are generic over an
/// implementing struct, so the JIT compiles one specialized body per width: 512 bits where the
/// hardware has it, 256 bits otherwise, and one float for tails and machines without SIMD.
/// </summary>
internal interface ISimd<TSelf> where TSelf : struct, ISimd<TSelf>
{
    static abstract int Count { get; }
    static abstract TSelf Zero { get; }
    static abstract TSelf Load(ref float source, nuint index);
    static abstract void Store(TSelf value, ref float destination, nuint index);
    static abstract TSelf Broadcast(float value);
    /// <summary>a·b + c.</summary>
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
}

internal readonly struct Simd512 : ISimd<Simd512>
{
    private readonly Vector512<float> _v;
    private Simd512(Vector512<float> v) => _v = v;
    public static int Count => Vector512<float>.Count;
    public static Simd512 Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Load(ref float source, nuint index) => new(Vector512.LoadUnsafe(ref source, index));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Simd512 value, ref float destination, nuint index) => value._v.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Broadcast(float value) => new(Vector512.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 MultiplyAdd(Simd512 a, Simd512 b, Simd512 c) => new(Vector512.FusedMultiplyAdd(a._v, b._v, c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 MultiplyAddLoad(Simd512 a, ref float source, nuint index, Simd512 c) => new(Vector512.FusedMultiplyAdd(a._v, Vector512.LoadUnsafe(ref source, index), c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Add(Simd512 a, Simd512 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Subtract(Simd512 a, Simd512 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Multiply(Simd512 a, Simd512 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Divide(Simd512 a, Simd512 b) => new(a._v / b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 Sqrt(Simd512 value) => new(Vector512.Sqrt(value._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 ZeroBelow(Simd512 x, Simd512 min) => new(Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(x._v), min._v), default, x._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd512 SelectPositive(Simd512 z, Simd512 ifPositive, Simd512 otherwise) => new(Vector512.ConditionalSelect(Vector512.GreaterThan(z._v, default), ifPositive._v, otherwise._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Simd512 value) => Vector512.Sum(value._v);
}

internal readonly struct Simd256 : ISimd<Simd256>
{
    private readonly Vector256<float> _v;
    private Simd256(Vector256<float> v) => _v = v;
    public static implicit operator Simd256(Vector256<float> v) => new(v);
    public static int Count => Vector256<float>.Count;
    public static Simd256 Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Load(ref float source, nuint index) => new(Vector256.LoadUnsafe(ref source, index));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Simd256 value, ref float destination, nuint index) => value._v.StoreUnsafe(ref destination, index);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Broadcast(float value) => new(Vector256.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 MultiplyAdd(Simd256 a, Simd256 b, Simd256 c) => new(Vector256.FusedMultiplyAdd(a._v, b._v, c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 MultiplyAddLoad(Simd256 a, ref float source, nuint index, Simd256 c) => new(Vector256.FusedMultiplyAdd(a._v, Vector256.LoadUnsafe(ref source, index), c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Add(Simd256 a, Simd256 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Subtract(Simd256 a, Simd256 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Multiply(Simd256 a, Simd256 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Divide(Simd256 a, Simd256 b) => new(a._v / b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 Sqrt(Simd256 value) => new(Vector256.Sqrt(value._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 ZeroBelow(Simd256 x, Simd256 min) => new(Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(x._v), min._v), default, x._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Simd256 SelectPositive(Simd256 z, Simd256 ifPositive, Simd256 otherwise) => new(Vector256.ConditionalSelect(Vector256.GreaterThan(z._v, default), ifPositive._v, otherwise._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Simd256 value) => Vector256.Sum(value._v);
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar MultiplyAdd(Scalar a, Scalar b, Scalar c) => new(MathF.FusedMultiplyAdd(a._v, b._v, c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar MultiplyAddLoad(Scalar a, ref float source, nuint index, Scalar c) => new(MathF.FusedMultiplyAdd(a._v, Unsafe.Add(ref source, index), c._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar Add(Scalar a, Scalar b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar Subtract(Scalar a, Scalar b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar Multiply(Scalar a, Scalar b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar Divide(Scalar a, Scalar b) => new(a._v / b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar Sqrt(Scalar value) => new(MathF.Sqrt(value._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar ZeroBelow(Scalar x, Scalar min) => new(MathF.Abs(x._v) < min._v ? 0f : x._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Scalar SelectPositive(Scalar z, Scalar ifPositive, Scalar otherwise) => new(z._v > 0f ? ifPositive._v : otherwise._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Scalar value) => value._v;
}
