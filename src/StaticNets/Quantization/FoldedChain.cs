using System.Globalization;

namespace StaticNets.Quantization;

/// <summary>
/// Where a layer reads and how: every int8 layer is a convolution over channels-last (NHWC) values, a Dense one with a
/// 1×1 kernel over a 1×1 image of all its inputs (after [Flatten] an image's values in NHWC order are that image).
/// </summary>
/// <param name="Channels">Input channels (a Dense's inputs).</param>
/// <param name="Height">Input rows.</param>
/// <param name="Width">Input columns.</param>
/// <param name="KernelHeight">Kernel rows.</param>
/// <param name="KernelWidth">Kernel columns.</param>
/// <param name="StrideHeight">Rows between positions.</param>
/// <param name="StrideWidth">Columns between positions.</param>
/// <param name="PaddingHeight">Zero rows above and below.</param>
/// <param name="PaddingWidth">Zero columns left and right.</param>
/// <param name="Pool">The max-pooling window after the activation (0: none).</param>
/// <param name="PoolStride">The pooling stride.</param>
internal readonly record struct LayerGeometry(int Channels, int Height, int Width, int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth,
    int PaddingHeight, int PaddingWidth, int Pool, int PoolStride)
{
    public static LayerGeometry Dense(int inputs) => new(inputs, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0);

    /// <summary>Values of one position's patch: kernel rows × columns × channels (in that order).</summary>
    public int Patch => KernelHeight * KernelWidth * Channels;

    public int OutputHeight => (Height + 2 * PaddingHeight - KernelHeight) / StrideHeight + 1;
    public int OutputWidth => (Width + 2 * PaddingWidth - KernelWidth) / StrideWidth + 1;

    /// <summary>Output positions per sample (1 for a Dense).</summary>
    public int Positions => OutputHeight * OutputWidth;

    public int PooledHeight => Pool == 0 ? OutputHeight : (OutputHeight - Pool) / PoolStride + 1;
    public int PooledWidth => Pool == 0 ? OutputWidth : (OutputWidth - Pool) / PoolStride + 1;

    /// <summary>Input values per sample.</summary>
    public int InputSize => Channels * Height * Width;

    public bool IsDense => Height == 1 && Width == 1 && KernelHeight == 1 && KernelWidth == 1 && Pool == 0;

    /// <summary>The ten numbers saved in a file, and read back.</summary>
    public int[] ToArray() => [Channels, Height, Width, KernelHeight, KernelWidth, StrideHeight, StrideWidth, PaddingHeight, PaddingWidth, Pool, PoolStride];

    public static LayerGeometry FromArray(ReadOnlySpan<int> v) => new(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10]);

    /// <summary>Whether the sizes make sense (positive, the kernel and pooling window fit).</summary>
    public bool IsValid =>
        Channels >= 1 && Height >= 1 && Width >= 1 && KernelHeight >= 1 && KernelWidth >= 1 && StrideHeight >= 1 && StrideWidth >= 1
        && PaddingHeight >= 0 && PaddingWidth >= 0 && PaddingHeight < KernelHeight && PaddingWidth < KernelWidth
        && Height + 2 * PaddingHeight >= KernelHeight && Width + 2 * PaddingWidth >= KernelWidth
        && (long)Channels * Height * Width <= 1 << 24 && (long)Patch <= 1 << 24
        && (Pool == 0 ? PoolStride == 0 : Pool >= 1 && PoolStride >= 1 && Pool <= OutputHeight && Pool <= OutputWidth);
}

/// <summary>One layer of a float network as inference computes it: BatchNorm folded in, then its activation, then its pooling.</summary>
/// <param name="Name">The layer's name (<c>conv2</c>, <c>dense1</c>).</param>
/// <param name="Geometry">What it reads and how.</param>
/// <param name="Outputs">Filters (units).</param>
/// <param name="Weights">[outputs, patch] row-major, each patch in kernel-row, kernel-column, channel order; BatchNorm folded in.</param>
/// <param name="Bias">Per output.</param>
/// <param name="NegativeSlope">The activation as v &gt; 0 ? v : slope·v: 0 for ReLU, α for LeakyReLU, 1 for none.</param>
/// <param name="Activation">The activation's token (<c>ReLU</c>, <c>LeakyReLU(0.1)</c>) or <c>Identity</c>.</param>
internal sealed record FoldedLayer(string Name, LayerGeometry Geometry, int Outputs, float[] Weights, float[] Bias, float NegativeSlope, string Activation)
{
    public int Inputs => Geometry.Patch;

