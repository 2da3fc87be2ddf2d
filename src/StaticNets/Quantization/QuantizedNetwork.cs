using StaticNets.Kernels;
using StaticNets.Quantization;

namespace StaticNets;

/// <summary>
/// A trained network quantized to int8 after training: Dense and Conv2D weights as int8 with a scale per output
/// channel (symmetric), each layer's input as 7-bit integers with a scale and zero point calibrated on sample data,
/// products summed in int32, biases and the last layer's logits in float. BatchNorm is folded into the layer before it
/// first; max pooling runs on the quantized values; dropout is the identity. Predict returns what the float network's Predict returns (probabilities for the
/// cross-entropy losses), so the two are compared directly (<see cref="Compare"/>).
/// <para>
/// Threading: immutable once made; <see cref="Predict"/>, <see cref="PredictLogits"/> and <see cref="PredictBatch"/>
/// are safe from any number of threads at once. Predict allocates nothing (its values live on the stack);
/// PredictBatch allocates nothing after a thread's first call (a buffer per thread).
/// </para>
/// </summary>
public sealed partial class QuantizedNetwork
{
    // Single-sample scratch larger than this lives in a buffer per thread instead of on the stack.
    private const int MaxStackBytes = 32 * 1024;
    // PredictBatch runs up to this many samples through the layers at a time (fewer when a sample's scratch is large).
    private const int ChunkSamples = 64, ChunkBytes = 4 << 20;

    [ThreadStatic] private static byte[]? t_scratch;

    private readonly Int8Layer[] _layers;
    // Per sample: channels-last input bytes of a layer, its patch rows, their integer sums, and outputs before pooling.
    private readonly int _activationBytes, _rowBytes, _sumBytes, _poolBytes, _scratchBytes, _chunk;

    internal QuantizedNetwork(Int8Layer[] layers, Loss loss, string architecture)
    {
        _layers = layers;
        Loss = loss;
        SourceArchitecture = architecture;
        static int Line(long bytes) => (int)((bytes + 63) / 64 * 64);
        _activationBytes = Line(layers.Max(l => (long)l.Geometry.InputSize));
        _rowBytes = Line(layers.Max(l => (long)l.Geometry.Positions * l.InputStride));
        _sumBytes = Line(layers.Max(l => 4L * l.Geometry.Positions * l.SumStride));
        _poolBytes = Line(layers.Max(l => l.Geometry.Pool > 0 ? (long)l.Geometry.Positions * l.Outputs : 0));
        _scratchBytes = _activationBytes + _rowBytes + _sumBytes + _poolBytes;
        _chunk = Math.Clamp(ChunkBytes / _scratchBytes, 1, ChunkSamples);
        Layers = layers.Select(l => new QuantizedLayerInfo(l.Name, l.Inputs, l.Outputs, l.Activation, l.InputScale, l.InputZeroPoint,
            l.WeightScales.Min(), l.WeightScales.Max())).ToArray();
    }

    /// <summary>
    /// Quantizes <paramref name="network"/> as it is now: folds its BatchNorms, quantizes every Dense's weights per
    /// output channel, and calibrates each layer's input range on the first <paramref name="count"/> samples of
    /// <paramref name="calibrationInputs"/> (a few hundred to a few thousand training inputs, preprocessed as for
    /// training). Supports vector-input networks of Dense layers with BatchNorm, ReLU or LeakyReLU and dropout between
    /// them, and convolutional networks of Conv2D layers (with BatchNorm, ReLU or LeakyReLU and max pooling) then
    /// Flatten and Dense layers; anything else is a <see cref="NotSupportedException"/> naming the layer.
    /// </summary>
    public static QuantizedNetwork Quantize(INetwork network, ReadOnlySpan<float> calibrationInputs, int count, QuantizationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        options ??= QuantizationOptions.Default;
        if (!(options.Percentile >= 50 && options.Percentile <= 100))
            throw new ArgumentOutOfRangeException(nameof(options), options.Percentile, "The calibration percentile must be from 50 to 100 (the share of values kept at each end, in percent).");
        if (count < 1)
            throw new ArgumentOutOfRangeException(nameof(count), count, "Calibration needs at least one sample.");
        if ((long)count * network.InputSize != calibrationInputs.Length)
            throw new ArgumentException($"calibrationInputs has {calibrationInputs.Length} values; {count} samples of {network.InputSize} need {(long)count * network.InputSize}.", nameof(calibrationInputs));
        Guard.Finite(calibrationInputs, nameof(calibrationInputs));
        List<FoldedLayer> layers = FoldedChain.Read(network);
        foreach (FoldedLayer layer in layers)
        {
            if (!layer.Weights.All(float.IsFinite) || !layer.Bias.All(float.IsFinite))
                throw new ArgumentException($"{network.GetType().Name}'s {layer.Name} has a weight or bias that is NaN or infinite (after folding its BatchNorm); it cannot be quantized.", nameof(network));
            // The sums of 7-bit activations times int8 weights must stay within int32.
            if ((long)layer.Inputs * Int8Kernels.MaxActivation * Int8Kernels.MaxWeight > int.MaxValue)
                throw new NotSupportedException($"{layer.Name} has {layer.Inputs} inputs; int8 sums are exact up to {int.MaxValue / (Int8Kernels.MaxActivation * Int8Kernels.MaxWeight)}.");
        }
        var ranges = Calibration.Run(layers, calibrationInputs, count, options);
        var quantized = layers.Select((l, i) => Int8Layer.Quantize(l, ranges[i].Scale, ranges[i].ZeroPoint)).ToArray();
        return new QuantizedNetwork(quantized, network.Loss, network.Architecture);
    }

