using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

using StaticNets.Kernels;

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
        if (Vector512.IsHardwareAccelerated) i = QuantizeLanes<Simd512>(x, inverseScale, zeroPoint, q);
        else if (Vector256.IsHardwareAccelerated) i = QuantizeLanes<Simd256>(x, inverseScale, zeroPoint, q);
        else if (Vector128.IsHardwareAccelerated) i = QuantizeLanes<Simd128>(x, inverseScale, zeroPoint, q);
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
        if (Vector512.IsHardwareAccelerated) i = DequantizeLanes<Simd512>(sums, corrections, scales, bias, negativeSlope, y, next, nextInverseScale, nextZeroPoint);
        else if (Vector256.IsHardwareAccelerated) i = DequantizeLanes<Simd256>(sums, corrections, scales, bias, negativeSlope, y, next, nextInverseScale, nextZeroPoint);
        else if (Vector128.IsHardwareAccelerated) i = DequantizeLanes<Simd128>(sums, corrections, scales, bias, negativeSlope, y, next, nextInverseScale, nextZeroPoint);
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

    internal static int QuantizeLanes<TL>(ReadOnlySpan<float> x, float inverseScale, int zeroPoint, Span<byte> q) where TL : struct, IQuantizeLanes<TL>
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
        float negativeSlope, Span<float> y, Span<byte> next, float nextInverseScale, int nextZeroPoint) where TL : struct, IQuantizeLanes<TL>
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
            v = TL.SelectPositive(v, v, TL.Multiply(slope, v));
            if (quantize) TL.StoreBytes(TL.ClampRound(TL.Multiply(v, inv), zp), ref qs, (nuint)i);
            else TL.Store(v, ref ys, (nuint)i);
        }
        return i;
    }
}
