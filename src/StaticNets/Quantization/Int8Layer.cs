namespace StaticNets.Quantization;

/// <summary>
/// One quantized layer, a convolution over channels-last values (a Dense: 1×1 over a 1×1 image): int8 weights with a
/// scale per output (symmetric, −127…127), the float bias, and the affine 7-bit quantization of its input (scale and
/// zero point, calibrated). At each position y[o] = (Σᵢ (x_q[i] − z)·w_q[o, i])·s_x·s_w[o] + b[o] over the position's
/// patch (padding reads as z, a real 0), then the activation, then max pooling. Immutable.
/// </summary>
internal sealed class Int8Layer
{
    public Int8Layer(string name, LayerGeometry geometry, int outputs, sbyte[] weights, float[] weightScales, float[] bias, float inputScale, int inputZeroPoint,
        float negativeSlope, string activation)
    {
        int inputs = geometry.Patch;
        Name = name;
        Geometry = geometry;
        Inputs = inputs;
        Outputs = outputs;
        Weights = weights;
        WeightScales = weightScales;
        Bias = bias;
        InputScale = inputScale;
        InverseInputScale = 1f / inputScale;
        InputZeroPoint = inputZeroPoint;
        NegativeSlope = negativeSlope;
        Activation = activation;
        Quads = Int8Kernels.Quads(inputs);
        Blocks = Int8Kernels.Blocks(outputs);
        Packed = new sbyte[Int8Kernels.PackedLength(outputs, inputs)];
        Int8Kernels.Pack(weights, outputs, inputs, Packed);
        Scales = new float[outputs];
        Corrections = new int[outputs];
        for (int o = 0; o < outputs; o++)
        {
            Scales[o] = inputScale * weightScales[o];
            int sum = 0;
            for (int i = 0; i < inputs; i++) sum += weights[o * inputs + i];
            Corrections[o] = inputZeroPoint * sum;
        }
    }

    public string Name { get; }
    public LayerGeometry Geometry { get; }

    /// <summary>Values of a position's patch (a Dense's inputs).</summary>
    public int Inputs { get; }

    /// <summary>Values per sample after the activation and pooling (channels last).</summary>
    public int OutputSize => Outputs * Geometry.PooledHeight * Geometry.PooledWidth;
    public int Outputs { get; }

    /// <summary>[Outputs, Inputs] row-major, as saved.</summary>
    public sbyte[] Weights { get; }
    public float[] WeightScales { get; }
    public float[] Bias { get; }
    public float InputScale { get; }
    public float InverseInputScale { get; }
    public int InputZeroPoint { get; }
    public float NegativeSlope { get; }
    public string Activation { get; }

    public int Quads { get; }
    public int Blocks { get; }

    /// <summary>Bytes per quantized input row (whole quads).</summary>
    public int InputStride => Quads * Int8Kernels.Quad;

    /// <summary>Integer sums per row (whole blocks).</summary>
    public int SumStride => Blocks * Int8Kernels.Block;

    /// <summary>The weights in the kernels' layout.</summary>
    public sbyte[] Packed { get; }

    /// <summary>s_x·s_w[o]: from an integer sum to the float output.</summary>
    public float[] Scales { get; }

    /// <summary>z·Σᵢ w_q[o, i]: what the zero point adds to each sum.</summary>
    public int[] Corrections { get; }

    /// <summary>
    /// Symmetric per-output-channel int8 weights of <paramref name="layer"/> (PyTorch's per_channel_symmetric, restricted
    /// to ±127 so that negating a weight stays exact) and the layer quantized with the given input quantization.
    /// </summary>
    public static Int8Layer Quantize(FoldedLayer layer, float inputScale, int inputZeroPoint)
    {
        var weights = new sbyte[layer.Weights.Length];
        var scales = new float[layer.Outputs];
        for (int o = 0; o < layer.Outputs; o++)
        {
            ReadOnlySpan<float> row = layer.Weights.AsSpan(o * layer.Inputs, layer.Inputs);
            float max = 0;
            foreach (float w in row) max = Math.Max(max, Math.Abs(w));
            float scale = max > 0 ? max / Int8Kernels.MaxWeight : 1f;
            scales[o] = scale;
            for (int i = 0; i < row.Length; i++)
                weights[o * layer.Inputs + i] = (sbyte)Math.Clamp(MathF.Round(row[i] / scale), -Int8Kernels.MaxWeight, Int8Kernels.MaxWeight);
        }
        return new Int8Layer(layer.Name, layer.Geometry, layer.Outputs, weights, scales, (float[])layer.Bias.Clone(), inputScale, inputZeroPoint,
            layer.NegativeSlope, layer.Activation);
    }
}
