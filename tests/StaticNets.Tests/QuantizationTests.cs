using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using StaticNets.Quantization;

namespace StaticNets.Tests;

/// <summary>
/// int8 inference: the integer products of every path against a plain int32 sum, the float steps of every width
/// against their scalar definition, weights within half a step, Predict equal bit for bit to a scalar reference of the
/// quantized network, no allocation, files that round-trip and refuse truncation and corruption.
/// </summary>
public class QuantizationTests
{
    private delegate void DotPath(ReadOnlySpan<byte> x, int xStride, ReadOnlySpan<sbyte> packed, Span<int> sums, int sumStride, int rows, int quads, int blocks);

    public static TheoryData<string> Paths()
    {
        var data = new TheoryData<string> { "scalar" };
        if (Vector512.IsHardwareAccelerated && Avx512BW.IsSupported) data.Add("512");
        if (Vector256.IsHardwareAccelerated && Avx2.IsSupported) data.Add("256");
        if (Vector128.IsHardwareAccelerated && Ssse3.IsSupported) data.Add("128");
        return data;
    }

    private static DotPath PathOf(string name) => name switch
    {
        "512" => Int8Kernels.Dot512,
        "256" => Int8Kernels.Dot256,
        "128" => Int8Kernels.Dot128,
        _ => Int8Kernels.DotScalar,
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public void Integer_products_equal_a_plain_int32_sum_for_every_length_to_256(string path)
    {
        DotPath dot = PathOf(path);
        var rng = new Random(7);
        for (int length = 0; length <= 256; length++)
        {
            int outputs = 1 + length % 37, rows = 1 + length % 6;
            int quads = Int8Kernels.Quads(length), blocks = Int8Kernels.Blocks(outputs);
            int xStride = quads * 4 + 4 * (length % 2), sumStride = blocks * 16 + 16 * (length % 3 == 0 ? 1 : 0);
            // Extremes often: 7-bit activations at 0 and 127, weights at ±127, so a saturating pair sum would show.
            byte[] x = Enumerable.Range(0, Math.Max(1, rows * xStride)).Select(_ => (byte)(rng.Next(4) == 0 ? 127 : rng.Next(128))).ToArray();
            sbyte[] w = Enumerable.Range(0, outputs * length).Select(_ => (sbyte)(rng.Next(4) == 0 ? (rng.Next(2) == 0 ? -127 : 127) : rng.Next(-127, 128))).ToArray();
            var packed = new sbyte[Math.Max(1, Int8Kernels.PackedLength(outputs, length))];
            Int8Kernels.Pack(w, outputs, length, packed);
            // The padding of each input row is whatever was there: the packed zeros must cancel it.
            var sums = new int[Math.Max(1, rows * sumStride)];
            Array.Fill(sums, int.MinValue);
            dot(x, xStride, packed, sums, sumStride, rows, quads, blocks);
            for (int r = 0; r < rows; r++)
                for (int o = 0; o < outputs; o++)
                {
                    int expected = 0;
                    for (int i = 0; i < length; i++) expected += x[r * xStride + i] * w[o * length + i];
                    Assert.True(expected == sums[r * sumStride + o], $"{path}: length {length}, row {r}, output {o}: {sums[r * sumStride + o]}, expected {expected}");
                }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void The_largest_products_do_not_saturate(string path)
    {
        const int length = 256, outputs = 32;
        var x = Enumerable.Repeat((byte)127, length).ToArray();
        foreach (sbyte sign in new sbyte[] { 127, -127 })
        {
            var packed = new sbyte[Int8Kernels.PackedLength(outputs, length)];
            Int8Kernels.Pack(Enumerable.Repeat(sign, outputs * length).ToArray(), outputs, length, packed);
            var sums = new int[outputs];
            PathOf(path)(x, length, packed, sums, outputs, 1, length / 4, 2);
            Assert.All(sums, s => Assert.Equal(127 * sign * length, s));
        }
    }

    [Fact]
    public void Every_width_quantizes_and_dequantizes_as_the_scalar_definition()
    {
        var rng = new Random(3);
        // Ties (k + 0.5 steps) round to even; values beyond the range clamp.
        float[] x = Enumerable.Range(0, 203).Select(i => i % 5 == 0 ? (rng.Next(-80, 200) + 0.5f) * 0.25f : (float)(rng.NextDouble() * 80 - 20)).ToArray();
        // Far outside the range, and just around where the vectors limit before rounding (±256 steps).
        x[7] = 1e30f; x[8] = -1e30f; x[9] = 63.875f; x[10] = -64.125f; x[11] = 64.125f; x[12] = -63.875f; x[13] = 3e6f;
        const float inverse = 4f;
        const int zero = 11;
        var expected = x.Select(v => (byte)Math.Clamp(MathF.Round(v * inverse) + zero, 0f, 127f)).ToArray();
        foreach (var (name, lanes) in QuantizeWidths())
        {
            var q = new byte[x.Length];
            int done = lanes(x, inverse, zero, q);
            for (int i = done; i < x.Length; i++) q[i] = Requantize.QuantizeOne(x[i], inverse, zero);
            Assert.True(expected.SequenceEqual(q), name);
        }

        int[] sums = Enumerable.Range(0, 203).Select(_ => rng.Next(-300000, 300000)).ToArray();
        int[] corrections = Enumerable.Range(0, 203).Select(_ => rng.Next(-5000, 5000)).ToArray();
        float[] scales = Enumerable.Range(0, 203).Select(_ => (float)(rng.NextDouble() * 1e-4)).ToArray();
        float[] bias = Enumerable.Range(0, 203).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        foreach (float slope in new[] { 1f, 0f, 0.1f })
        {
            var floats = sums.Select((s, i) => Requantize.DequantizeOne(s, corrections[i], scales[i], bias[i], slope)).ToArray();
            Assert.Equal((float)(sums[0] - corrections[0]) * scales[0] + bias[0] is var v0 && v0 > 0 ? v0 : slope * v0, floats[0]);
            foreach (var (name, lanes) in DequantizeWidths())
            {
                var y = new float[203];
                var next = new byte[203];
                int done = lanes(sums, corrections, scales, bias, slope, y, default, 0, 0);
                Assert.True(floats.AsSpan(0, done).SequenceEqual(y.AsSpan(0, done)), $"{name}, slope {slope}: floats");
                done = lanes(sums, corrections, scales, bias, slope, default, next, 3.5f, 9);
                for (int i = 0; i < done; i++) Assert.Equal(Requantize.QuantizeOne(floats[i], 3.5f, 9), next[i]);
            }
        }
    }

    private delegate int QuantizeLanes(ReadOnlySpan<float> x, float inverse, int zero, Span<byte> q);
    private delegate int DequantizeLanes(ReadOnlySpan<int> sums, ReadOnlySpan<int> corrections, ReadOnlySpan<float> scales, ReadOnlySpan<float> bias,
        float slope, Span<float> y, Span<byte> next, float inverse, int zero);

    private static IEnumerable<(string, QuantizeLanes)> QuantizeWidths()
    {
        if (Vector512.IsHardwareAccelerated) yield return ("512", Requantize.QuantizeLanes<StaticNets.Kernels.Simd512>);
        if (Vector256.IsHardwareAccelerated) yield return ("256", Requantize.QuantizeLanes<StaticNets.Kernels.Simd256>);
        if (Vector128.IsHardwareAccelerated) yield return ("128", Requantize.QuantizeLanes<StaticNets.Kernels.Simd128>);
        yield return ("dispatch", (x, inv, z, q) => { Requantize.Quantize(x, inv, z, q); return x.Length; });
    }

    private static IEnumerable<(string, DequantizeLanes)> DequantizeWidths()
    {
        if (Vector512.IsHardwareAccelerated) yield return ("512", Requantize.DequantizeLanes<StaticNets.Kernels.Simd512>);
        if (Vector256.IsHardwareAccelerated) yield return ("256", Requantize.DequantizeLanes<StaticNets.Kernels.Simd256>);
        if (Vector128.IsHardwareAccelerated) yield return ("128", Requantize.DequantizeLanes<StaticNets.Kernels.Simd128>);
        yield return ("dispatch", (s, c, m, b, slope, y, next, inv, z) => { Requantize.Dequantize(s, c, m, b, slope, y, next, inv, z); return m.Length; });
    }

    private static QuantMlp TrainedMlp(out Dataset data)
    {
        data = SyntheticData.Spirals(classes: 5, pointsPerClass: 120, noise: 0.2, seed: 2);
        // 37 features: the spiral's two coordinates and 35 fixed random mixtures of them, so the first layer is not tiny.
        var rng = new Rng(4);
        var mix = TestData.Normal(35 * 2, rng);
        var features = new float[data.Count * 37];
        for (int i = 0; i < data.Count; i++)
        {
            float a = data.Features[2 * i], b = data.Features[2 * i + 1];
            features[37 * i] = a;
            features[37 * i + 1] = b;
            for (int k = 0; k < 35; k++) features[37 * i + 2 + k] = mix[2 * k] * a + mix[2 * k + 1] * b;
        }
        data = Dataset.Classification(features, 37, data.Labels!);
        var net = new QuantMlp(seed: 1);
        new Trainer<QuantMlp>(net, new Adam(0.01f), batchSize: 32, seed: 3).Fit(data, epochs: 20);
        return net;
    }

    [Fact]
    public void Quantized_predictions_equal_a_scalar_reference_of_the_quantized_network_bit_for_bit()
    {
        QuantMlp net = TrainedMlp(out Dataset data);
        QuantizedNetwork q = QuantizedNetwork.Quantize(net, data.Features.AsSpan(0, 200 * 37), 200);
        Assert.Equal(3, q.Layers.Count);
        Assert.Equal(["ReLU", "LeakyReLU(0.1)", "Identity"], q.Layers.Select(l => l.Activation));
        Assert.Equal(0, q.Layers[1].InputZeroPoint); // after a ReLU: nothing below zero

        var logits = new float[5];
        var batch = new float[70 * 5];
        q.PredictBatch(data.Features.AsSpan(0, 70 * 37), batch, 70);
        Assert.All(Enumerable.Range(0, 70), r => Assert.Equal(1.0, batch.AsSpan(r * 5, 5).ToArray().Sum(), 4)); // probabilities
        for (int s = 0; s < 70; s++)
        {
            float[] expected = Reference(q, data.FeaturesOf(s));
            q.PredictLogits(data.FeaturesOf(s), logits);
            Assert.Equal(expected, logits);
            var probabilities = new float[5];
            q.Predict(data.FeaturesOf(s), probabilities);
            Assert.Equal(probabilities, batch.AsSpan(s * 5, 5).ToArray());
        }
    }

    /// <summary>
    /// The quantized network from its definition, value by value, written apart from the kernels: integer inputs kept
    /// channel by channel (NCHW), each layer a convolution with the zero point as padding, the activation, max pooling
    /// of the quantized values, and the flattened image read in PyTorch's order through the saved channels-last weights.
    /// </summary>
    private static float[] Reference(QuantizedNetwork network, ReadOnlySpan<float> input)
    {
        Int8Layer first = network.Int8Layers[0];
        int[] q = input.ToArray().Select(v => (int)Math.Clamp(MathF.Round(v * (1f / first.InputScale)) + first.InputZeroPoint, 0f, 127f)).ToArray();
        var layers = network.Int8Layers;
        for (int l = 0; l < layers.Count; l++)
        {
            Int8Layer layer = layers[l];
            LayerGeometry g = layer.Geometry;
            int channels = g.Channels, height = g.Height, width = g.Width;
            if (g.IsDense && l > 0 && !layers[l - 1].Geometry.IsDense)
                (channels, height, width) = (layers[l - 1].Outputs, layers[l - 1].Geometry.PooledHeight, layers[l - 1].Geometry.PooledWidth);
            int oh = g.OutputHeight, ow = g.OutputWidth;
            var y = new float[layer.Outputs * oh * ow]; // channel by channel
            for (int o = 0; o < layer.Outputs; o++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                    {
                        int sum = 0;
                        if (g.IsDense)
                        {
                            // The saved weights read channels last; the values here are channel by channel.
                            for (int c = 0; c < channels; c++)
                                for (int p = 0; p < height * width; p++)
                                    sum += (q[c * height * width + p] - layer.InputZeroPoint) * layer.Weights[o * layer.Inputs + p * channels + c];
                        }
                        else
                            for (int c = 0; c < channels; c++)
                                for (int ky = 0; ky < g.KernelHeight; ky++)
                                    for (int kx = 0; kx < g.KernelWidth; kx++)
                                    {
                                        int iy = oy * g.StrideHeight - g.PaddingHeight + ky, ix = ox * g.StrideWidth - g.PaddingWidth + kx;
                                        int value = iy < 0 || iy >= height || ix < 0 || ix >= width ? layer.InputZeroPoint : q[(c * height + iy) * width + ix];
                                        sum += (value - layer.InputZeroPoint) * layer.Weights[o * layer.Inputs + (ky * g.KernelWidth + kx) * channels + c];
                                    }
                        float v = (float)sum * (layer.InputScale * layer.WeightScales[o]) + layer.Bias[o];
                        y[(o * oh + oy) * ow + ox] = v > 0 ? v : layer.NegativeSlope * v;
                    }
            if (l == layers.Count - 1) return y;
            Int8Layer next = layers[l + 1];
            int[] quantized = y.Select(v => (int)Math.Clamp(MathF.Round(v * (1f / next.InputScale)) + next.InputZeroPoint, 0f, 127f)).ToArray();
            if (g.Pool > 0)
            {
                int ph = g.PooledHeight, pw = g.PooledWidth;
                var pooled = new int[layer.Outputs * ph * pw];
                for (int o = 0; o < layer.Outputs; o++)
                    for (int py = 0; py < ph; py++)
                        for (int px = 0; px < pw; px++)
                        {
                            int best = int.MinValue;
                            for (int wy = 0; wy < g.Pool; wy++)
                                for (int wx = 0; wx < g.Pool; wx++)
                                    best = Math.Max(best, quantized[(o * oh + py * g.PoolStride + wy) * ow + px * g.PoolStride + wx]);
                            pooled[(o * ph + py) * pw + px] = best;
                        }
                quantized = pooled;
            }
            q = quantized;
        }
        throw new InvalidOperationException("no layers");
    }

    [Fact]
    public void A_quantized_convolutional_network_equals_its_scalar_reference_and_round_trips()
    {
        var net = new QuantCnn(seed: 3);
        var rng = new Rng(6);
        using (net.BeginWrite())
        {
            Initializers.Uniform(net.BatchNorm1RunningMean, 0.5, rng);
            Initializers.Uniform(net.BatchNorm1RunningVariance, 0.5, rng);
            for (int i = 0; i < net.BatchNorm1RunningVariance.Length; i++) net.BatchNorm1RunningVariance[i] += 1f;
            Initializers.Normal(net.BatchNorm1Gamma, 1.0, rng);
        }
        float[] images = TestData.Normal(60 * QuantCnn.InputSize, rng);
        QuantizedNetwork q = QuantizedNetwork.Quantize(net, images.AsSpan(0, 40 * QuantCnn.InputSize), 40);
        Assert.Equal(["conv1", "conv2", "dense1"], q.Layers.Select(l => l.Name));
        Assert.Equal(0, q.Layers[1].InputZeroPoint); // after ReLU and pooling

        var batch = new float[60 * 4];
        q.PredictBatch(images, batch, 60);
        var logits = new float[4];
        var probabilities = new float[4];
        for (int s = 0; s < 60; s++)
        {
            q.PredictLogits(images.AsSpan(s * QuantCnn.InputSize, QuantCnn.InputSize), logits);
            Assert.Equal(Reference(q, images.AsSpan(s * QuantCnn.InputSize, QuantCnn.InputSize)), logits);
            q.Predict(images.AsSpan(s * QuantCnn.InputSize, QuantCnn.InputSize), probabilities);
            Assert.Equal(probabilities, batch.AsSpan(s * 4, 4).ToArray());
        }
        // Close to the float network it came from.
        var expected = new float[4];
        int agree = 0;
        for (int s = 0; s < 60; s++)
        {
            net.Predict(images.AsSpan(s * QuantCnn.InputSize, QuantCnn.InputSize), expected);
            q.Predict(images.AsSpan(s * QuantCnn.InputSize, QuantCnn.InputSize), probabilities);
            if (TensorIndex(expected) == TensorIndex(probabilities)) agree++;
        }
        Assert.True(agree >= 54, $"{agree} of 60 agree");

        string path = Path.Combine(Directory.CreateTempSubdirectory("staticnets-int8-cnn-").FullName, "cnn.safetensors");
        q.Save(path);
        var again = new float[60 * 4];
        QuantizedNetwork.Load(path).PredictBatch(images, again, 60);
        Assert.Equal(batch, again);
        float[] one = images.AsSpan(0, QuantCnn.InputSize).ToArray();
        Assert.Equal(0, Allocations.Measure(() => q.Predict(one, probabilities)));
        Directory.Delete(Path.GetDirectoryName(path)!, true);
    }

    private static int TensorIndex(float[] values) => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(values);

    [Fact]
    public void Weights_come_back_within_half_a_step_and_the_ranges_follow_their_formula()
    {
        QuantMlp net = TrainedMlp(out Dataset data);
        List<FoldedLayer> folded = FoldedChain.Read(net);
        foreach (FoldedLayer layer in folded)
        {
            Int8Layer q = Int8Layer.Quantize(layer, 0.1f, 3);
            for (int o = 0; o < layer.Outputs; o++)
            {
                float step = q.WeightScales[o];
                Assert.Equal(layer.Weights.AsSpan(o * layer.Inputs, layer.Inputs).ToArray().Max(Math.Abs), 127 * step, 5);
                for (int i = 0; i < layer.Inputs; i++)
                {
                    float w = layer.Weights[o * layer.Inputs + i], back = q.Weights[o * layer.Inputs + i] * step;
                    Assert.True(Math.Abs(w - back) <= 0.5 * step * (1 + 1e-5), $"{layer.Name}[{o}, {i}]: {w} came back as {back}, step {step}");
                }
            }
        }
        // [-1, 2.81]: 3.81/127 = 0.03 per step, zero at round(1/0.03) = 33; a range above zero is widened to hold it.
        var (scale, zero) = Calibration.Affine((-1f, 2.81f));
        Assert.Equal(0.03f, scale, 6);
        Assert.Equal(33, zero);
        Assert.Equal((1f, 0), Calibration.Affine((0f, 127f)));
        Assert.Equal((2f / 127, 0), Calibration.Affine((0.5f, 2f)));
        Assert.Equal((1f, 0), Calibration.Affine((0f, 0f)));
    }

    [Fact]
    public void A_percentile_calibration_clips_a_rare_outlier_that_min_max_keeps()
    {
        QuantMlp net = TrainedMlp(out Dataset data);
        float[] calibration = data.Features.AsSpan(0, 400 * 37).ToArray();
        calibration[5] = 1000f; // one input value far outside the rest
        var minMax = QuantizedNetwork.Quantize(net, calibration, 400);
        var clipped = QuantizedNetwork.Quantize(net, calibration, 400, new QuantizationOptions(CalibrationMethod.Percentile, 99.9));
        Assert.True(minMax.Layers[0].InputScale > 1000f / 127 * 0.99, $"{minMax.Layers[0].InputScale}");
        Assert.True(clipped.Layers[0].InputScale < 10f / 127, $"{clipped.Layers[0].InputScale}");
        Assert.True(clipped.Compare(net, data).Int8Accuracy > minMax.Compare(net, data).Int8Accuracy);
    }

    [Fact]
    public void The_quantized_network_agrees_with_the_float_one_and_predicts_without_allocating()
    {
        QuantMlp net = TrainedMlp(out Dataset data);
        QuantizedNetwork q = QuantizedNetwork.Quantize(net, data.Features.AsSpan(0, 300 * 37), 300);
        QuantizationComparison c = q.Compare(net, data);
        Assert.True(c.FloatAccuracy > 0.8, c.ToString());
        Assert.True(c.Agreement > 0.97, c.ToString());
        Assert.True(Math.Abs(c.AccuracyChangePoints!.Value) <= 2, c.ToString());

        var output = new float[5];
        float[] x = data.FeaturesOf(3).ToArray();
        Assert.Equal(0, Allocations.Measure(() => q.Predict(x, output)));
        var outputs = new float[100 * 5];
        float[] inputs = data.Features.AsSpan(0, 100 * 37).ToArray();
        Assert.Equal(0, Allocations.Measure(() => q.PredictBatch(inputs, outputs, 100)));

        // Many threads at once get what one thread gets.
        var expected = new float[100 * 5];
        q.PredictBatch(inputs, expected, 100);
        Parallel.For(0, 8, _ =>
        {
            var mine = new float[100 * 5];
            for (int k = 0; k < 20; k++)
            {
                q.PredictBatch(inputs, mine, 100);
                Assert.Equal(expected, mine);
            }
        });
    }

    [Fact]
    public void Bad_input_and_unsupported_networks_are_named()
    {
        QuantMlp net = TrainedMlp(out Dataset data);
        var e = Assert.Throws<NotSupportedException>(() => QuantizedNetwork.Quantize(new BatchNormNet(1), new float[7], 1));
        Assert.Contains("Tanh", e.Message);
        e = Assert.Throws<NotSupportedException>(() => QuantizedNetwork.Quantize(new ConvBatchNormNet(1), new float[ConvBatchNormNet.InputSize], 1));
        Assert.Contains("AvgPool2D", e.Message);
        Assert.Throws<ArgumentException>(() => QuantizedNetwork.Quantize(net, new float[36], 1));
        float[] nan = data.Features.AsSpan(0, 37).ToArray();
        nan[4] = float.NaN;
        Assert.Contains("NaN", Assert.Throws<ArgumentException>(() => QuantizedNetwork.Quantize(net, nan, 1)).Message);
        QuantizedNetwork q = QuantizedNetwork.Quantize(net, data.Features.AsSpan(0, 37), 1);
        Assert.Throws<ArgumentException>(() => q.Predict(nan, new float[5]));
        Assert.Throws<ArgumentException>(() => q.Predict(new float[37], new float[4]));
    }

    [Fact]
    public void Files_round_trip_and_truncation_or_corruption_is_refused()
    {
        QuantMlp net = TrainedMlp(out Dataset data);
        QuantizedNetwork q = QuantizedNetwork.Quantize(net, data.Features.AsSpan(0, 200 * 37), 200);
        string folder = Directory.CreateTempSubdirectory("staticnets-int8-").FullName;
        string path = Path.Combine(folder, "model.int8.safetensors");
        q.Save(path);
        Assert.Single(Directory.GetFiles(folder)); // no temporary file left behind

        QuantizedNetwork loaded = QuantizedNetwork.Load(path);
        var a = new float[data.Count * 5];
        var b = new float[data.Count * 5];
        q.PredictBatch(data.Features, a, data.Count);
        loaded.PredictBatch(data.Features, b, data.Count);
        Assert.Equal(a, b);
        Assert.Equal(q.SourceArchitecture, loaded.SourceArchitecture);
        Assert.Equal(q.Layers, loaded.Layers);

        byte[] bytes = File.ReadAllBytes(path);
        string bad = Path.Combine(folder, "bad.safetensors");
        File.WriteAllBytes(bad, bytes.AsSpan(0, bytes.Length - 3).ToArray());
        Assert.Contains("bad.safetensors", Assert.Throws<InvalidDataException>(() => QuantizedNetwork.Load(bad)).Message);
        File.WriteAllBytes(bad, bytes.AsSpan(0, 5).ToArray());
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => QuantizedNetwork.Load(bad)).Message);
        byte[] flipped = (byte[])bytes.Clone();
        flipped[^10] ^= 0x10;
        File.WriteAllBytes(bad, flipped);
        Assert.Contains("corrupted", Assert.Throws<InvalidDataException>(() => QuantizedNetwork.Load(bad)).Message);
        // A float network's safetensors file is not a quantized one.
        SafeTensors.Save(net, bad);
        Assert.Contains("not a quantized StaticNets network", Assert.Throws<InvalidDataException>(() => QuantizedNetwork.Load(bad)).Message);
        Assert.Throws<FileNotFoundException>(() => QuantizedNetwork.Load(Path.Combine(folder, "missing")));
        Directory.Delete(folder, true);
    }
}

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(37)] [Dense(45, Bias = false)] [BatchNorm] [ReLU] [Dropout(0.2)] [Dense(19)] [LeakyReLU(0.1f)] [Dense(5)]
public partial class QuantMlp;

// Three input channels (the transposition to channels last), padding, BatchNorm folded per channel, overlapping
// non-square pooling, a strided-free second convolution with LeakyReLU, then Flatten into a Dense.
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(3, 9, 8)] [Conv2D(5, 3, padding: 1, Bias = false)] [BatchNorm] [ReLU] [MaxPool2D(3, 2)]
[Conv2D(7, 2)] [LeakyReLU(0.1f)] [Flatten] [Dropout(0.2)] [Dense(4)]
public partial class QuantCnn;
