using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace StaticNets.Quantization;

/// <summary>
/// From float to 7-bit activations and from integer sums back to float, at every width with the same bits: each value
/// takes the same operations in the same order (a multiply and an add, never fused; rounding half to even; a clamp), so
/// the scalar path is the reference of the others.
/// </summary>
internal static class Requantize
{
    /// <summary>q = clamp(round(x·<paramref name="inverseScale"/>) + <paramref name="zeroPoint"/>, 0, 127).</summary>
    public static void Quantize(ReadOnlySpan<float> x, float inverseScale, int zeroPoint, Span<byte> q)
    {
        if (q.Length < x.Length) throw new ArgumentException($"quantizing {x.Length} values needs as many bytes; got {q.Length}.");
        int i = 0;
        if (Vector512.IsHardwareAccelerated) i = QuantizeLanes<Lanes512>(x, inverseScale, zeroPoint, q);
        else if (Vector256.IsHardwareAccelerated) i = QuantizeLanes<Lanes256>(x, inverseScale, zeroPoint, q);
        else if (Vector128.IsHardwareAccelerated) i = QuantizeLanes<Lanes128>(x, inverseScale, zeroPoint, q);
        for (; i < x.Length; i++) q[i] = QuantizeOne(x[i], inverseScale, zeroPoint);
    }

    /// <summary>
    /// 128-bit vectors round half to even by adding and subtracting 1.5·2²³ (exact for magnitudes up to 2²²) after
    /// limiting to ±256, beyond which every zero point clamps the same way: the same as MathF.Round, where an
    /// x86-64-v2 NativeAOT build would otherwise emulate Vector128.Round value by value.
    /// </summary>
    internal const float RoundingShift = 12582912f, RoundingLimit = 256f;

    /// <summary>The scalar definition every width follows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte QuantizeOne(float x, float inverseScale, int zeroPoint) =>
        (byte)Math.Clamp(MathF.Round(x * inverseScale) + zeroPoint, 0f, Int8Kernels.MaxActivation);

    /// <summary>
    /// One layer's outputs from its integer sums: y = (sums − corrections)·scales + bias, then the activation; written as
    /// floats into <paramref name="y"/> when <paramref name="next"/> is empty, else quantized for the next layer.
    /// </summary>
    public static void Dequantize(ReadOnlySpan<int> sums, ReadOnlySpan<int> corrections, ReadOnlySpan<float> scales, ReadOnlySpan<float> bias,
        float negativeSlope, Span<float> y, Span<byte> next, float nextInverseScale, int nextZeroPoint)
    {
        int n = scales.Length;
        if (sums.Length < n || corrections.Length < n || bias.Length < n || (next.IsEmpty ? y.Length < n : next.Length < n))
            throw new ArgumentException($"dequantizing {n} outputs needs {n} sums, corrections, biases and outputs.");
        int i = 0;
        if (Vector512.IsHardwareAccelerated) i = DequantizeLanes<Lanes512>(sums, corrections, scales, bias, negativeSlope, y, next, nextInverseScale, nextZeroPoint);
        else if (Vector256.IsHardwareAccelerated) i = DequantizeLanes<Lanes256>(sums, corrections, scales, bias, negativeSlope, y, next, nextInverseScale, nextZeroPoint);
        else if (Vector128.IsHardwareAccelerated) i = DequantizeLanes<Lanes128>(sums, corrections, scales, bias, negativeSlope, y, next, nextInverseScale, nextZeroPoint);
        for (; i < n; i++)
        {
            float v = DequantizeOne(sums[i], corrections[i], scales[i], bias[i], negativeSlope);
            if (next.IsEmpty) y[i] = v;
            else next[i] = QuantizeOne(v, nextInverseScale, nextZeroPoint);
        }
    }

    /// <summary>The scalar definition: (sum − correction)·scale + bias, then v &gt; 0 ? v : slope·v (slope 1: none, 0: ReLU).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float DequantizeOne(int sum, int correction, float scale, float bias, float negativeSlope)
    {
        float v = (float)(sum - correction) * scale + bias;
        return v > 0 ? v : negativeSlope * v;
    }

    internal static int QuantizeLanes<TL>(ReadOnlySpan<float> x, float inverseScale, int zeroPoint, Span<byte> q) where TL : struct, ILanes<TL>
    {
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref byte qs = ref MemoryMarshal.GetReference(q);
        TL inv = TL.Broadcast(inverseScale), zp = TL.Broadcast(zeroPoint);
        int i = 0;
        for (; i + TL.Count <= x.Length; i += TL.Count)
            TL.StoreBytes(TL.ClampRound(TL.Multiply(TL.Load(ref xs, (nuint)i), inv), zp), ref qs, (nuint)i);
        return i;
    }

