using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace StaticNets.Kernels;

/// <summary>The geometry of a 2-D pooling window over NCHW samples (no padding, as PyTorch's default; the last partial window dropped).</summary>
public readonly struct PoolingShape
{
    /// <summary>Checks that the window fits the input; the generator checks the same at compile time.</summary>
    public PoolingShape(int channels, int height, int width, int kernelHeight, int kernelWidth, int strideHeight, int strideWidth)
    {
        if (channels < 1 || kernelHeight < 1 || kernelWidth < 1 || strideHeight < 1 || strideWidth < 1 || kernelHeight > height || kernelWidth > width)
            throw new ArgumentException($"no {kernelHeight}×{kernelWidth} pooling window with stride {strideHeight}×{strideWidth} over {channels}×{height}×{width}.");
        Channels = channels; Height = height; Width = width;
        KernelHeight = kernelHeight; KernelWidth = kernelWidth; StrideHeight = strideHeight; StrideWidth = strideWidth;
        OutHeight = (height - kernelHeight) / strideHeight + 1;
        OutWidth = (width - kernelWidth) / strideWidth + 1;
    }

    /// <summary>Channels (pooled separately).</summary>
    public int Channels { get; }
    /// <summary>Input rows.</summary>
    public int Height { get; }
    /// <summary>Input columns.</summary>
    public int Width { get; }
    /// <summary>Kernel rows.</summary>
    public int KernelHeight { get; }
    /// <summary>Kernel columns.</summary>
    public int KernelWidth { get; }
    /// <summary>Step between windows, in rows.</summary>
    public int StrideHeight { get; }
    /// <summary>Step between windows, in columns.</summary>
    public int StrideWidth { get; }
    /// <summary>Output rows.</summary>
    public int OutHeight { get; }
    /// <summary>Output columns.</summary>
    public int OutWidth { get; }

    /// <summary>Input values per sample.</summary>
    public int InSize => Channels * Height * Width;

    /// <summary>Output values per sample.</summary>
    public int OutSize => Channels * OutHeight * OutWidth;
}

/// <summary>
/// Max and average pooling over windows, and global average pooling, for NCHW samples. A window's values are combined in
/// a fixed order, so results are bit-identical run to run. Max pooling keeps, for backward, the index in the sample of
/// each window's maximum: the first in row-major order when values tie, and a NaN wins (it propagates, as in PyTorch).
/// </summary>
public static class PoolingKernels
{
    /// <summary>a = the maximum of each window; <paramref name="indices"/> (empty at inference) receives where it was.</summary>
    public static void MaxForward(ReadOnlySpan<float> x, Span<float> a, Span<int> indices, int batch, PoolingShape s)
    {
        Check(x.Length, batch * s.InSize, "x");
        Check(a.Length, batch * s.OutSize, "a");
        if (!indices.IsEmpty) Check(indices.Length, batch * s.OutSize, "indices");
        // The shape was checked, and every window lies inside its plane: unchecked reads.
        int plane = s.Height * s.Width, outPlane = s.OutHeight * s.OutWidth, width = s.Width, outHeight = s.OutHeight, outWidth = s.OutWidth;
        int kernelHeight = s.KernelHeight, kernelWidth = s.KernelWidth, rowStep = s.StrideHeight * width, columnStep = s.StrideWidth;
        bool keep = !indices.IsEmpty, twoByTwo = kernelHeight == 2 && kernelWidth == 2;
        ref float a0 = ref MemoryMarshal.GetReference(a);
        ref int indices0 = ref MemoryMarshal.GetReference(indices);
        for (int q = 0, o = 0; q < batch * s.Channels; q++)
        {
            ref float xp = ref Unsafe.Add(ref MemoryMarshal.GetReference(x), q * plane);
            for (int oy = 0; oy < outHeight; oy++)
                for (int ox = 0, start = oy * rowStep; ox < outWidth; ox++, o++, start += columnStep)
                {
                    int best = start, bestKey = OrderKey(ref xp, start);
                    if (twoByTwo)
                    {
                        Take(ref xp, start + 1, ref best, ref bestKey);
                        Take(ref xp, start + width, ref best, ref bestKey);
                        Take(ref xp, start + width + 1, ref best, ref bestKey);
                    }
                    else
                        for (int i = 0; i < kernelHeight; i++)
                            for (int j = i == 0 ? 1 : 0; j < kernelWidth; j++)
                                Take(ref xp, start + i * width + j, ref best, ref bestKey);
                    Unsafe.Add(ref a0, o) = Unsafe.Add(ref xp, best);
                    if (keep) Unsafe.Add(ref indices0, o) = best;
                }
        }
    }

    // The window's value at `at` replaces the best so far if it is greater, or a NaN where the best is not. Masks, not a
    // branch (the JIT keeps a branch for a select in a loop): which value wins is data, and a branch on it mispredicted
    // about every other window.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(ref float plane, int at, ref int best, ref int bestKey)
    {
        int key = OrderKey(ref plane, at), wins = (int)(((long)bestKey - key) >> 63);
        best ^= (best ^ at) & wins;
        bestKey ^= (bestKey ^ key) & wins;
    }

