using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace StaticNets.Kernels;

/// <summary>
/// The geometry of a 2-D convolution over NCHW samples: input channels × height × width, output channels, kernel,
/// stride and zero padding (PyTorch's Conv2d with dilation 1 and groups 1). Weights are [out, in, kh, kw].
/// </summary>
public readonly struct ConvolutionShape
{
    /// <summary>Checks that the kernel fits the padded input; the generator checks the same at compile time.</summary>
    public ConvolutionShape(int inChannels, int height, int width, int outChannels, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int paddingHeight, int paddingWidth)
    {
        if (inChannels < 1 || height < 1 || width < 1 || outChannels < 1 || kernelHeight < 1 || kernelWidth < 1 || strideHeight < 1 || strideWidth < 1
            || paddingHeight < 0 || paddingWidth < 0 || kernelHeight > height + 2 * paddingHeight || kernelWidth > width + 2 * paddingWidth)
            throw new ArgumentException($"no convolution of a {kernelHeight}×{kernelWidth} kernel, stride {strideHeight}×{strideWidth} and padding {paddingHeight}×{paddingWidth} over {inChannels}×{height}×{width} into {outChannels} channels.");
        InChannels = inChannels; Height = height; Width = width; OutChannels = outChannels;
        KernelHeight = kernelHeight; KernelWidth = kernelWidth; StrideHeight = strideHeight; StrideWidth = strideWidth;
        PaddingHeight = paddingHeight; PaddingWidth = paddingWidth;
        OutHeight = (height + 2 * paddingHeight - kernelHeight) / strideHeight + 1;
        OutWidth = (width + 2 * paddingWidth - kernelWidth) / strideWidth + 1;
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }
    /// <summary>Input rows.</summary>
    public int Height { get; }
    /// <summary>Input columns.</summary>
    public int Width { get; }
    /// <summary>Output channels (filters).</summary>
    public int OutChannels { get; }
    /// <summary>Kernel rows.</summary>
    public int KernelHeight { get; }
    /// <summary>Kernel columns.</summary>
    public int KernelWidth { get; }
    /// <summary>Step between windows, in rows.</summary>
    public int StrideHeight { get; }
    /// <summary>Step between windows, in columns.</summary>
    public int StrideWidth { get; }
    /// <summary>Zero rows added above and below.</summary>
    public int PaddingHeight { get; }
    /// <summary>Zero columns added left and right.</summary>
    public int PaddingWidth { get; }
    /// <summary>Output rows.</summary>
    public int OutHeight { get; }
    /// <summary>Output columns.</summary>
    public int OutWidth { get; }

    /// <summary>Output positions per channel.</summary>
    public int Positions => OutHeight * OutWidth;

    /// <summary>Inputs one output value reads: in × kh × kw (the weight matrix's columns).</summary>
    public int Patch => InChannels * KernelHeight * KernelWidth;

    /// <summary>Input values per sample.</summary>
    public int InSize => InChannels * Height * Width;

    /// <summary>Output values per sample.</summary>
    public int OutSize => OutChannels * Positions;

    /// <summary>A 1×1 kernel with stride 1 and no padding: the input is its own column matrix.</summary>
    public bool IsPointwise => KernelHeight == 1 && KernelWidth == 1 && StrideHeight == 1 && StrideWidth == 1 && PaddingHeight == 0 && PaddingWidth == 0;

    /// <summary>
    /// Samples per matrix product: enough that a product has at least 256 columns (a small image's positions alone
    /// leave the vector blocks mostly idle), at most 16.
    /// </summary>
    public int SamplesPerProduct => Math.Clamp((256 + Positions - 1) / Positions, 1, 16);

    /// <summary>Floats of scratch one sample's inference needs: its column matrix (none for a pointwise convolution).</summary>
    public int InferenceScratchLength => IsPointwise ? 0 : Patch * Positions;

    /// <summary>Floats of scratch a batch's inference needs: the columns and outputs of <see cref="SamplesPerProduct"/> samples.</summary>
    public int BatchScratchLength => SamplesPerProduct == 1 ? InferenceScratchLength : (Patch + OutChannels) * Positions * SamplesPerProduct;

    /// <summary>
    /// Floats of scratch training needs: a group's columns and dz (gathered, or transposed), and the weight gradient
    /// transposed.
    /// </summary>
    public int ScratchLength => (Patch + OutChannels) * Positions * SamplesPerProduct + Patch * OutChannels;

    /// <summary>The scratch <paramref name="batch"/> samples need at inference.</summary>
    public int ScratchFor(int batch) => batch == 1 ? InferenceScratchLength : BatchScratchLength;
}

