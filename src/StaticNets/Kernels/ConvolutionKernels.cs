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

    /// <summary>Floats of scratch inference needs: one sample's column matrix (none for a pointwise convolution).</summary>
    public int InferenceScratchLength => IsPointwise ? 0 : Patch * Positions;

    /// <summary>Floats of scratch training needs: the column matrix and one sample's weight gradient.</summary>
    public int ScratchLength => Patch * Positions + OutChannels * Patch;
}

/// <summary>
/// Convolution through the matrix-multiply core, sample by sample: the sample's patches are laid out as a column matrix
/// cols [in·kh·kw, positions] (im2col, rows copied whole where the stride is 1), then Y = W·cols on the register-blocked
/// outer-product kernel, bias and activation in one vector pass per channel. Backward: dW += dY·colsᵀ as dot products of
/// contiguous rows (the dense kernel's), dcols = Wᵀ·dY on the outer-product kernel, summed back into dx (col2im).
/// Loop orders are fixed: results are bit-identical run to run, and a sample's output does not depend on its batch.
/// </summary>
public static class ConvolutionKernels
{
    /// <summary>
    /// z = W ∗ x + b, a = f(z) for <paramref name="batch"/> samples. <paramref name="bias"/> and <paramref name="z"/> may be
    /// empty; <paramref name="scratch"/> holds at least <see cref="ConvolutionShape.InferenceScratchLength"/> floats.
    /// </summary>
    public static void Forward<TAct>(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, Span<float> z, Span<float> a,
        Span<float> scratch, int batch, ConvolutionShape s, TAct activation) where TAct : struct, IActivation
    {
        Check(x.Length, batch * s.InSize, "x");
        Check(weights.Length, s.OutChannels * s.Patch, "weights");
        Check(a.Length, batch * s.OutSize, "a");
        if (!bias.IsEmpty) Check(bias.Length, s.OutChannels, "bias");
        if (!z.IsEmpty) Check(z.Length, batch * s.OutSize, "z");
        if (scratch.Length < s.InferenceScratchLength) Check(scratch.Length, s.InferenceScratchLength, "scratch");
        int p = s.Positions;
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<float> xr = x.Slice(r * s.InSize, s.InSize);
            ReadOnlySpan<float> cols = s.IsPointwise ? xr : Columns(xr, scratch, s);
            Span<float> ar = a.Slice(r * s.OutSize, s.OutSize), target = z.IsEmpty ? ar : z.Slice(r * s.OutSize, s.OutSize);
            // Y[co, p] = Σ_k W[co, k]·cols[k, p]: C = Y, A(k, m = co) = W, B = cols.
            MatrixMultiply.Run(new MatrixProduct(weights, aStrideK: 1, aStrideM: s.Patch, cols, p, target, p, kCount: s.Patch, mCount: s.OutChannels, p, accumulate: false));
            for (int c = 0; c < s.OutChannels; c++)
                VectorLoop.Run(new BiasActivation<TAct>(target.Slice(c * p, p), bias.IsEmpty ? 0f : bias[c], ar.Slice(c * p, p), activation));
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
        int p = s.Positions;
        Span<float> sampleGradient = scratch.Slice(s.Patch * p, s.OutChannels * s.Patch);
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<float> xr = x.Slice(r * s.InSize, s.InSize), dzr = dz.Slice(r * s.OutSize, s.OutSize);
            ReadOnlySpan<float> cols = s.IsPointwise ? xr : Columns(xr, scratch, s);
            bool add = accumulate || r > 0;
            // dW[co, k] = Σ_p dz[co, p]·cols[k, p]: dot products of contiguous rows, as the dense forward kernel computes x·Wᵀ.
            Span<float> target = add ? sampleGradient : weightGradient;
            DenseKernels.Forward(dzr, cols, default, default, target, s.OutChannels, p, s.Patch, default(Identity));
            if (add) TensorPrimitives.Add(weightGradient, sampleGradient, weightGradient);
            if (biasGradient.IsEmpty) continue;
            for (int c = 0; c < s.OutChannels; c++)
            {
                float sum = TensorPrimitives.Sum(dzr.Slice(c * p, p));
                biasGradient[c] = add ? biasGradient[c] + sum : sum;
            }
        }
    }

    /// <summary>dx = the gradient at the input: Wᵀ·dz per sample, summed back over the patches each input value is in (overwrites dx).</summary>
    public static void BackwardInput(ReadOnlySpan<float> dz, ReadOnlySpan<float> weights, Span<float> dx, Span<float> scratch, int batch, ConvolutionShape s)
    {
        Check(dz.Length, batch * s.OutSize, "dz");
        Check(weights.Length, s.OutChannels * s.Patch, "weights");
        Check(dx.Length, batch * s.InSize, "dx");
        if (scratch.Length < s.InferenceScratchLength) Check(scratch.Length, s.InferenceScratchLength, "scratch");
        int p = s.Positions;
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<float> dzr = dz.Slice(r * s.OutSize, s.OutSize);
            Span<float> dxr = dx.Slice(r * s.InSize, s.InSize);
            Span<float> dcols = s.IsPointwise ? dxr : scratch.Slice(0, s.Patch * p);
            // dcols[k, p] = Σ_co W[co, k]·dz[co, p]: C = dcols, A(k = co, m = k) = W, B = dz.
            MatrixMultiply.Run(new MatrixProduct(weights, aStrideK: s.Patch, aStrideM: 1, dzr, p, dcols, p, kCount: s.OutChannels, mCount: s.Patch, p, accumulate: false));
            if (s.IsPointwise) continue;
            dxr.Clear();
            SumColumns(dcols, dxr, s);
        }
    }

    // cols[(ci·kh + i)·kw + j, oy·ow + ox] = x[ci, oy·sh − ph + i, ox·sw − pw + j], 0 outside the input.
    private static ReadOnlySpan<float> Columns(ReadOnlySpan<float> x, Span<float> scratch, in ConvolutionShape s)
    {
        int p = s.Positions;
        Span<float> cols = scratch.Slice(0, s.Patch * p);
        for (int ci = 0, k = 0; ci < s.InChannels; ci++)
            for (int i = 0; i < s.KernelHeight; i++)
                for (int j = 0; j < s.KernelWidth; j++, k++)
                {
                    Span<float> row = cols.Slice(k * p, p);
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
        return cols;
    }

    // dx[ci, iy, ix] += dcols[k, p] over every patch the input value is in: Columns run backward.
    private static void SumColumns(ReadOnlySpan<float> dcols, Span<float> dx, in ConvolutionShape s)
    {
        int p = s.Positions;
        for (int ci = 0, k = 0; ci < s.InChannels; ci++)
            for (int i = 0; i < s.KernelHeight; i++)
                for (int j = 0; j < s.KernelWidth; j++, k++)
                {
                    ReadOnlySpan<float> row = dcols.Slice(k * p, p);
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

    /// <summary>z = y + b kept in place (when z is kept), a = f(y + b): one output channel's plane.</summary>
    private readonly ref struct BiasActivation<TAct>(Span<float> y, float bias, Span<float> a, TAct activation) : IVectorLoop
        where TAct : struct, IActivation
    {
        private readonly ref float _y = ref MemoryMarshal.GetReference(y), _a = ref MemoryMarshal.GetReference(a);
        private readonly int _length = y.Length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Run<TV>(int start) where TV : struct, ISimd<TV>
        {
            TV b = TV.Broadcast(bias);
            int i = start;
            for (; i + TV.Count <= _length; i += TV.Count)
            {
                TV v = TV.Add(TV.Load(ref _y, (nuint)i), b);
                TV.Store(v, ref _y, (nuint)i);
                TV.Store(activation.Forward(v), ref _a, (nuint)i);
            }
            return i;
        }
    }
}
