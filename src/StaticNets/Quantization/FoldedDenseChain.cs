using System.Globalization;

namespace StaticNets.Quantization;

/// <summary>One dense layer of a float network as inference computes it: BatchNorm folded in, then its activation.</summary>
/// <param name="Name">The Dense's name (<c>dense2</c>).</param>
/// <param name="Inputs">Values in per sample.</param>
/// <param name="Outputs">Values out per sample.</param>
/// <param name="Weights">[outputs, inputs] row-major, the BatchNorm after it folded in.</param>
/// <param name="Bias">Per output (zeros for a Dense without bias and no BatchNorm).</param>
/// <param name="NegativeSlope">The activation as v &gt; 0 ? v : slope·v: 0 for ReLU, α for LeakyReLU, 1 for none.</param>
/// <param name="Activation">The activation's token (<c>ReLU</c>, <c>LeakyReLU(0.1)</c>) or <c>Identity</c>.</param>
internal sealed record FoldedDense(string Name, int Inputs, int Outputs, float[] Weights, float[] Bias, float NegativeSlope, string Activation)
{
    /// <summary>y = activation(W x + b) for one sample, summed in double.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int o = 0; o < Outputs; o++)
        {
            double sum = Bias[o];
            ReadOnlySpan<float> row = Weights.AsSpan(o * Inputs, Inputs);
            for (int i = 0; i < Inputs; i++) sum += (double)row[i] * x[i];
            float v = (float)sum;
            y[o] = v > 0 ? v : NegativeSlope * v;
        }
    }
}

/// <summary>
/// Reads a float network as the chain of dense layers int8 inference runs: its architecture and tensors, BatchNorm
/// folded into the Dense before it with the running statistics (as inference uses them), dropout and DropConnect
/// dropped (the identity at inference). Anything else is named in a <see cref="NotSupportedException"/>.
/// </summary>
internal static class FoldedDenseChain
{
    public static List<FoldedDense> Read(INetwork network)
    {
        string[] tokens = network.Architecture.Split(" -> ")[0].Split(' ');
        string input = tokens[0];
        if (!int.TryParse(Argument(input), NumberStyles.None, CultureInfo.InvariantCulture, out int width))
            throw Unsupported(network, input, "int8 inference takes a vector input ([Input(n)]); convolutional networks are not quantized yet");
        var layers = new List<FoldedDense>();
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        int Next(string kind) => counts[kind] = counts.GetValueOrDefault(kind) + 1;
        bool activated = false, normalized = false;
        foreach (string token in tokens.Skip(1))
        {
            string kind = token.Split('(')[0];
            switch (kind)
            {
                case "Dense":
                {
                    string name = "dense" + Next("dense");
                    float[] weights = Tensor(network, name + ".weight", false);
                    int outputs = weights.Length / width;
                    float[] bias = token.Contains("bias=false", StringComparison.Ordinal) ? new float[outputs] : Tensor(network, name + ".bias", false);
                    layers.Add(new FoldedDense(name, width, outputs, weights, bias, 1f, "Identity"));
                    width = outputs;
                    activated = normalized = false;
                    break;
                }
                case "BatchNorm":
                {
                    string name = "batchnorm" + Next("batchnorm");
                    if (layers.Count == 0 || activated || normalized)
                        throw Unsupported(network, token, "int8 inference folds a BatchNorm into the Dense right before it, and this one follows something else");
                    float epsilon = float.Parse(Argument(token).Split(',')[0]["eps=".Length..], CultureInfo.InvariantCulture);
                    float[] gamma = Tensor(network, name + ".weight", false), beta = Tensor(network, name + ".bias", false);
                    float[] mean = Tensor(network, name + ".running_mean", true), variance = Tensor(network, name + ".running_var", true);
                    FoldedDense last = layers[^1];
                    for (int o = 0; o < last.Outputs; o++)
                    {
                        // PyTorch's eval-mode BatchNorm1d: γ(y − μ)/√(σ² + ε) + β, folded into the rows of W and the bias.
                        double scale = gamma[o] / Math.Sqrt((double)variance[o] + epsilon);
                        for (int i = 0; i < last.Inputs; i++) last.Weights[o * last.Inputs + i] = (float)(last.Weights[o * last.Inputs + i] * scale);
                        last.Bias[o] = (float)((last.Bias[o] - mean[o]) * scale + beta[o]);
                    }
                    normalized = true;
                    break;
                }
                case "ReLU" or "LeakyReLU":
                {
                    if (layers.Count == 0 || activated)
                        throw Unsupported(network, token, "int8 inference applies an activation in the layer before it");
                    float slope = kind == "ReLU" ? 0f : float.Parse(Argument(token), CultureInfo.InvariantCulture);
                    layers[^1] = layers[^1] with { NegativeSlope = slope, Activation = token };
                    activated = true;
                    break;
                }
                case "Dropout" or "DropConnect":
                    break; // the identity at inference
                default:
                    throw Unsupported(network, token, "int8 inference runs Dense layers with BatchNorm, ReLU or LeakyReLU between them, and dropout");
            }
        }
        if (layers.Count == 0) throw Unsupported(network, tokens[0], "it has no Dense layer to quantize");
        if (layers[^1].NegativeSlope != 1f)
            throw Unsupported(network, layers[^1].Activation, "int8 inference ends with a Dense whose float outputs are the logits; an activation after the last layer is not supported");
        return layers;
    }

    private static float[] Tensor(INetwork network, string name, bool state)
    {
        ReadOnlySpan<ParameterTensor> tensors = state ? network.StateTensors : network.ParameterTensors;
        foreach (ParameterTensor t in tensors)
            if (t.Name == name) return (state ? network.State : network.Parameters).Slice(t.Offset, t.Length).ToArray();
        throw new InvalidOperationException($"{network.GetType().Name} has no tensor '{name}' for its architecture '{network.Architecture}'.");
    }

    private static string Argument(string token)
    {
        int open = token.IndexOf('(');
        return open < 0 ? "" : token[(open + 1)..^1];
    }

    private static NotSupportedException Unsupported(INetwork network, string token, string why) =>
        new($"{network.GetType().Name} cannot be quantized to int8: {token}: {why}. Architecture: {network.Architecture}.");
}