    /// <summary>Features per input sample.</summary>
    public int InputSize => _layers[0].Geometry.InputSize;

    /// <summary>Values per output sample.</summary>
    public int OutputSize => _layers[^1].Outputs;

    /// <summary>The loss of the float network it was made from (it decides what <see cref="Predict"/> returns).</summary>
    public Loss Loss { get; }

    /// <summary>The float network's <see cref="INetwork.Architecture"/>.</summary>
    public string SourceArchitecture { get; }

    /// <summary>Each layer's quantization, in order.</summary>
    public IReadOnlyList<QuantizedLayerInfo> Layers { get; }

    /// <summary>Bytes of int8 weights (what a prediction reads besides the float biases and scales).</summary>
    public long WeightBytes => _layers.Sum(l => (long)l.Weights.Length);

    internal IReadOnlyList<Int8Layer> Int8Layers => _layers;

    /// <summary>
    /// One sample: probabilities for the cross-entropy losses (softmax or sigmoid of the float logits), else the last
    /// layer's values. Throws ArgumentException for wrong lengths or a NaN/infinite input.
    /// </summary>
    public void Predict(ReadOnlySpan<float> input, Span<float> output)
    {
        PredictLogits(input, output);
        Link(output, 1);
    }

    /// <summary>One sample's last-layer values (logits for the cross-entropy losses), as <see cref="Predict"/> without the link.</summary>
    public void PredictLogits(ReadOnlySpan<float> input, Span<float> logits)
    {
        Guard.Length(input.Length, InputSize, nameof(input), "InputSize of the quantized network");
        Guard.Length(logits.Length, OutputSize, nameof(logits), "OutputSize of the quantized network");
        Guard.Finite(input, nameof(input));
        if (_scratchBytes <= MaxStackBytes)
        {
            Span<byte> bytes = stackalloc byte[_scratchBytes];
            Forward(input, logits, 1, bytes);
        }
        else
            Forward(input, logits, 1, ScratchFor(1));
    }

