using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace StaticNets.Quantization;

/// <summary>
/// Integer products of the int8 layers: activations as unsigned 7-bit values (0–127), weights as signed 8-bit (−127–127),
/// summed in int32. Weights are packed in blocks of 16 outputs: for each group of 4 inputs (a quad), 16 outputs × 4
/// bytes, so one 512-bit load holds a quad of a whole block and a broadcast quad of the input multiplies it lane by lane.
/// <para>
/// Paths: 512 bits (AVX-512BW: vpmaddubsw then vpmaddwd with ones), 256 (AVX-VNNI's vpdpbusd where the CPU has it, else
/// AVX2 as for 512), 128 (SSSE3), scalar. Seven-bit activations keep vpmaddubsw's 16-bit pair sums below its saturation
/// (127·127·2 = 32,258 &lt; 32,767), PyTorch's <c>reduce_range</c> on x86 for the same reason, so every path gives
/// the scalar sum exactly: integer addition does not depend on its order.
/// </para>
/// </summary>
internal static class Int8Kernels
{
    /// <summary>Outputs per packed block.</summary>
    public const int Block = 16;

    /// <summary>Inputs per quad.</summary>
    public const int Quad = 4;

    /// <summary>The largest activation value (7 bits).</summary>
    public const int MaxActivation = 127;

    /// <summary>The largest weight magnitude.</summary>
    public const int MaxWeight = 127;

    /// <summary>Bytes of a packed weight matrix of <paramref name="outputs"/> × <paramref name="inputs"/>.</summary>
    public static int PackedLength(int outputs, int inputs) => Blocks(outputs) * Quads(inputs) * Block * Quad;

    public static int Blocks(int outputs) => (outputs + Block - 1) / Block;

    public static int Quads(int inputs) => (inputs + Quad - 1) / Quad;

    /// <summary>Weights [outputs, inputs] row-major into the packed layout (zeros in the padding).</summary>
    public static void Pack(ReadOnlySpan<sbyte> weights, int outputs, int inputs, Span<sbyte> packed)
    {
        int quads = Quads(inputs);
        packed.Clear();
        for (int o = 0; o < outputs; o++)
            for (int i = 0; i < inputs; i++)
                packed[PackedIndex(o, i, quads)] = weights[o * inputs + i];
    }

    /// <summary>Where weight (o, i) lives in the packed layout.</summary>
    public static int PackedIndex(int o, int i, int quads) => (((o / Block) * quads + i / Quad) * Block + o % Block) * Quad + i % Quad;

    /// <summary>The path <see cref="Dot"/> takes on this machine.</summary>
    public static string Path =>
        Vector512.IsHardwareAccelerated && Avx512BW.IsSupported ? "512"
        : Avx2.IsSupported && Vector256.IsHardwareAccelerated ? (AvxVnni.IsSupported ? "256-vnni" : "256")
        : Ssse3.IsSupported && Vector128.IsHardwareAccelerated ? "128"
        : "scalar";

    /// <summary>
    /// sums[r·<paramref name="sumStride"/> + o] = Σᵢ x[r·<paramref name="xStride"/> + i]·w[o, i] for <paramref name="rows"/>
    /// rows of activations (0–127, padded with zeros to whole quads) and all blocks of the packed weights.
    /// </summary>
    public static void Dot(ReadOnlySpan<byte> x, int xStride, ReadOnlySpan<sbyte> packed, Span<int> sums, int sumStride, int rows, int quads, int blocks)
    {
        Check(x, xStride, packed, sums, sumStride, rows, quads, blocks);
        if (Vector512.IsHardwareAccelerated && Avx512BW.IsSupported) Dot512(x, xStride, packed, sums, sumStride, rows, quads, blocks);
        else if (Avx2.IsSupported && Vector256.IsHardwareAccelerated) Dot256(x, xStride, packed, sums, sumStride, rows, quads, blocks);
        else if (Ssse3.IsSupported && Vector128.IsHardwareAccelerated) Dot128(x, xStride, packed, sums, sumStride, rows, quads, blocks);
        else DotScalar(x, xStride, packed, sums, sumStride, rows, quads, blocks);
    }