/// <summary>
/// Convolution through the matrix-multiply core, sample by sample: the sample's patches are laid out as a column matrix
/// cols [in·kh·kw, positions] (im2col, rows copied whole where the stride is 1), then Y = W·cols on the register-blocked
/// outer-product kernel, bias and activation in one vector pass per channel. Backward: dWᵀ += cols·dYᵀ and dcols = Wᵀ·dY
/// on the same kernel (dY transposed for the first), dcols summed back into dx (col2im).
/// Loop orders are fixed: results are bit-identical run to run, and a sample's output does not depend on its batch.
/// </summary>
public static class ConvolutionKernels
{
    /// <summary>
    /// z = W ∗ x + b, a = f(z) for <paramref name="batch"/> samples. <paramref name="bias"/> and <paramref name="z"/> may be
    /// empty; <paramref name="scratch"/> holds at least <see cref="ConvolutionShape.ScratchFor"/>(batch) floats.
    /// </summary>
    public static void Forward<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> z, Span<float> a,
        Span<float> scratch, int batch, ConvolutionShape s, TAct activation) where TAct : struct, IActivation
    {
        Check(x.Length, batch * s.InSize, "x");
        Check(weights.Length, s.OutChannels * s.Patch, "weights");
        Check(a.Length, batch * s.OutSize, "a");
        if (!bias.IsEmpty) Check(bias.Length, s.OutChannels, "bias");
        if (!z.IsEmpty) Check(z.Length, batch * s.OutSize, "z");
        if (scratch.Length < s.ScratchFor(batch)) Check(scratch.Length, s.ScratchFor(batch), "scratch");
        int p = s.Positions, group = batch == 1 ? 1 : s.SamplesPerProduct;
        for (int r0 = 0; r0 < batch; r0 += group)
        {
            int n = Math.Min(group, batch - r0), width = n * p;
            // Y[co, (sample, p)] = Σ_k W[co, k]·cols[k, (sample, p)]: C = Y, A(k, m = co) = W, B = the group's columns.
            ReadOnlySpan<float> cols = n == 1 && s.IsPointwise ? x.Slice(r0 * s.InSize, s.InSize) : GroupColumns(x, r0, n, scratch, s);
            Span<float> y = n == 1
                ? (z.IsEmpty ? a : z).Slice(r0 * s.OutSize, s.OutSize)
                : scratch.Slice(s.Patch * width, s.OutChannels * width);
            MatrixMultiply.Run(new MatrixProduct(weights, aStrideK: 1, aStrideM: s.Patch, cols, width, y, width, kCount: s.Patch, mCount: s.OutChannels, width, accumulate: false));
            for (int i = 0; i < n; i++)
                for (int c = 0; c < s.OutChannels; c++)
                {
                    int at = (r0 + i) * s.OutSize + c * p;
                    VectorLoop.Run(new BiasActivation<TAct>(y.Slice(c * width + i * p, p), bias.IsEmpty ? 0f : bias[c],
                        z.IsEmpty ? default : z.Slice(at, p), a.Slice(at, p), activation));
                }
        }
    }

    /// <summary>
    /// This batch's weight and bias gradients from dz (the gradient at z): dW = Σ over samples of dz·colsᵀ, db = Σ dz per
    /// channel; written, or added with <paramref name="accumulate"/>. <paramref name="biasGradient"/> may be empty.
    /// </summary>
    public static void BackwardParameters(ReadOnlySpan<float> dz, ReadOnlySpan<float> x, Span<float> weightGradient, Span<float> biasGradient,
        Span<float> scratch, int batch, ConvolutionShape s, bool accumulate = false)
    {
        Check(dz.Length, batch * s.OutSize, "dz");
        Check(x.Length, batch * s.InSize, "x");
        Check(weightGradient.Length, s.OutChannels * s.Patch, "weightGradient");
        if (!biasGradient.IsEmpty) Check(biasGradient.Length, s.OutChannels, "biasGradient");
        if (scratch.Length < s.ScratchLength) Check(scratch.Length, s.ScratchLength, "scratch");
        int p = s.Positions, group = s.SamplesPerProduct, most = group * p, channels = s.OutChannels;
        Span<float> dzT = scratch.Slice(s.Patch * most, channels * most), sumT = scratch.Slice((s.Patch + channels) * most, s.Patch * channels);
        for (int r0 = 0; r0 < batch; r0 += group)
        {
            int n = Math.Min(group, batch - r0), width = n * p;
            ReadOnlySpan<float> cols = GroupColumns(x, r0, n, scratch, s);
            for (int i = 0; i < n; i++) Transpose8x8.Matrix(dz.Slice((r0 + i) * s.OutSize, s.OutSize), channels, p, dzT.Slice(i * s.OutSize, s.OutSize));
            // dWᵀ[k, co] (+)= Σ_(sample, p) cols[k, (sample, p)]·dz[co, (sample, p)], as the outer-product kernel wants it:
            // C = dWᵀ, A(k = (sample, p), m = k) = the columns as they are, B = dzᵀ ([(sample, p), co]: channels side by side).
            MatrixMultiply.Run(new MatrixProduct(cols, aStrideK: 1, aStrideM: width, dzT, channels, sumT, channels,
                kCount: width, mCount: s.Patch, channels, accumulate: r0 > 0));
        }
        for (int co = 0; co < channels; co++)
        {
            Span<float> row = weightGradient.Slice(co * s.Patch, s.Patch);
            if (accumulate)
                for (int k = 0; k < row.Length; k++) row[k] += sumT[k * channels + co];
            else
                for (int k = 0; k < row.Length; k++) row[k] = sumT[k * channels + co];
        }
        if (biasGradient.IsEmpty) return;
        for (int c = 0; c < s.OutChannels; c++)
        {
            float sum = accumulate ? biasGradient[c] : 0f;
            for (int r = 0; r < batch; r++) sum += TensorPrimitives.Sum(dz.Slice(r * s.OutSize + c * p, p));
            biasGradient[c] = sum;
        }
    }

    /// <summary>dx = the gradient at the input: Wᵀ·dz per sample, summed back over the patches each input value is in (overwrites dx).</summary>
    public static void BackwardInput(ReadOnlySpan<float> dz, ReadOnlySpan<float> weights, Span<float> dx, Span<float> scratch, int batch, ConvolutionShape s)
    {
        Check(dz.Length, batch * s.OutSize, "dz");
        Check(weights.Length, s.OutChannels * s.Patch, "weights");
        Check(dx.Length, batch * s.InSize, "dx");
        if (scratch.Length < s.ScratchFor(batch)) Check(scratch.Length, s.ScratchFor(batch), "scratch");
        int p = s.Positions, group = batch == 1 ? 1 : s.SamplesPerProduct;
        for (int r0 = 0; r0 < batch; r0 += group)
        {
            int n = Math.Min(group, batch - r0), width = n * p;
            ReadOnlySpan<float> dzGroup = dz.Slice(r0 * s.OutSize, s.OutSize);
            if (n > 1)
            {
                Span<float> gathered = scratch.Slice(s.Patch * width, s.OutChannels * width);
                Gather(dz, r0, n, gathered, s);
                dzGroup = gathered;
            }
            Span<float> dxGroup = dx.Slice(r0 * s.InSize, n * s.InSize);
            bool direct = n == 1 && s.IsPointwise;
            Span<float> dcols = direct ? dxGroup : scratch.Slice(0, s.Patch * width);
            // dcols[k, (sample, p)] = Σ_co W[co, k]·dz[co, (sample, p)]: C = dcols, A(k = co, m = k) = W, B = dz gathered.
            MatrixMultiply.Run(new MatrixProduct(weights, aStrideK: s.Patch, aStrideM: 1, dzGroup, width, dcols, width, kCount: s.OutChannels, mCount: s.Patch, width, accumulate: false));
            if (direct) continue;
            dxGroup.Clear();
            for (int i = 0; i < n; i++) SumColumns(dcols, i * p, width, dx.Slice((r0 + i) * s.InSize, s.InSize), s);
        }
    }

    // The column matrix of samples r0 .. r0 + n − 1 side by side: cols[k, i·positions + p] for sample i.
    private static ReadOnlySpan<float> GroupColumns(ReadOnlySpan<float> x, int r0, int n, Span<float> scratch, in ConvolutionShape s)
    {
        int width = n * s.Positions;
        Span<float> cols = scratch.Slice(0, s.Patch * width);
        for (int i = 0; i < n; i++) Columns(x.Slice((r0 + i) * s.InSize, s.InSize), cols, i * s.Positions, width, s);
        return cols;
    }

    // dz of samples r0 .. r0 + n − 1 as [channel, (sample, position)], the layout the group's product reads.
    private static void Gather(ReadOnlySpan<float> dz, int r0, int n, Span<float> group, in ConvolutionShape s)
    {
        int p = s.Positions, width = n * p;
        for (int i = 0; i < n; i++)
            for (int c = 0; c < s.OutChannels; c++)
                dz.Slice((r0 + i) * s.OutSize + c * p, p).CopyTo(group.Slice(c * width + i * p, p));
    }

    // cols[(ci·kh + i)·kw + j, offset + oy·ow + ox] = x[ci, oy·sh − ph + i, ox·sw − pw + j], 0 outside the input; rows
    // of `stride` floats.
    private static void Columns(ReadOnlySpan<float> x, Span<float> cols, int offset, int stride, in ConvolutionShape s)
    {
        int p = s.Positions;
        for (int ci = 0, k = 0; ci < s.InChannels; ci++)
            for (int i = 0; i < s.KernelHeight; i++)
                for (int j = 0; j < s.KernelWidth; j++, k++)
                {
                    Span<float> row = cols.Slice(k * stride + offset, p);
                    for (int oy = 0; oy < s.OutHeight; oy++)
                    {
                        Span<float> segment = row.Slice(oy * s.OutWidth, s.OutWidth);
                        int iy = oy * s.StrideHeight - s.PaddingHeight + i;
                        if ((uint)iy >= (uint)s.Height)
                        {
                            segment.Clear();
                            continue;
                        }
                        ReadOnlySpan<float> line = x.Slice((ci * s.Height + iy) * s.Width, s.Width);
                        var (first, end) = Inside(s, j);
                        if (s.StrideWidth == 1)
                        {
                            segment.Slice(0, first).Clear();
                            if (end > first) line.Slice(first - s.PaddingWidth + j, end - first).CopyTo(segment.Slice(first));
                            segment.Slice(Math.Max(first, end)).Clear();
                        }
                        else
                            for (int ox = 0; ox < s.OutWidth; ox++)
                                segment[ox] = ox >= first && ox < end ? line[ox * s.StrideWidth - s.PaddingWidth + j] : 0f;
                    }
                }
    }

    // dx[ci, iy, ix] += dcols[k, offset + p] over every patch the input value is in: Columns run backward.
    private static void SumColumns(ReadOnlySpan<float> dcols, int offset, int stride, Span<float> dx, in ConvolutionShape s)
    {
        int p = s.Positions;
        for (int ci = 0, k = 0; ci < s.InChannels; ci++)
            for (int i = 0; i < s.KernelHeight; i++)
                for (int j = 0; j < s.KernelWidth; j++, k++)
                {
                    ReadOnlySpan<float> row = dcols.Slice(k * stride + offset, p);
                    var (first, end) = Inside(s, j);
                    if (end <= first) continue;
                    for (int oy = 0; oy < s.OutHeight; oy++)
                    {
                        int iy = oy * s.StrideHeight - s.PaddingHeight + i;
                        if ((uint)iy >= (uint)s.Height) continue;
                        ReadOnlySpan<float> segment = row.Slice(oy * s.OutWidth, s.OutWidth);
                        Span<float> line = dx.Slice((ci * s.Height + iy) * s.Width, s.Width);
                        if (s.StrideWidth == 1)
                        {
                            Span<float> target = line.Slice(first - s.PaddingWidth + j, end - first);
                            TensorPrimitives.Add(target, segment.Slice(first, end - first), target);
                        }
                        else
                            for (int ox = first; ox < end; ox++)
                                line[ox * s.StrideWidth - s.PaddingWidth + j] += segment[ox];
                    }
                }
    }

    // The output columns [first, end) whose kernel column j falls inside the input row.
    private static (int First, int End) Inside(in ConvolutionShape s, int j)
    {
        // ix = ox·sw − pw + j ∈ [0, width)  ⇔  ox ∈ [⌈(pw − j)/sw⌉, ⌈(width + pw − j)/sw⌉).
        int first = Math.Max(0, CeilDiv(s.PaddingWidth - j, s.StrideWidth));
        int end = Math.Min(s.OutWidth, CeilDiv(s.Width + s.PaddingWidth - j, s.StrideWidth));
        return (first, end);
    }

    private static int CeilDiv(int a, int b) => a <= 0 ? -(-a / b) : (a + b - 1) / b;

    private static void Check(int length, int expected, string name)
    {
        if (length != expected)
            throw new ArgumentException($"{name} has {length} values; the convolution needs {expected}.", name);
    }

    /// <summary>z = sums + b (when z is kept), a = f(z): one output channel's plane. The sums may be z's or a's own memory.</summary>
    private readonly ref struct BiasActivation<TAct>(ReadOnlySpan<float> sums, float bias, Span<float> z, Span<float> a, TAct activation) : IVectorLoop
        where TAct : struct, IActivation
    {
        private readonly ref float _sums = ref MemoryMarshal.GetReference(sums), _z = ref MemoryMarshal.GetReference(z), _a = ref MemoryMarshal.GetReference(a);
        private readonly int _length = sums.Length;
        private readonly bool _keepZ = !z.IsEmpty;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Run<TV>(int start) where TV : struct, ISimd<TV>
        {
            TV b = TV.Broadcast(bias);
            int i = start;
            for (; i + TV.Count <= _length; i += TV.Count)
            {
                TV v = TV.Add(TV.Load(ref _sums, (nuint)i), b);
                if (_keepZ) TV.Store(v, ref _z, (nuint)i);
                TV.Store(activation.Forward(v), ref _a, (nuint)i);
            }
            return i;
        }
    }
}
