using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace StaticNets.Kernels;

/// <summary>
/// Dense layers at inference, over weights packed for the kernel that reads them: column panels of
/// <see cref="PanelWidth"/> outputs (two vectors), each panel [in][PanelWidth] row-major and contiguous,
/// outputs zero-padded to a whole panel. Every step of the inner loop broadcasts one input value and
/// multiplies it into two vectors of outputs, so no horizontal sums remain, and a batch reads each panel once
/// per 8 samples (16 accumulators) with those samples' inputs in L1. Narrow layers (fewer than four panels)
/// split the inputs four ways instead, so one sample does not wait on the FMA latency. A BatchNorm in eval mode folds in
/// while packing (per-output scale and shift). The generator keeps the packed copy in the network's
/// inference block, sized with <see cref="PackedLength"/>, and repacks it when parameters may have changed.
/// </summary>
public static class PackedDenseKernels
{
    /// <summary>The widest panel on any hardware; the generator sizes packed blocks with it.</summary>
    public const int MaxPanelWidth = SharedLayout.MaxPanelWidth;

    /// <summary>Outputs per panel on this machine: two vectors of the widest accelerated width.</summary>
    public static int PanelWidth => 2 * Simd.Width;

    /// <summary>Outputs rounded up to whole panels of the widest width (the packed bias length).</summary>
    public static int PaddedOutputs(int outSize) => (outSize + MaxPanelWidth - 1) / MaxPanelWidth * MaxPanelWidth;

    /// <summary>Floats the packed weights of an [outSize, inSize] layer take on any hardware.</summary>
    public static int PackedLength(int inSize, int outSize) => inSize * PaddedOutputs(outSize);

    /// <summary>
    /// Packs W [out, in] and b [out] as packed[k, j] = scale[j]·W[j, k] and packedBias[j] = scale[j]·b[j] + shift[j].
    /// <paramref name="bias"/>, <paramref name="scale"/> (1) and <paramref name="shift"/> (0) may be empty;
    /// a BatchNorm folds in with scale = γ/√(var + ε) and shift = β − scale·mean.
    /// </summary>
    public static void Pack(ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift,
        Span<float> packedWeights, Span<float> packedBias, int inSize, int outSize)
    {
        if (weights.Length != inSize * outSize) ThrowSize(nameof(weights), weights.Length, inSize * outSize);
        if (!bias.IsEmpty && bias.Length != outSize) ThrowSize(nameof(bias), bias.Length, outSize);
        if (!scale.IsEmpty && scale.Length != outSize) ThrowSize(nameof(scale), scale.Length, outSize);
        if (!shift.IsEmpty && shift.Length != outSize) ThrowSize(nameof(shift), shift.Length, outSize);
        CheckPacked(packedWeights.Length, packedBias.Length, inSize, outSize);
        packedBias.Clear();
        for (int j = 0; j < outSize; j++)
            packedBias[j] = (scale.IsEmpty ? 1f : scale[j]) * (bias.IsEmpty ? 0f : bias[j]) + (shift.IsEmpty ? 0f : shift[j]);
        // Panel by panel, in blocks of inputs small enough that the block of the packed panel (the strided
        // writes) stays in L1 while each of the panel's rows is read in order.
        const int Block = 64;
        int width = PanelWidth, at = 0;
        for (int first = 0; first < outSize; first += width, at += inSize * width)
        {
            int columns = Math.Min(width, outSize - first);
            Span<float> panel = packedWeights.Slice(at, inSize * width);
            if (columns < width) panel.Clear();
            for (int k0 = 0; k0 < inSize; k0 += Block)
            {
                int count = Math.Min(Block, inSize - k0);
                for (int c = 0; c < columns; c++)
                {
                    float s = scale.IsEmpty ? 1f : scale[first + c];
                    ReadOnlySpan<float> row = weights.Slice((first + c) * inSize + k0, count);
                    Span<float> column = panel.Slice(k0 * width + c);
                    for (int k = 0; k < row.Length; k++)
                        column[k * width] = s * row[k];
                }
            }
        }
        packedWeights[at..].Clear();
    }