    internal static void Check(ReadOnlySpan<byte> x, int xStride, ReadOnlySpan<sbyte> packed, Span<int> sums, int sumStride, int rows, int quads, int blocks)
    {
        if (rows < 0 || quads < 0 || blocks < 0 || xStride < quads * Quad || sumStride < blocks * Block)
            throw new ArgumentException($"int8 product of {rows} rows, {quads} quads and {blocks} blocks with strides {xStride} and {sumStride} is inconsistent.");
        if (rows > 0 && (x.Length < (rows - 1) * xStride + quads * Quad || sums.Length < (rows - 1) * sumStride + blocks * Block))
            throw new ArgumentException($"int8 product of {rows} rows needs {(rows - 1) * xStride + quads * Quad} activations and {(rows - 1) * sumStride + blocks * Block} sums; got {x.Length} and {sums.Length}.");
        if (packed.Length < blocks * quads * Block * Quad)
            throw new ArgumentException($"int8 product needs {blocks * quads * Block * Quad} packed weights; got {packed.Length}.");
    }

    internal static void DotScalar(ReadOnlySpan<byte> x, int xStride, ReadOnlySpan<sbyte> packed, Span<int> sums, int sumStride, int rows, int quads, int blocks)
    {
        for (int r = 0; r < rows; r++)
            for (int b = 0; b < blocks; b++)
                for (int lane = 0; lane < Block; lane++)
                {
                    int sum = 0;
                    for (int q = 0; q < quads; q++)
                        for (int k = 0; k < Quad; k++)
                            sum += x[r * xStride + q * Quad + k] * packed[((b * quads + q) * Block + lane) * Quad + k];
                    sums[r * sumStride + b * Block + lane] = sum;
                }
    }

    // ---- 512 bits: one block per vector ----