    /// <summary>
    /// <paramref name="batchSize"/> samples row after row (outputs as in <see cref="Predict"/>). Thread-safe; allocates
    /// nothing after a thread's first call.
    /// </summary>
    public void PredictBatch(ReadOnlySpan<float> inputs, Span<float> outputs, int batchSize)
    {
        if (batchSize < 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size cannot be negative.");
        Guard.Length(inputs.Length, batchSize * InputSize, nameof(inputs), "batchSize × InputSize");
        Guard.Length(outputs.Length, batchSize * OutputSize, nameof(outputs), "batchSize × OutputSize");
        Guard.Finite(inputs, nameof(inputs));
        Span<byte> scratch = ScratchFor(_chunk);
        for (int start = 0; start < batchSize; start += _chunk)
        {
            int rows = Math.Min(_chunk, batchSize - start);
            Forward(inputs.Slice(start * InputSize, rows * InputSize), outputs.Slice(start * OutputSize, rows * OutputSize), rows, scratch);
        }
        Link(outputs, batchSize);
    }

    /// <summary>
    /// This network's predictions beside <paramref name="network"/>'s (the float network it was made from, or any with
    /// the same sizes) on <paramref name="data"/>: accuracies when the data has labels, how often the two pick the same
    /// class, and the largest difference of an output.
    /// </summary>
    public QuantizationComparison Compare(INetwork network, Dataset data)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        if (network.InputSize != InputSize || network.OutputSize != OutputSize)
            throw new ArgumentException($"The float network takes {network.InputSize} inputs to {network.OutputSize} outputs; this one {InputSize} to {OutputSize}.", nameof(network));
        Guard.Length(data.FeatureCount, InputSize, nameof(data), "InputSize features per sample");
        var a = new float[OutputSize];
        var b = new float[OutputSize];
        int floatCorrect = 0, int8Correct = 0, agree = 0;
        double largest = 0;
        for (int i = 0; i < data.Count; i++)
        {
            ReadOnlySpan<float> x = data.FeaturesOf(i);
            network.Predict(x, a);
            Predict(x, b);
            int fa = Decision(a), fb = Decision(b);
            if (fa == fb) agree++;
            if (data.Labels is { } labels)
            {
                if (fa == labels[i]) floatCorrect++;
                if (fb == labels[i]) int8Correct++;
            }
            for (int k = 0; k < OutputSize; k++) largest = Math.Max(largest, Math.Abs(a[k] - b[k]));
        }
        double n = Math.Max(1, data.Count);
        return new QuantizationComparison(data.Count, data.Labels is null ? null : floatCorrect / n, data.Labels is null ? null : int8Correct / n, agree / n, largest);
    }

    // The class a prediction picks: the largest output, or for one sigmoid output whether it passes one half.
    private int Decision(ReadOnlySpan<float> output) =>
        OutputSize == 1 && Loss == Loss.SigmoidBinaryCrossEntropy ? (output[0] >= 0.5f ? 1 : 0) : System.Numerics.Tensors.TensorPrimitives.IndexOfMax(output);

    private void Link(Span<float> outputs, int rows)
    {
        if (Loss == Loss.SoftmaxCrossEntropy) OutputKernels.Softmax(outputs, outputs, rows, OutputSize);
        else if (Loss == Loss.SigmoidBinaryCrossEntropy) OutputKernels.Sigmoid(outputs, outputs);
    }

    // Samples through every layer: quantize (channels last), then per layer the patch rows, their integer products,
    // and the dequantized outputs, quantized for the next layer (pooled there as bytes: max commutes with quantizing).
    private void Forward(ReadOnlySpan<float> inputs, Span<float> outputs, int samples, Span<byte> scratch)
    {
        Span<byte> activations = scratch[..(samples * _activationBytes)];
        Span<byte> rows = scratch.Slice(samples * _activationBytes, samples * _rowBytes);
        Span<int> sums = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(scratch.Slice(samples * (_activationBytes + _rowBytes), samples * _sumBytes));
        Span<byte> unpooled = scratch.Slice(samples * (_activationBytes + _rowBytes + _sumBytes), samples * _poolBytes);
        Int8Layer first = _layers[0];
        LayerGeometry g0 = first.Geometry;
        for (int s = 0; s < samples; s++)
        {
            ReadOnlySpan<float> x = inputs.Slice(s * InputSize, InputSize);
            Span<byte> a = activations.Slice(s * _activationBytes, InputSize);
            if (g0.Channels == 1 || g0.Height * g0.Width == 1)
                Requantize.Quantize(x, first.InverseInputScale, first.InputZeroPoint, a);
            else
            {
                Span<byte> channelFirst = rows.Slice(s * _rowBytes, InputSize);
                Requantize.Quantize(x, first.InverseInputScale, first.InputZeroPoint, channelFirst);
                Im2Col.ToChannelsLast<byte>(channelFirst, g0.Channels, g0.Height * g0.Width, a);
            }
        }
        for (int l = 0; l < _layers.Length; l++)
        {
            Int8Layer layer = _layers[l];
            LayerGeometry g = layer.Geometry;
            int positions = g.Positions, stride = layer.InputStride;
            if (g.IsDense)
            {
                // A Dense reads each sample's values where they are: the bytes past its inputs meet packed zeros.
                Int8Kernels.Dot(activations, _activationBytes, layer.Packed, sums, layer.SumStride, samples, layer.Quads, layer.Blocks);
            }
            else
            {
                for (int s = 0; s < samples; s++)
                    Im2Col.Rows(activations.Slice(s * _activationBytes, g.InputSize), g, (byte)layer.InputZeroPoint, rows.Slice(s * positions * stride, positions * stride), stride);
                Int8Kernels.Dot(rows, stride, layer.Packed, sums, layer.SumStride, samples * positions, layer.Quads, layer.Blocks);
            }
            Int8Layer? next = l + 1 < _layers.Length ? _layers[l + 1] : null;
            for (int s = 0; s < samples; s++)
            {
                Span<byte> target = next is null ? default
                    : g.Pool > 0 ? unpooled.Slice(s * positions * layer.Outputs, positions * layer.Outputs)
                    : activations.Slice(s * _activationBytes, positions * layer.Outputs);
                for (int p = 0; p < positions; p++)
                {
                    ReadOnlySpan<int> rowSums = sums.Slice((s * positions + p) * layer.SumStride, layer.Outputs);
                    if (next is null)
                        Requantize.Dequantize(rowSums, layer.Corrections, layer.Scales, layer.Bias, layer.NegativeSlope, outputs.Slice(s * layer.Outputs, layer.Outputs), default, 0, 0);
                    else
                        Requantize.Dequantize(rowSums, layer.Corrections, layer.Scales, layer.Bias, layer.NegativeSlope, default,
                            target.Slice(p * layer.Outputs, layer.Outputs), next.InverseInputScale, next.InputZeroPoint);
                }
                if (next is not null && g.Pool > 0)
                    Im2Col.MaxPool<byte>(target, layer.Outputs, g.OutputHeight, g.OutputWidth, g.Pool, g.PoolStride, activations.Slice(s * _activationBytes, layer.OutputSize));
            }
        }
    }