    /// <summary>a = f(x Wᵀ + b) for <paramref name="batch"/> rows, from weights packed by <see cref="Pack"/>.</summary>
    // Inlined with ForwardRows into generated code, whose sizes are literals: the size checks and the choice of kernel
    // then fold away, which matters when a whole layer takes tens of nanoseconds.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Forward<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> packedBias, Span<float> a,
        int batch, int inSize, int outSize, TAct activation) where TAct : struct, IActivation
    {
        var layer = Checked(x, packedWeights, packedBias, a, batch, inSize, outSize);
        if (Vector512.IsHardwareAccelerated) ForwardRows<TAct, Simd512>(layer, batch, activation);
        else if (Vector256.IsHardwareAccelerated) ForwardRows<TAct, Simd256>(layer, batch, activation);
        else if (Vector128.IsHardwareAccelerated) ForwardRows<TAct, Simd128>(layer, batch, activation);
        else ForwardRows<TAct, Scalar>(layer, batch, activation);
    }

    /// <summary><see cref="Forward"/> for one sample: the same sums, bit for bit.</summary>
    // What a generated Predict calls: inlined, it brings in only the one-sample kernels, not the batch kernels that
    // a constant batch of 1 would leave as dead code, which still counts against the JIT's inlining budget.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ForwardOne<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> packedBias, Span<float> a,
        int inSize, int outSize, TAct activation) where TAct : struct, IActivation
    {
        var layer = Checked(x, packedWeights, packedBias, a, 1, inSize, outSize);
        if (Vector512.IsHardwareAccelerated) Row1<TAct, Simd512>(layer, 0, activation);
        else if (Vector256.IsHardwareAccelerated) Row1<TAct, Simd256>(layer, 0, activation);
        else if (Simd128Aligned.Helps) Row1Pinned(layer, activation);
        else if (Vector128.IsHardwareAccelerated) Row1<TAct, Simd128>(layer, 0, activation);
        else Row1<TAct, Scalar>(layer, 0, activation);
    }

    // SSE without VEX: aligned loads fold into the multiplies (see Simd128Aligned). The weights are pinned while the
    // kernel runs, so the address checked is the address read; blocks from AlignedArrays are always aligned.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void Row1Pinned<TAct>(in Packed l, TAct activation) where TAct : struct, IActivation
    {
        fixed (float* weights = &l.W)
        {
            if (((nuint)weights & 15) == 0) Row1<TAct, Simd128Aligned>(l, 0, activation);
            else Row1<TAct, Simd128>(l, 0, activation);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Packed Checked(ReadOnlySpan<float> x, ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> packedBias, Span<float> a,
        int batch, int inSize, int outSize)
    {
        if (x.Length != batch * inSize) ThrowSize("input", x.Length, batch * inSize);
        if (a.Length != batch * outSize) ThrowSize("output", a.Length, batch * outSize);
        CheckPacked(packedWeights.Length, packedBias.Length, inSize, outSize);
        return new Packed(x, packedWeights, packedBias, a, inSize, outSize);
    }

    private readonly ref struct Packed(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> a, int inSize, int outSize)
    {
        public readonly ref float X = ref MemoryMarshal.GetReference(x);
        public readonly ref float W = ref MemoryMarshal.GetReference(w);
        public readonly ref float B = ref MemoryMarshal.GetReference(b);
        public readonly ref float A = ref MemoryMarshal.GetReference(a);
        public readonly int In = inSize, Out = outSize;
    }

    [InlineArray(MaxPanelWidth)]
    private struct Panel
    {
        private float _element;
    }

    // Summation order depends only on the layer's width, never on the batch: a sample gets bit-identical
    // outputs alone or in any batch. Wide layers (four panels or more) sum inputs in order from the bias;
    // narrow ones split the inputs four ways, which hides the FMA latency a single panel would expose.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ForwardRows<TAct, TV>(in Packed l, int batch, TAct activation) where TAct : struct, IActivation where TV : struct, ISimd<TV>
    {
        int width = 2 * TV.Count, panels = (l.Out + width - 1) / width;
        int r = 0;
        if (panels >= 4)
        {
            int blocks = batch / 8 * 8;
            for (int p = 0; p < panels; p++)
                for (r = 0; r < blocks; r += 8)
                    Rows8<TAct, TV>(l, r, p, activation);
        }
        else
        {
            for (; r + 2 <= batch; r += 2)
                for (int p = 0; p < panels; p++)
                    Rows2Split<TAct, TV>(l, r, p, activation);
        }
        for (; r < batch; r++)
            Row1<TAct, TV>(l, r, activation);
    }

    // Row r alone, with the kernel ForwardRows uses for the rows its blocks leave over.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row1<TAct, TV>(in Packed l, int r, TAct activation) where TAct : struct, IActivation where TV : struct, ISimd<TV>
    {
        int width = 2 * TV.Count, panels = (l.Out + width - 1) / width;
        if (panels >= 4)
        {
            for (int p = 0; p < panels; p += 4)
                Row1Panels4<TAct, TV>(l, r, Math.Min(p, panels - 4), activation); // the last group may overlap: same sums again
        }
        else
        {
            for (int p = 0; p < panels; p++)
                Row1Split<TAct, TV>(l, r, p, activation);
        }
    }

    // 8 samples × one panel: per input, two loads and eight broadcasts feed 16 FMAs.
    private static void Rows8<TAct, TV>(in Packed l, int r, int p, TAct activation) where TAct : struct, IActivation where TV : struct, ISimd<TV>
    {
        int n = l.In, w = TV.Count;
        ref float bias = ref Unsafe.Add(ref l.B, p * 2 * w);
        TV b0 = TV.Load(ref bias, 0), b1 = TV.Load(ref bias, (nuint)w);
        TV c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1, c30 = b0, c31 = b1;
        TV c40 = b0, c41 = b1, c50 = b0, c51 = b1, c60 = b0, c61 = b1, c70 = b0, c71 = b1;
        ref float wk = ref Unsafe.Add(ref l.W, p * n * 2 * w);
        ref float x0 = ref Unsafe.Add(ref l.X, r * n), x1 = ref Unsafe.Add(ref x0, n), x2 = ref Unsafe.Add(ref x1, n), x3 = ref Unsafe.Add(ref x2, n);
        ref float x4 = ref Unsafe.Add(ref x3, n), x5 = ref Unsafe.Add(ref x4, n), x6 = ref Unsafe.Add(ref x5, n), x7 = ref Unsafe.Add(ref x6, n);
        for (nint k = 0; k < n; k++)
        {
            TV v0 = TV.Load(ref wk, 0), v1 = TV.Load(ref wk, (nuint)w);
            TV s = TV.Broadcast(Unsafe.Add(ref x0, k));
            c00 = TV.MultiplyAdd(v0, s, c00); c01 = TV.MultiplyAdd(v1, s, c01);
            s = TV.Broadcast(Unsafe.Add(ref x1, k));
            c10 = TV.MultiplyAdd(v0, s, c10); c11 = TV.MultiplyAdd(v1, s, c11);
            s = TV.Broadcast(Unsafe.Add(ref x2, k));
            c20 = TV.MultiplyAdd(v0, s, c20); c21 = TV.MultiplyAdd(v1, s, c21);
            s = TV.Broadcast(Unsafe.Add(ref x3, k));
            c30 = TV.MultiplyAdd(v0, s, c30); c31 = TV.MultiplyAdd(v1, s, c31);
            s = TV.Broadcast(Unsafe.Add(ref x4, k));
            c40 = TV.MultiplyAdd(v0, s, c40); c41 = TV.MultiplyAdd(v1, s, c41);
            s = TV.Broadcast(Unsafe.Add(ref x5, k));
            c50 = TV.MultiplyAdd(v0, s, c50); c51 = TV.MultiplyAdd(v1, s, c51);
            s = TV.Broadcast(Unsafe.Add(ref x6, k));
            c60 = TV.MultiplyAdd(v0, s, c60); c61 = TV.MultiplyAdd(v1, s, c61);
            s = TV.Broadcast(Unsafe.Add(ref x7, k));
            c70 = TV.MultiplyAdd(v0, s, c70); c71 = TV.MultiplyAdd(v1, s, c71);
            wk = ref Unsafe.Add(ref wk, 2 * w);
        }
        Store(l, r, p, c00, c01, activation); Store(l, r + 1, p, c10, c11, activation);
        Store(l, r + 2, p, c20, c21, activation); Store(l, r + 3, p, c30, c31, activation);
        Store(l, r + 4, p, c40, c41, activation); Store(l, r + 5, p, c50, c51, activation);
        Store(l, r + 6, p, c60, c61, activation); Store(l, r + 7, p, c70, c71, activation);
    }

    // One sample × four panels: eight independent accumulators hide the FMA latency; weights stream from L2.
    private static void Row1Panels4<TAct, TV>(in Packed l, int r, int p, TAct activation) where TAct : struct, IActivation where TV : struct, ISimd<TV>
    {
        int n = l.In, w = TV.Count, panel = n * 2 * w;
        ref float bias = ref Unsafe.Add(ref l.B, p * 2 * w);
        TV c00 = TV.Load(ref bias, 0), c01 = TV.Load(ref bias, (nuint)w), c10 = TV.Load(ref bias, (nuint)(2 * w)), c11 = TV.Load(ref bias, (nuint)(3 * w));
        TV c20 = TV.Load(ref bias, (nuint)(4 * w)), c21 = TV.Load(ref bias, (nuint)(5 * w)), c30 = TV.Load(ref bias, (nuint)(6 * w)), c31 = TV.Load(ref bias, (nuint)(7 * w));
        ref float w0 = ref Unsafe.Add(ref l.W, p * panel);
        ref float w1 = ref Unsafe.Add(ref w0, panel), w2 = ref Unsafe.Add(ref w0, 2 * panel), w3 = ref Unsafe.Add(ref w0, 3 * panel);
        ref float x = ref Unsafe.Add(ref l.X, r * n);
        // The offset grows by a panel row per input, not recomputed from k: in 128-bit code without FMA the loop is bound
        // by instructions, and the multiply and sign extension were a sixth of them.
        nuint at = 0, step = (nuint)(2 * w), half = (nuint)w;
        nint k = 0;
        for (; k + 2 <= n; k += 2, at += 2 * step)
        {
            TV s = TV.Broadcast(Unsafe.Add(ref x, k));
            nuint next = at + half;
            c00 = TV.MultiplyAddLoad(s, ref w0, at, c00); c01 = TV.MultiplyAddLoad(s, ref w0, next, c01);
            c10 = TV.MultiplyAddLoad(s, ref w1, at, c10); c11 = TV.MultiplyAddLoad(s, ref w1, next, c11);
            c20 = TV.MultiplyAddLoad(s, ref w2, at, c20); c21 = TV.MultiplyAddLoad(s, ref w2, next, c21);
            c30 = TV.MultiplyAddLoad(s, ref w3, at, c30); c31 = TV.MultiplyAddLoad(s, ref w3, next, c31);
            s = TV.Broadcast(Unsafe.Add(ref x, k + 1));
            nuint second = at + step, secondNext = second + half;
            c00 = TV.MultiplyAddLoad(s, ref w0, second, c00); c01 = TV.MultiplyAddLoad(s, ref w0, secondNext, c01);
            c10 = TV.MultiplyAddLoad(s, ref w1, second, c10); c11 = TV.MultiplyAddLoad(s, ref w1, secondNext, c11);
            c20 = TV.MultiplyAddLoad(s, ref w2, second, c20); c21 = TV.MultiplyAddLoad(s, ref w2, secondNext, c21);
            c30 = TV.MultiplyAddLoad(s, ref w3, second, c30); c31 = TV.MultiplyAddLoad(s, ref w3, secondNext, c31);
        }
        if (k < n)
        {
            TV s = TV.Broadcast(Unsafe.Add(ref x, k));
            nuint next = at + half;
            c00 = TV.MultiplyAddLoad(s, ref w0, at, c00); c01 = TV.MultiplyAddLoad(s, ref w0, next, c01);
            c10 = TV.MultiplyAddLoad(s, ref w1, at, c10); c11 = TV.MultiplyAddLoad(s, ref w1, next, c11);
            c20 = TV.MultiplyAddLoad(s, ref w2, at, c20); c21 = TV.MultiplyAddLoad(s, ref w2, next, c21);
            c30 = TV.MultiplyAddLoad(s, ref w3, at, c30); c31 = TV.MultiplyAddLoad(s, ref w3, next, c31);
        }
        Store(l, r, p, c00, c01, activation); Store(l, r, p + 1, c10, c11, activation);
        Store(l, r, p + 2, c20, c21, activation); Store(l, r, p + 3, c30, c31, activation);
    }

    // One sample × one panel, inputs split four ways (k mod 4), eight accumulators. Inlined, so a small network's
    // prediction runs its narrow layers without a call each.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row1Split<TAct, TV>(in Packed l, int r, int p, TAct activation) where TAct : struct, IActivation where TV : struct, ISimd<TV>
    {
        int n = l.In, w = TV.Count, step = 2 * w;
        ref float bias = ref Unsafe.Add(ref l.B, p * step);
        TV c00 = TV.Load(ref bias, 0), c01 = TV.Load(ref bias, (nuint)w);
        TV c10 = TV.Zero, c11 = c10, c20 = c10, c21 = c10, c30 = c10, c31 = c10;
        ref float wk = ref Unsafe.Add(ref l.W, p * n * step);
        ref float x = ref Unsafe.Add(ref l.X, r * n);
        int k = 0;
        for (; k + 4 <= n; k += 4)
        {
            nuint at = (nuint)(k * step);
            TV s = TV.Broadcast(Unsafe.Add(ref x, k));
            c00 = TV.MultiplyAddLoad(s, ref wk, at, c00); c01 = TV.MultiplyAddLoad(s, ref wk, at + (nuint)w, c01);
            s = TV.Broadcast(Unsafe.Add(ref x, k + 1));
            c10 = TV.MultiplyAddLoad(s, ref wk, at + (nuint)step, c10); c11 = TV.MultiplyAddLoad(s, ref wk, at + (nuint)(step + w), c11);
            s = TV.Broadcast(Unsafe.Add(ref x, k + 2));
            c20 = TV.MultiplyAddLoad(s, ref wk, at + (nuint)(2 * step), c20); c21 = TV.MultiplyAddLoad(s, ref wk, at + (nuint)(2 * step + w), c21);
            s = TV.Broadcast(Unsafe.Add(ref x, k + 3));
            c30 = TV.MultiplyAddLoad(s, ref wk, at + (nuint)(3 * step), c30); c31 = TV.MultiplyAddLoad(s, ref wk, at + (nuint)(3 * step + w), c31);
        }
        for (; k < n; k++)
        {
            nuint at = (nuint)(k * step);
            TV s = TV.Broadcast(Unsafe.Add(ref x, k));
            c00 = TV.MultiplyAddLoad(s, ref wk, at, c00); c01 = TV.MultiplyAddLoad(s, ref wk, at + (nuint)w, c01);
        }
        Store(l, r, p, TV.Add(TV.Add(c00, c10), TV.Add(c20, c30)), TV.Add(TV.Add(c01, c11), TV.Add(c21, c31)), activation);
    }

    // Two samples × one panel, the same four-way split as Row1Split (16 accumulators, each weight load used twice).
    private static void Rows2Split<TAct, TV>(in Packed l, int r, int p, TAct activation) where TAct : struct, IActivation where TV : struct, ISimd<TV>
    {
        int n = l.In, w = TV.Count, step = 2 * w;
        ref float bias = ref Unsafe.Add(ref l.B, p * step);
        TV a00 = TV.Load(ref bias, 0), a01 = TV.Load(ref bias, (nuint)w), b00 = a00, b01 = a01;
        TV a10 = TV.Zero, a11 = a10, a20 = a10, a21 = a10, a30 = a10, a31 = a10;
        TV b10 = a10, b11 = a10, b20 = a10, b21 = a10, b30 = a10, b31 = a10;
        ref float wk = ref Unsafe.Add(ref l.W, p * n * step);
        ref float x = ref Unsafe.Add(ref l.X, r * n), y = ref Unsafe.Add(ref x, n);
        int k = 0;
        for (; k + 4 <= n; k += 4)
        {
            nuint at = (nuint)(k * step);
            TV v0 = TV.Load(ref wk, at), v1 = TV.Load(ref wk, at + (nuint)w);
            a00 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref x, k)), v0, a00); a01 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref x, k)), v1, a01);
            b00 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref y, k)), v0, b00); b01 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref y, k)), v1, b01);
            v0 = TV.Load(ref wk, at + (nuint)step); v1 = TV.Load(ref wk, at + (nuint)(step + w));
            a10 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref x, k + 1)), v0, a10); a11 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref x, k + 1)), v1, a11);
            b10 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref y, k + 1)), v0, b10); b11 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref y, k + 1)), v1, b11);
            v0 = TV.Load(ref wk, at + (nuint)(2 * step)); v1 = TV.Load(ref wk, at + (nuint)(2 * step + w));
            a20 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref x, k + 2)), v0, a20); a21 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref x, k + 2)), v1, a21);
            b20 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref y, k + 2)), v0, b20); b21 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref y, k + 2)), v1, b21);
            v0 = TV.Load(ref wk, at + (nuint)(3 * step)); v1 = TV.Load(ref wk, at + (nuint)(3 * step + w));
            a30 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref x, k + 3)), v0, a30); a31 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref x, k + 3)), v1, a31);
            b30 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref y, k + 3)), v0, b30); b31 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref y, k + 3)), v1, b31);
        }
        for (; k < n; k++)
        {
            nuint at = (nuint)(k * step);
            TV v0 = TV.Load(ref wk, at), v1 = TV.Load(ref wk, at + (nuint)w);
            a00 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref x, k)), v0, a00); a01 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref x, k)), v1, a01);
            b00 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref y, k)), v0, b00); b01 = TV.MultiplyAdd(TV.Broadcast(Unsafe.Add(ref y, k)), v1, b01);
        }
        Store(l, r, p, TV.Add(TV.Add(a00, a10), TV.Add(a20, a30)), TV.Add(TV.Add(a01, a11), TV.Add(a21, a31)), activation);
        Store(l, r + 1, p, TV.Add(TV.Add(b00, b10), TV.Add(b20, b30)), TV.Add(TV.Add(b01, b11), TV.Add(b21, b31)), activation);
    }

    // Whole panels through the activation's vector form; the partial last panel through a stack copy, value by value.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TAct, TV>(in Packed l, int r, int p, TV low, TV high, TAct activation) where TAct : struct, IActivation where TV : struct, ISimd<TV>
    {
        int w = TV.Count, j = p * 2 * w, count = Math.Min(2 * w, l.Out - j);
        ref float a = ref Unsafe.Add(ref l.A, r * l.Out + j);
        if (count == 2 * w)
        {
            TV.Store(activation.Forward(low), ref a, 0);
            TV.Store(activation.Forward(high), ref a, (nuint)w);
            return;
        }
        var panel = new Panel();
        ref float t = ref panel[0];
        TV.Store(low, ref t, 0);
        TV.Store(high, ref t, (nuint)w);
        for (int i = 0; i < count; i++)
            Unsafe.Add(ref a, i) = activation.Forward(Unsafe.Add(ref t, i));
    }

    private static void CheckPacked(int weightsLength, int biasLength, int inSize, int outSize)
    {
        if (weightsLength != PackedLength(inSize, outSize)) ThrowSize("packedWeights", weightsLength, PackedLength(inSize, outSize));
        if (biasLength != PaddedOutputs(outSize)) ThrowSize("packedBias", biasLength, PaddedOutputs(outSize));
    }

    private static void ThrowSize(string name, int length, int expected) =>
        throw new ArgumentException($"{name} has {length} values; the packed layer needs {expected}.", name);
}