    /// <summary>dx = dy routed to each window's maximum (summed where windows overlap); overwrites dx.</summary>
    public static void MaxBackward(ReadOnlySpan<float> dy, ReadOnlySpan<int> indices, Span<float> dx, int batch, PoolingShape s)
    {
        Check(dy.Length, batch * s.OutSize, "dy");
        Check(indices.Length, batch * s.OutSize, "indices");
        Check(dx.Length, batch * s.InSize, "dx");
        dx.Clear();
        int plane = s.Height * s.Width, outPlane = s.OutHeight * s.OutWidth;
        for (int q = 0; q < batch * s.Channels; q++)
        {
            Span<float> dxp = dx.Slice(q * plane, plane);
            for (int o = q * outPlane; o < (q + 1) * outPlane; o++)
                dxp[indices[o]] += dy[o];
        }
    }

    /// <summary>a = the mean of each window.</summary>
    public static void AverageForward(ReadOnlySpan<float> x, Span<float> a, int batch, PoolingShape s)
    {
        Check(x.Length, batch * s.InSize, "x");
        Check(a.Length, batch * s.OutSize, "a");
        int plane = s.Height * s.Width, outPlane = s.OutHeight * s.OutWidth;
        float scale = 1f / (s.KernelHeight * s.KernelWidth);
        for (int q = 0; q < batch * s.Channels; q++)
        {
            ReadOnlySpan<float> xp = x.Slice(q * plane, plane);
            int o = q * outPlane;
            for (int oy = 0; oy < s.OutHeight; oy++)
                for (int ox = 0; ox < s.OutWidth; ox++, o++)
                {
                    int start = oy * s.StrideHeight * s.Width + ox * s.StrideWidth;
                    float sum = 0f;
                    for (int i = 0; i < s.KernelHeight; i++)
                        for (int j = 0; j < s.KernelWidth; j++)
                            sum += xp[start + i * s.Width + j];
                    a[o] = sum * scale;
                }
        }
    }

    /// <summary>dx = dy / (window size) spread over each window (summed where windows overlap); overwrites dx.</summary>
    public static void AverageBackward(ReadOnlySpan<float> dy, Span<float> dx, int batch, PoolingShape s)
    {
        Check(dy.Length, batch * s.OutSize, "dy");
        Check(dx.Length, batch * s.InSize, "dx");
        dx.Clear();
        int plane = s.Height * s.Width, outPlane = s.OutHeight * s.OutWidth;
        float scale = 1f / (s.KernelHeight * s.KernelWidth);
        for (int q = 0; q < batch * s.Channels; q++)
        {
            Span<float> dxp = dx.Slice(q * plane, plane);
            int o = q * outPlane;
            for (int oy = 0; oy < s.OutHeight; oy++)
                for (int ox = 0; ox < s.OutWidth; ox++, o++)
                {
                    int start = oy * s.StrideHeight * s.Width + ox * s.StrideWidth;
                    float g = dy[o] * scale;
                    for (int i = 0; i < s.KernelHeight; i++)
                        for (int j = 0; j < s.KernelWidth; j++)
                            dxp[start + i * s.Width + j] += g;
                }
        }
    }

    /// <summary>a[r, c] = the mean of channel c's plane (of <paramref name="plane"/> values) in sample r.</summary>
    public static void GlobalAverageForward(ReadOnlySpan<float> x, Span<float> a, int batch, int channels, int plane)
    {
        Check(x.Length, batch * channels * plane, "x");
        Check(a.Length, batch * channels, "a");
        for (int q = 0; q < batch * channels; q++)
            a[q] = TensorPrimitives.Sum(x.Slice(q * plane, plane)) / plane;
    }

    /// <summary>dx = dy[r, c] / plane over channel c's plane; overwrites dx.</summary>
    public static void GlobalAverageBackward(ReadOnlySpan<float> dy, Span<float> dx, int batch, int channels, int plane)
    {
        Check(dy.Length, batch * channels, "dy");
        Check(dx.Length, batch * channels * plane, "dx");
        for (int q = 0; q < batch * channels; q++)
            dx.Slice(q * plane, plane).Fill(dy[q] / plane);
    }

    // An integer that orders floats as `>` does (−0 and +0 equal), every NaN above +∞ and equal to each other: the first
    // window value with the greatest key is the first maximum in row-major order, or the first NaN.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int OrderKey(ref float plane, int at)
    {
        int bits = Unsafe.As<float, int>(ref Unsafe.Add(ref plane, at)), magnitude = bits & int.MaxValue, sign = bits >> 31;
        int nan = (0x7F800000 - magnitude) >> 31; // all ones for a NaN
        return (((magnitude ^ sign) - sign) & ~nan) | (int.MaxValue & nan);
    }

    private static void Check(int length, int expected, string name)
    {
        if (length != expected)
            throw new ArgumentException($"{name} has {length} values; the pooling needs {expected}.", name);
    }
}