    internal static void Dot512(ReadOnlySpan<byte> x, int xStride, ReadOnlySpan<sbyte> packed, Span<int> sums, int sumStride, int rows, int quads, int blocks)
    {
        ref byte x0 = ref MemoryMarshal.GetReference(x);
        ref sbyte w0 = ref MemoryMarshal.GetReference(packed);
        ref int s0 = ref MemoryMarshal.GetReference(sums);
        int r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            int b = 0;
            for (; b + 2 <= blocks; b += 2) Rows4Blocks2_512(ref Unsafe.Add(ref x0, r * xStride), xStride, ref Unsafe.Add(ref w0, b * quads * 64), quads, ref Unsafe.Add(ref s0, r * sumStride + b * Block), sumStride);
            for (; b < blocks; b++)
                for (int k = 0; k < 4; k++) Row1Block1_512(ref Unsafe.Add(ref x0, (r + k) * xStride), ref Unsafe.Add(ref w0, b * quads * 64), quads, ref Unsafe.Add(ref s0, (r + k) * sumStride + b * Block));
        }
        for (; r < rows; r++)
        {
            int b = 0;
            for (; b + 4 <= blocks; b += 4) Row1Blocks4_512(ref Unsafe.Add(ref x0, r * xStride), ref Unsafe.Add(ref w0, b * quads * 64), quads, ref Unsafe.Add(ref s0, r * sumStride + b * Block));
            for (; b < blocks; b++) Row1Block1_512(ref Unsafe.Add(ref x0, r * xStride), ref Unsafe.Add(ref w0, b * quads * 64), quads, ref Unsafe.Add(ref s0, r * sumStride + b * Block));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Madd512(Vector512<int> sum, Vector512<byte> x, Vector512<sbyte> w) =>
        Avx512BW.Add(sum, Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, w), Vector512<short>.One));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Broadcast512(ref byte x, int q) => Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref x, q * Quad))).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<sbyte> Weights512(ref sbyte w, int offset) => Vector512.LoadUnsafe(ref w, (nuint)offset);

    private static void Row1Block1_512(ref byte x, ref sbyte w, int quads, ref int sums)
    {
        Vector512<int> a = default, c = default;
        int q = 0;
        for (; q + 2 <= quads; q += 2)
        {
            a = Madd512(a, Broadcast512(ref x, q), Weights512(ref w, q * 64));
            c = Madd512(c, Broadcast512(ref x, q + 1), Weights512(ref w, (q + 1) * 64));
        }
        if (q < quads) a = Madd512(a, Broadcast512(ref x, q), Weights512(ref w, q * 64));
        Avx512F.Add(a, c).StoreUnsafe(ref sums);
    }

    private static void Row1Blocks4_512(ref byte x, ref sbyte w, int quads, ref int sums)
    {
        Vector512<int> a0 = default, a1 = default, a2 = default, a3 = default;
        nuint stride = (nuint)quads * 64;
        // The weights and the input advance by reference: no index arithmetic between the loads.
        ref sbyte wq = ref w;
        ref byte xq = ref x;
        for (int q = 0; q < quads; q++)
        {
            Vector512<byte> b = Vector512.Create(Unsafe.ReadUnaligned<int>(ref xq)).AsByte();
            a0 = Madd512(a0, b, Vector512.LoadUnsafe(ref wq));
            a1 = Madd512(a1, b, Vector512.LoadUnsafe(ref wq, stride));
            a2 = Madd512(a2, b, Vector512.LoadUnsafe(ref wq, 2 * stride));
            a3 = Madd512(a3, b, Vector512.LoadUnsafe(ref wq, 3 * stride));
            wq = ref Unsafe.Add(ref wq, 64);
            xq = ref Unsafe.Add(ref xq, Quad);
        }
        a0.StoreUnsafe(ref sums);
        a1.StoreUnsafe(ref sums, Block);
        a2.StoreUnsafe(ref sums, 2 * Block);
        a3.StoreUnsafe(ref sums, 3 * Block);
    }

    private static void Rows4Blocks2_512(ref byte x, int xStride, ref sbyte w, int quads, ref int sums, int sumStride)
    {
        Vector512<int> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        nuint stride = (nuint)quads * 64, rs = (nuint)xStride;
        ref sbyte wq = ref w;
        ref byte xq = ref x;
        for (int q = 0; q < quads; q++)
        {
            Vector512<sbyte> w0 = Vector512.LoadUnsafe(ref wq), w1 = Vector512.LoadUnsafe(ref wq, stride);
            Vector512<byte> b0 = Vector512.Create(Unsafe.ReadUnaligned<int>(ref xq)).AsByte();
            Vector512<byte> b1 = Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref xq, rs))).AsByte();
            Vector512<byte> b2 = Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref xq, 2 * rs))).AsByte();
            Vector512<byte> b3 = Vector512.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref xq, 3 * rs))).AsByte();
            a00 = Madd512(a00, b0, w0); a01 = Madd512(a01, b0, w1);
            a10 = Madd512(a10, b1, w0); a11 = Madd512(a11, b1, w1);
            a20 = Madd512(a20, b2, w0); a21 = Madd512(a21, b2, w1);
            a30 = Madd512(a30, b3, w0); a31 = Madd512(a31, b3, w1);
            wq = ref Unsafe.Add(ref wq, 64);
            xq = ref Unsafe.Add(ref xq, Quad);
        }
        a00.StoreUnsafe(ref sums); a01.StoreUnsafe(ref sums, Block);
        a10.StoreUnsafe(ref sums, (nuint)sumStride); a11.StoreUnsafe(ref sums, (nuint)(sumStride + Block));
        a20.StoreUnsafe(ref sums, (nuint)(2 * sumStride)); a21.StoreUnsafe(ref sums, (nuint)(2 * sumStride + Block));
        a30.StoreUnsafe(ref sums, (nuint)(3 * sumStride)); a31.StoreUnsafe(ref sums, (nuint)(3 * sumStride + Block));
    }

    // ---- 256 bits: half a block per vector ----

    internal static void Dot256(ReadOnlySpan<byte> x, int xStride, ReadOnlySpan<sbyte> packed, Span<int> sums, int sumStride, int rows, int quads, int blocks)
    {
        ref byte x0 = ref MemoryMarshal.GetReference(x);
        ref sbyte w0 = ref MemoryMarshal.GetReference(packed);
        ref int s0 = ref MemoryMarshal.GetReference(sums);
        int r = 0;
        for (; r + 4 <= rows; r += 4)
            for (int b = 0; b < blocks; b++)
                Rows4Block1_256(ref Unsafe.Add(ref x0, r * xStride), xStride, ref Unsafe.Add(ref w0, b * quads * 64), quads, ref Unsafe.Add(ref s0, r * sumStride + b * Block), sumStride);
        for (; r < rows; r++)
        {
            int b = 0;
            for (; b + 2 <= blocks; b += 2) Row1Blocks2_256(ref Unsafe.Add(ref x0, r * xStride), ref Unsafe.Add(ref w0, b * quads * 64), quads, ref Unsafe.Add(ref s0, r * sumStride + b * Block));
            for (; b < blocks; b++) Row1Block1_256(ref Unsafe.Add(ref x0, r * xStride), ref Unsafe.Add(ref w0, b * quads * 64), quads, ref Unsafe.Add(ref s0, r * sumStride + b * Block));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Madd256(Vector256<int> sum, Vector256<byte> x, Vector256<sbyte> w) =>
        AvxVnni.IsSupported
            ? AvxVnni.MultiplyWideningAndAdd(sum, x, w)
            : Avx2.Add(sum, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, w), Vector256<short>.One));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Broadcast256(ref byte x, int q) => Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref x, q * Quad))).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Weights256(ref sbyte w, int offset) => Vector256.LoadUnsafe(ref w, (nuint)offset);

    private static void Row1Block1_256(ref byte x, ref sbyte w, int quads, ref int sums)
    {
        Vector256<int> lo = default, hi = default;
        for (int q = 0; q < quads; q++)
        {
            Vector256<byte> xq = Broadcast256(ref x, q);
            lo = Madd256(lo, xq, Weights256(ref w, q * 64));
            hi = Madd256(hi, xq, Weights256(ref w, q * 64 + 32));
        }
        lo.StoreUnsafe(ref sums);
        hi.StoreUnsafe(ref sums, 8);
    }

    private static void Row1Blocks2_256(ref byte x, ref sbyte w, int quads, ref int sums)
    {
        Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default;
        int stride = quads * 64;
        for (int q = 0; q < quads; q++)
        {
            Vector256<byte> xq = Broadcast256(ref x, q);
            a0 = Madd256(a0, xq, Weights256(ref w, q * 64));
            a1 = Madd256(a1, xq, Weights256(ref w, q * 64 + 32));
            a2 = Madd256(a2, xq, Weights256(ref w, stride + q * 64));
            a3 = Madd256(a3, xq, Weights256(ref w, stride + q * 64 + 32));
        }
        a0.StoreUnsafe(ref sums);
        a1.StoreUnsafe(ref sums, 8);
        a2.StoreUnsafe(ref sums, 16);
        a3.StoreUnsafe(ref sums, 24);
    }

    private static void Rows4Block1_256(ref byte x, int xStride, ref sbyte w, int quads, ref int sums, int sumStride)
    {
        Vector256<int> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        ref byte x1 = ref Unsafe.Add(ref x, xStride), x2 = ref Unsafe.Add(ref x, 2 * xStride), x3 = ref Unsafe.Add(ref x, 3 * xStride);
        for (int q = 0; q < quads; q++)
        {
            Vector256<sbyte> lo = Weights256(ref w, q * 64), hi = Weights256(ref w, q * 64 + 32);
            Vector256<byte> b0 = Broadcast256(ref x, q), b1 = Broadcast256(ref x1, q), b2 = Broadcast256(ref x2, q), b3 = Broadcast256(ref x3, q);
            a00 = Madd256(a00, b0, lo); a01 = Madd256(a01, b0, hi);
            a10 = Madd256(a10, b1, lo); a11 = Madd256(a11, b1, hi);
            a20 = Madd256(a20, b2, lo); a21 = Madd256(a21, b2, hi);
            a30 = Madd256(a30, b3, lo); a31 = Madd256(a31, b3, hi);
        }
        a00.StoreUnsafe(ref sums); a01.StoreUnsafe(ref sums, 8);
        a10.StoreUnsafe(ref sums, (nuint)sumStride); a11.StoreUnsafe(ref sums, (nuint)(sumStride + 8));
        a20.StoreUnsafe(ref sums, (nuint)(2 * sumStride)); a21.StoreUnsafe(ref sums, (nuint)(2 * sumStride + 8));
        a30.StoreUnsafe(ref sums, (nuint)(3 * sumStride)); a31.StoreUnsafe(ref sums, (nuint)(3 * sumStride + 8));
    }

    // ---- 128 bits: a quarter block per vector ----

    internal static void Dot128(ReadOnlySpan<byte> x, int xStride, ReadOnlySpan<sbyte> packed, Span<int> sums, int sumStride, int rows, int quads, int blocks)
    {
        ref byte x0 = ref MemoryMarshal.GetReference(x);
        ref sbyte w0 = ref MemoryMarshal.GetReference(packed);
        ref int s0 = ref MemoryMarshal.GetReference(sums);
        for (int r = 0; r < rows; r++)
        {
            int b = 0;
            for (; b + 2 <= blocks; b += 2) Row1Blocks2_128(ref Unsafe.Add(ref x0, r * xStride), ref Unsafe.Add(ref w0, b * quads * 64), quads, ref Unsafe.Add(ref s0, r * sumStride + b * Block));
            for (; b < blocks; b++) Row1Block1_128(ref Unsafe.Add(ref x0, r * xStride), ref Unsafe.Add(ref w0, b * quads * 64), quads, ref Unsafe.Add(ref s0, r * sumStride + b * Block));
        }
    }

    private static void Row1Block1_128(ref byte x, ref sbyte w, int quads, ref int sums)
    {
        Vector128<int> a0 = default, a1 = default, a2 = default, a3 = default;
        ref sbyte wq = ref w;
        ref byte xq = ref x;
        for (int q = 0; q < quads; q++)
        {
            Vector128<byte> b = Vector128.Create(Unsafe.ReadUnaligned<int>(ref xq)).AsByte();
            a0 = Madd128(a0, b, Vector128.LoadUnsafe(ref wq));
            a1 = Madd128(a1, b, Vector128.LoadUnsafe(ref wq, 16));
            a2 = Madd128(a2, b, Vector128.LoadUnsafe(ref wq, 32));
            a3 = Madd128(a3, b, Vector128.LoadUnsafe(ref wq, 48));
            wq = ref Unsafe.Add(ref wq, 64);
            xq = ref Unsafe.Add(ref xq, Quad);
        }
        a0.StoreUnsafe(ref sums); a1.StoreUnsafe(ref sums, 4); a2.StoreUnsafe(ref sums, 8); a3.StoreUnsafe(ref sums, 12);
    }

    private static void Row1Blocks2_128(ref byte x, ref sbyte w, int quads, ref int sums)
    {
        Vector128<int> a0 = default, a1 = default, a2 = default, a3 = default, c0 = default, c1 = default, c2 = default, c3 = default;
        nuint stride = (nuint)quads * 64;
        ref sbyte wq = ref w;
        ref byte xq = ref x;
        for (int q = 0; q < quads; q++)
        {
            Vector128<byte> b = Vector128.Create(Unsafe.ReadUnaligned<int>(ref xq)).AsByte();
            a0 = Madd128(a0, b, Vector128.LoadUnsafe(ref wq));
            a1 = Madd128(a1, b, Vector128.LoadUnsafe(ref wq, 16));
            a2 = Madd128(a2, b, Vector128.LoadUnsafe(ref wq, 32));
            a3 = Madd128(a3, b, Vector128.LoadUnsafe(ref wq, 48));
            c0 = Madd128(c0, b, Vector128.LoadUnsafe(ref wq, stride));
            c1 = Madd128(c1, b, Vector128.LoadUnsafe(ref wq, stride + 16));
            c2 = Madd128(c2, b, Vector128.LoadUnsafe(ref wq, stride + 32));
            c3 = Madd128(c3, b, Vector128.LoadUnsafe(ref wq, stride + 48));
            wq = ref Unsafe.Add(ref wq, 64);
            xq = ref Unsafe.Add(ref xq, Quad);
        }
        a0.StoreUnsafe(ref sums); a1.StoreUnsafe(ref sums, 4); a2.StoreUnsafe(ref sums, 8); a3.StoreUnsafe(ref sums, 12);
        c0.StoreUnsafe(ref sums, 16); c1.StoreUnsafe(ref sums, 20); c2.StoreUnsafe(ref sums, 24); c3.StoreUnsafe(ref sums, 28);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Madd128(Vector128<int> sum, Vector128<byte> x, Vector128<sbyte> w) =>
        Sse2.Add(sum, Sse2.MultiplyAddAdjacent(Ssse3.MultiplyAddAdjacent(x, w), Vector128<short>.One));
}