    private Span<byte> ScratchFor(int rows)
    {
        int bytes = rows * _scratchBytes;
        byte[]? scratch = t_scratch;
        if (scratch is null || scratch.Length < bytes) t_scratch = scratch = new byte[bytes];
        return scratch.AsSpan(0, bytes);
    }
}

/// <summary>One layer of a <see cref="QuantizedNetwork"/>: its sizes, activation, input quantization and the range of its weight scales.</summary>
/// <param name="Name">The float network's layer (<c>conv2</c>, <c>dense1</c>).</param>
/// <param name="Inputs">Values each output reads: a Dense's inputs, a convolution's patch (kernel rows × columns × channels).</param>
/// <param name="Outputs">Units, or filters.</param>
/// <param name="Activation">The activation applied in the layer (<c>ReLU</c>, <c>LeakyReLU(0.1)</c>, <c>Identity</c>).</param>
/// <param name="InputScale">The float value of one step of the layer's 7-bit input.</param>
/// <param name="InputZeroPoint">The 7-bit value that stands for 0.</param>
/// <param name="SmallestWeightScale">The smallest of the per-output weight steps.</param>
/// <param name="LargestWeightScale">The largest of the per-output weight steps.</param>
public sealed record QuantizedLayerInfo(string Name, int Inputs, int Outputs, string Activation, float InputScale, int InputZeroPoint,
    float SmallestWeightScale, float LargestWeightScale);

/// <summary>A quantized network's predictions beside a float network's on the same samples.</summary>
/// <param name="Samples">How many samples were compared.</param>
/// <param name="FloatAccuracy">The float network's accuracy (null without labels).</param>
/// <param name="Int8Accuracy">The quantized network's accuracy (null without labels).</param>
/// <param name="Agreement">The share of samples where both pick the same class.</param>
/// <param name="LargestDifference">The largest difference between two outputs (probabilities for the cross-entropy losses).</param>
public sealed record QuantizationComparison(int Samples, double? FloatAccuracy, double? Int8Accuracy, double Agreement, double LargestDifference)
{
    /// <summary>Int8 accuracy minus float accuracy, in points (null without labels).</summary>
    public double? AccuracyChangePoints => Int8Accuracy - FloatAccuracy is double d ? 100 * d : null;

    /// <summary>One line: the accuracies, the agreement and the largest difference.</summary>
    public override string ToString() => FloatAccuracy is double f && Int8Accuracy is double q
        ? $"float32 accuracy {f:F4}, int8 {q:F4} ({100 * (q - f):+0.00;-0.00} points); same class for {Agreement:P2} of {Samples} samples; largest output difference {LargestDifference:G3}"
        : $"same class for {Agreement:P2} of {Samples} samples; largest output difference {LargestDifference:G3}";
}