    internal static int DequantizeLanes<TL>(ReadOnlySpan<int> sums, ReadOnlySpan<int> corrections, ReadOnlySpan<float> scales, ReadOnlySpan<float> bias,
        float negativeSlope, Span<float> y, Span<byte> next, float nextInverseScale, int nextZeroPoint) where TL : struct, ILanes<TL>
    {
        ref int s = ref MemoryMarshal.GetReference(sums);
        ref int c = ref MemoryMarshal.GetReference(corrections);
        ref float m = ref MemoryMarshal.GetReference(scales);
        ref float b = ref MemoryMarshal.GetReference(bias);
        TL slope = TL.Broadcast(negativeSlope), inv = TL.Broadcast(nextInverseScale), zp = TL.Broadcast(nextZeroPoint);
        bool quantize = !next.IsEmpty;
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref byte qs = ref MemoryMarshal.GetReference(next);
        int n = scales.Length, i = 0;
        for (; i + TL.Count <= n; i += TL.Count)
        {
            TL v = TL.Add(TL.Multiply(TL.Difference(ref s, ref c, (nuint)i), TL.Load(ref m, (nuint)i)), TL.Load(ref b, (nuint)i));
            v = TL.PositiveOr(v, TL.Multiply(slope, v));
            if (quantize) TL.StoreBytes(TL.ClampRound(TL.Multiply(v, inv), zp), ref qs, (nuint)i);
            else TL.Store(v, ref ys, (nuint)i);
        }
        return i;
    }
}

/// <summary>The float lanes <see cref="Requantize"/> works on, one struct per width.</summary>
internal interface ILanes<TSelf> where TSelf : struct, ILanes<TSelf>
{
    static abstract int Count { get; }
    static abstract TSelf Broadcast(float value);
    static abstract TSelf Load(ref float source, nuint index);
    static abstract void Store(TSelf value, ref float destination, nuint index);
    /// <summary>(float)(a[i] − b[i]) per lane.</summary>
    static abstract TSelf Difference(ref int a, ref int b, nuint index);
    static abstract TSelf Multiply(TSelf a, TSelf b);
    static abstract TSelf Add(TSelf a, TSelf b);
    /// <summary>v &gt; 0 ? v : otherwise, per lane.</summary>
    static abstract TSelf PositiveOr(TSelf v, TSelf otherwise);
    /// <summary>clamp(round-half-even(v) + zeroPoint, 0, 127), as <see cref="Requantize.QuantizeOne"/>.</summary>
    static abstract TSelf ClampRound(TSelf v, TSelf zeroPoint);
    /// <summary>Lanes holding whole numbers 0–127, stored as bytes.</summary>
    static abstract void StoreBytes(TSelf v, ref byte destination, nuint index);
}

internal readonly struct Lanes512(Vector512<float> v) : ILanes<Lanes512>
{
    private readonly Vector512<float> _v = v;
    public static int Count => Vector512<float>.Count;
    public static Lanes512 Broadcast(float value) => new(Vector512.Create(value));
    public static Lanes512 Load(ref float source, nuint index) => new(Vector512.LoadUnsafe(ref source, index));
    public static void Store(Lanes512 value, ref float destination, nuint index) => value._v.StoreUnsafe(ref destination, index);
    public static Lanes512 Difference(ref int a, ref int b, nuint index) => new(Vector512.ConvertToSingle(Vector512.LoadUnsafe(ref a, index) - Vector512.LoadUnsafe(ref b, index)));
    public static Lanes512 Multiply(Lanes512 a, Lanes512 b) => new(a._v * b._v);
    public static Lanes512 Add(Lanes512 a, Lanes512 b) => new(a._v + b._v);
    public static Lanes512 PositiveOr(Lanes512 v, Lanes512 otherwise) => new(Vector512.ConditionalSelect(Vector512.GreaterThan(v._v, Vector512<float>.Zero), v._v, otherwise._v));
    public static Lanes512 ClampRound(Lanes512 v, Lanes512 zeroPoint) =>
        new(Vector512.Min(Vector512.Max(Vector512.Round(v._v) + zeroPoint._v, Vector512<float>.Zero), Vector512.Create((float)Int8Kernels.MaxActivation)));
    public static void StoreBytes(Lanes512 v, ref byte destination, nuint index)
    {
        Vector512<int> ints = Vector512.ConvertToInt32(v._v);
        Vector512<short> shorts = Vector512.Narrow(ints, ints);
        Vector512.Narrow(shorts, shorts).AsByte().GetLower().GetLower().StoreUnsafe(ref destination, index);
    }
}