    /// <summary>Values per sample after the layer, its activation and its pooling (channels last).</summary>
    public int OutputSize => Outputs * Geometry.PooledHeight * Geometry.PooledWidth;

    /// <summary>One sample (channels last) through the layer, its activation and pooling, summed in double.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        LayerGeometry g = Geometry;
        int oh = g.OutputHeight, ow = g.OutputWidth;
        var before = g.Pool == 0 ? y : new float[Outputs * oh * ow];
        var patch = new float[g.Patch];
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                Im2Col.Patch(x, g, oy, ox, 0f, patch);
                for (int o = 0; o < Outputs; o++)
                {
                    double sum = Bias[o];
                    ReadOnlySpan<float> row = Weights.AsSpan(o * g.Patch, g.Patch);
                    for (int i = 0; i < row.Length; i++) sum += (double)row[i] * patch[i];
                    float v = (float)sum;
                    before[(oy * ow + ox) * Outputs + o] = v > 0 ? v : NegativeSlope * v;
                }
            }
        if (g.Pool > 0) Im2Col.MaxPool<float>(before, Outputs, oh, ow, g.Pool, g.PoolStride, y);
    }
}

/// <summary>Gathering patches and pooling windows of channels-last values (floats to calibrate, bytes to infer).</summary>
internal static class Im2Col
{
    /// <summary>A sample's values channel by channel (NCHW, as networks take them) into channels-last order.</summary>
    public static void ToChannelsLast<T>(ReadOnlySpan<T> x, int channels, int plane, Span<T> y)
    {
        if (channels == 1 || plane == 1)
        {
            x.CopyTo(y);
            return;
        }
        for (int c = 0; c < channels; c++)
            for (int p = 0; p < plane; p++)
                y[p * channels + c] = x[c * plane + p];
    }

    /// <summary>The patch of position (oy, ox) into <paramref name="patch"/> (kernel row, column, channel); <paramref name="pad"/> outside the image.</summary>
    public static void Patch<T>(ReadOnlySpan<T> x, LayerGeometry g, int oy, int ox, T pad, Span<T> patch)
    {
        int c = g.Channels, k = 0;
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            int iy = oy * g.StrideHeight - g.PaddingHeight + ky;
            for (int kx = 0; kx < g.KernelWidth; kx++, k += c)
            {
                int ix = ox * g.StrideWidth - g.PaddingWidth + kx;
                if (iy < 0 || iy >= g.Height || ix < 0 || ix >= g.Width) patch.Slice(k, c).Fill(pad);
                else x.Slice((iy * g.Width + ix) * c, c).CopyTo(patch.Slice(k, c));
            }
        }
    }

    /// <summary>Every position's patch of one sample, a row of <paramref name="stride"/> bytes each.</summary>
    public static void Rows(ReadOnlySpan<byte> x, LayerGeometry g, byte pad, Span<byte> rows, int stride)
    {
        if (g.IsDense)
        {
            x[..g.Channels].CopyTo(rows);
            return;
        }
        int ow = g.OutputWidth;
        for (int oy = 0; oy < g.OutputHeight; oy++)
            for (int ox = 0; ox < ow; ox++)
                Patch(x, g, oy, ox, pad, rows.Slice((oy * ow + ox) * stride, g.Patch));
    }

    /// <summary>Max pooling of channels-last values (the first maximum of each window, which for bytes is simply the maximum).</summary>
    public static void MaxPool<T>(ReadOnlySpan<T> x, int channels, int height, int width, int size, int stride, Span<T> y) where T : System.Numerics.INumber<T>
    {
        int ph = (height - size) / stride + 1, pw = (width - size) / stride + 1;
        for (int py = 0; py < ph; py++)
            for (int px = 0; px < pw; px++)
            {
                Span<T> output = y.Slice((py * pw + px) * channels, channels);
                x.Slice(((py * stride) * width + px * stride) * channels, channels).CopyTo(output);
                for (int wy = 0; wy < size; wy++)
                    for (int wx = 0; wx < size; wx++)
                    {
                        ReadOnlySpan<T> input = x.Slice(((py * stride + wy) * width + px * stride + wx) * channels, channels);
                        for (int c = 0; c < channels; c++)
                            if (input[c] > output[c]) output[c] = input[c];
                    }
            }
    }
}

