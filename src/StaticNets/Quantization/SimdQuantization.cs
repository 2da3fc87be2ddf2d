using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using StaticNets.Quantization;

namespace StaticNets.Kernels;

/// <summary>
/// What <see cref="Requantize"/> needs of a width beyond the float operations every kernel uses (<see cref="ISimd{TSelf}"/>):
/// integer differences as floats, rounding into 7-bit values and storing them as bytes.
/// </summary>
internal interface IQuantizeLanes<TSelf> : ISimd<TSelf> where TSelf : struct, IQuantizeLanes<TSelf>
{
    /// <summary>(float)(a[i] − b[i]) per lane.</summary>
    static abstract TSelf Difference(ref int a, ref int b, nuint index);
    /// <summary>clamp(round-half-even(v) + zeroPoint, 0, 127), as <see cref="Requantize.QuantizeOne"/>.</summary>
    static abstract TSelf ClampRound(TSelf v, TSelf zeroPoint);
    /// <summary>Lanes holding whole numbers 0–127, stored as bytes.</summary>
    static abstract void StoreBytes(TSelf v, ref byte destination, nuint index);
}

internal readonly partial struct Simd512 : IQuantizeLanes<Simd512>
{
    public static Simd512 Difference(ref int a, ref int b, nuint index) => new(Vector512.ConvertToSingle(Vector512.LoadUnsafe(ref a, index) - Vector512.LoadUnsafe(ref b, index)));

    public static Simd512 ClampRound(Simd512 v, Simd512 zeroPoint) =>
        new(Vector512.Min(Vector512.Max(Vector512.Round(v._v) + zeroPoint._v, Vector512<float>.Zero), Vector512.Create((float)Int8Kernels.MaxActivation)));

    public static void StoreBytes(Simd512 v, ref byte destination, nuint index)
    {
        Vector512<int> ints = Vector512.ConvertToInt32(v._v);
        Vector512<short> shorts = Vector512.Narrow(ints, ints);
        Vector512.Narrow(shorts, shorts).AsByte().GetLower().GetLower().StoreUnsafe(ref destination, index);
    }
}

internal readonly partial struct Simd256 : IQuantizeLanes<Simd256>
{
    public static Simd256 Difference(ref int a, ref int b, nuint index) => new(Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref a, index) - Vector256.LoadUnsafe(ref b, index)));

    public static Simd256 ClampRound(Simd256 v, Simd256 zeroPoint) =>
        new(Vector256.Min(Vector256.Max(Vector256.Round(v._v) + zeroPoint._v, Vector256<float>.Zero), Vector256.Create((float)Int8Kernels.MaxActivation)));

    public static void StoreBytes(Simd256 v, ref byte destination, nuint index)
    {
        Vector256<int> ints = Vector256.ConvertToInt32(v._v);
        Vector256<short> shorts = Vector256.Narrow(ints, ints);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, index), Vector256.Narrow(shorts, shorts).AsUInt64().ToScalar());
    }
}

internal readonly partial struct Simd128 : IQuantizeLanes<Simd128>
{
    public static Simd128 Difference(ref int a, ref int b, nuint index) => new(Vector128.ConvertToSingle(Vector128.LoadUnsafe(ref a, index) - Vector128.LoadUnsafe(ref b, index)));

    public static Simd128 ClampRound(Simd128 v, Simd128 zeroPoint)
    {
        Vector128<float> limited = Vector128.MinNative(Vector128.MaxNative(v._v, Vector128.Create(-Requantize.RoundingLimit)), Vector128.Create(Requantize.RoundingLimit));
        Vector128<float> rounded = limited + Vector128.Create(Requantize.RoundingShift) - Vector128.Create(Requantize.RoundingShift);
        return new(Vector128.MinNative(Vector128.MaxNative(rounded + zeroPoint._v, Vector128<float>.Zero), Vector128.Create((float)Int8Kernels.MaxActivation)));
    }

    public static void StoreBytes(Simd128 v, ref byte destination, nuint index)
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