internal readonly struct Lanes256(Vector256<float> v) : ILanes<Lanes256>
{
    private readonly Vector256<float> _v = v;
    public static int Count => Vector256<float>.Count;
    public static Lanes256 Broadcast(float value) => new(Vector256.Create(value));
    public static Lanes256 Load(ref float source, nuint index) => new(Vector256.LoadUnsafe(ref source, index));
    public static void Store(Lanes256 value, ref float destination, nuint index) => value._v.StoreUnsafe(ref destination, index);
    public static Lanes256 Difference(ref int a, ref int b, nuint index) => new(Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref a, index) - Vector256.LoadUnsafe(ref b, index)));
    public static Lanes256 Multiply(Lanes256 a, Lanes256 b) => new(a._v * b._v);
    public static Lanes256 Add(Lanes256 a, Lanes256 b) => new(a._v + b._v);
    public static Lanes256 PositiveOr(Lanes256 v, Lanes256 otherwise) => new(Vector256.ConditionalSelect(Vector256.GreaterThan(v._v, Vector256<float>.Zero), v._v, otherwise._v));
    public static Lanes256 ClampRound(Lanes256 v, Lanes256 zeroPoint) =>
        new(Vector256.Min(Vector256.Max(Vector256.Round(v._v) + zeroPoint._v, Vector256<float>.Zero), Vector256.Create((float)Int8Kernels.MaxActivation)));
    public static void StoreBytes(Lanes256 v, ref byte destination, nuint index)
    {
        Vector256<int> ints = Vector256.ConvertToInt32(v._v);
        Vector256<short> shorts = Vector256.Narrow(ints, ints);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, index), Vector256.Narrow(shorts, shorts).AsUInt64().ToScalar());
    }
}

internal readonly struct Lanes128(Vector128<float> v) : ILanes<Lanes128>
{
    private readonly Vector128<float> _v = v;
    public static int Count => Vector128<float>.Count;
    public static Lanes128 Broadcast(float value) => new(Vector128.Create(value));
    public static Lanes128 Load(ref float source, nuint index) => new(Vector128.LoadUnsafe(ref source, index));
    public static void Store(Lanes128 value, ref float destination, nuint index) => value._v.StoreUnsafe(ref destination, index);
    public static Lanes128 Difference(ref int a, ref int b, nuint index) => new(Vector128.ConvertToSingle(Vector128.LoadUnsafe(ref a, index) - Vector128.LoadUnsafe(ref b, index)));
    public static Lanes128 Multiply(Lanes128 a, Lanes128 b) => new(a._v * b._v);
    public static Lanes128 Add(Lanes128 a, Lanes128 b) => new(a._v + b._v);
    public static Lanes128 PositiveOr(Lanes128 v, Lanes128 otherwise) => new(Vector128.ConditionalSelect(Vector128.GreaterThan(v._v, Vector128<float>.Zero), v._v, otherwise._v));
    public static Lanes128 ClampRound(Lanes128 v, Lanes128 zeroPoint)
    {
        Vector128<float> limited = Vector128.MinNative(Vector128.MaxNative(v._v, Vector128.Create(-Requantize.RoundingLimit)), Vector128.Create(Requantize.RoundingLimit));
        Vector128<float> rounded = limited + Vector128.Create(Requantize.RoundingShift) - Vector128.Create(Requantize.RoundingShift);
        return new(Vector128.MinNative(Vector128.MaxNative(rounded + zeroPoint._v, Vector128<float>.Zero), Vector128.Create((float)Int8Kernels.MaxActivation)));
    }
    public static void StoreBytes(Lanes128 v, ref byte destination, nuint index)
    {
        Vector128<byte> bytes;
        if (Sse2.IsSupported)
        {
            // Whole numbers 0–127: truncation and the saturating packs change nothing, in SSE2 alone.
            Vector128<int> ints = Sse2.ConvertToVector128Int32WithTruncation(v._v);
            Vector128<short> shorts = Sse2.PackSignedSaturate(ints, ints);
            bytes = Sse2.PackUnsignedSaturate(shorts, shorts);
        }
        else
        {
            Vector128<int> ints = Vector128.ConvertToInt32(v._v);
            Vector128<short> shorts = Vector128.Narrow(ints, ints);
            bytes = Vector128.Narrow(shorts, shorts).AsByte();
        }
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, index), bytes.AsUInt32().ToScalar());
    }
}