/// <summary>
/// Reads a float network as the chain of layers int8 inference runs: its architecture and tensors, BatchNorm folded
/// into the Dense or Conv2D before it with the running statistics (as inference uses them), max pooling attached to the
/// layer before it, weights reordered for channels-last values, dropout dropped (the identity at inference). Anything
/// else is named in a <see cref="NotSupportedException"/>.
/// </summary>
internal static class FoldedChain
{
    public static List<FoldedLayer> Read(INetwork network)
    {
        string[] tokens = network.Architecture.Split(" -> ")[0].Split(' ');
        int[] input = Argument(tokens[0]).Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        // The values here, channels last: an image (channels, rows, columns), or a vector (n, 1, 1).
        var (channels, height, width) = input.Length == 3 ? (input[0], input[1], input[2]) : (input[0], 1, 1);
        var layers = new List<FoldedLayer>();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        int Next(string kind) => counts[kind] = counts.GetValueOrDefault(kind) + 1;
        bool activated = false, normalized = false, pooled = false, flattened = false;
        foreach (string token in tokens.Skip(1))
        {
            string kind = token.Split('(')[0];
            switch (kind)
            {
                case "Dense":
                {
                    string name = "dense" + Next("dense");
                    float[] source = Tensor(network, name + ".weight", false);
                    int inputs = channels * height * width, outputs = source.Length / inputs;
                    if (height * width > 1 && !flattened) throw Unsupported(network, token, "a Dense reads a vector");
                    // PyTorch flattens an image channel by channel (c, y, x); int8 layers keep it channels last (y, x, c).
                    float[] weights = new float[source.Length];
                    for (int o = 0; o < outputs; o++)
                        for (int c = 0; c < channels; c++)
                            for (int p = 0; p < height * width; p++)
                                weights[o * inputs + p * channels + c] = source[o * inputs + c * height * width + p];
                    float[] bias = token.Contains("bias=false", StringComparison.Ordinal) ? new float[outputs] : Tensor(network, name + ".bias", false);
                    layers.Add(new FoldedLayer(name, LayerGeometry.Dense(inputs), outputs, weights, bias, 1f, "Identity"));
                    (channels, height, width) = (outputs, 1, 1);
                    activated = normalized = pooled = flattened = false;
                    break;
                }
                case "Conv2D":
                {
                    // Conv2D(filters,KHxKW,stride=SHxSW,padding=PHxPW[,bias=false]); weights [filters, channels, kh, kw].
                    string name = "conv" + Next("conv");
                    string[] parts = Argument(token).Split(',');
                    int[] kernel = Pair(parts[1]), stride = Pair(parts[2]["stride=".Length..]), padding = Pair(parts[3]["padding=".Length..]);
                    float[] source = Tensor(network, name + ".weight", false);
                    int filters = int.Parse(parts[0], CultureInfo.InvariantCulture), kh = kernel[0], kw = kernel[1];
                    var geometry = new LayerGeometry(channels, height, width, kh, kw, stride[0], stride[1], padding[0], padding[1], 0, 0);
                    var weights = new float[source.Length];
                    for (int o = 0; o < filters; o++)
                        for (int c = 0; c < channels; c++)
                            for (int y = 0; y < kh; y++)
                                for (int x = 0; x < kw; x++)
                                    weights[o * geometry.Patch + (y * kw + x) * channels + c] = source[((o * channels + c) * kh + y) * kw + x];
                    float[] bias = token.Contains("bias=false", StringComparison.Ordinal) ? new float[filters] : Tensor(network, name + ".bias", false);
                    layers.Add(new FoldedLayer(name, geometry, filters, weights, bias, 1f, "Identity"));
                    (channels, height, width) = (filters, geometry.OutputHeight, geometry.OutputWidth);
                    activated = normalized = pooled = flattened = false;
                    break;
                }
                case "BatchNorm":
                {
                    string name = "batchnorm" + Next("batchnorm");
                    if (layers.Count == 0 || activated || normalized || pooled || flattened)
                        throw Unsupported(network, token, "int8 inference folds a BatchNorm into the Dense or Conv2D right before it, and this one follows something else");
                    float epsilon = float.Parse(Argument(token).Split(',')[0]["eps=".Length..], CultureInfo.InvariantCulture);
                    float[] gamma = Tensor(network, name + ".weight", false), beta = Tensor(network, name + ".bias", false);
                    float[] mean = Tensor(network, name + ".running_mean", true), variance = Tensor(network, name + ".running_var", true);
                    FoldedLayer last = layers[^1];
                    for (int o = 0; o < last.Outputs; o++)
                    {
                        // PyTorch's eval-mode BatchNorm: γ(y − μ)/√(σ² + ε) + β per output (channel), folded into W and the bias.
                        double scale = gamma[o] / Math.Sqrt((double)variance[o] + epsilon);
                        for (int i = 0; i < last.Inputs; i++) last.Weights[o * last.Inputs + i] = (float)(last.Weights[o * last.Inputs + i] * scale);
                        last.Bias[o] = (float)((last.Bias[o] - mean[o]) * scale + beta[o]);
                    }
                    normalized = true;
                    break;
                }
                case "ReLU" or "LeakyReLU":
                {
                    if (layers.Count == 0 || activated || pooled || flattened)
                        throw Unsupported(network, token, "int8 inference applies an activation in the layer before it");
                    float slope = kind == "ReLU" ? 0f : float.Parse(Argument(token), CultureInfo.InvariantCulture);
                    layers[^1] = layers[^1] with { NegativeSlope = slope, Activation = token };
                    activated = true;
                    break;
                }
                case "MaxPool2D":
                {
                    // MaxPool2D(size,stride=s)
                    if (layers.Count == 0 || pooled || flattened || layers[^1].Geometry.IsDense)
                        throw Unsupported(network, token, "int8 inference pools the output of the Conv2D before it, once");
                    string[] parts = Argument(token).Split(',');
                    int size = int.Parse(parts[0], CultureInfo.InvariantCulture), stride = int.Parse(parts[1]["stride=".Length..], CultureInfo.InvariantCulture);
                    FoldedLayer last = layers[^1];
                    layers[^1] = last = last with { Geometry = last.Geometry with { Pool = size, PoolStride = stride } };
                    (height, width) = (last.Geometry.PooledHeight, last.Geometry.PooledWidth);
                    pooled = true;
                    break;
                }
                case "Flatten":
                    flattened = true; // channels last, an image's values are already the vector the Dense reads
                    break;
                case "Dropout" or "DropConnect" or "SpatialDropout":
                    break; // the identity at inference
                default:
                    throw Unsupported(network, token, "int8 inference runs Dense and Conv2D layers with BatchNorm, ReLU or LeakyReLU, max pooling, Flatten and dropout");
            }
        }
        if (layers.Count == 0) throw Unsupported(network, tokens[0], "it has no Dense or Conv2D layer to quantize");
        FoldedLayer final = layers[^1];
        if (!final.Geometry.IsDense || final.NegativeSlope != 1f)
            throw Unsupported(network, final.Name, "int8 inference ends with a Dense without activation, whose float outputs are the logits");
        return layers;
    }

    private static float[] Tensor(INetwork network, string name, bool state)
    {
        ReadOnlySpan<ParameterTensor> tensors = state ? network.StateTensors : network.ParameterTensors;
        foreach (ParameterTensor t in tensors)
            if (t.Name == name) return (state ? network.State : network.Parameters).Slice(t.Offset, t.Length).ToArray();
        throw new InvalidOperationException($"{network.GetType().Name} has no tensor '{name}' for its architecture '{network.Architecture}'.");
    }

    private static int[] Pair(string text) => text.Split('x').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();

    private static string Argument(string token)
    {
        int open = token.IndexOf('(');
        return open < 0 ? "" : token[(open + 1)..^1];
    }

    private static NotSupportedException Unsupported(INetwork network, string token, string why) =>
        new($"{network.GetType().Name} cannot be quantized to int8: {token}: {why}. Architecture: {network.Architecture}.");
}
