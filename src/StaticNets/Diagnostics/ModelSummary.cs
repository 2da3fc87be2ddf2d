using System.Globalization;
using System.Text;

namespace StaticNets;

/// <summary>
/// One row of a <see cref="ModelSummary"/>: a layer as declared (an activation fused into the layer before it gets a row
/// of its own, as in Keras' summary).
/// </summary>
/// <param name="Name">The layer's name, as in tensor names (<c>conv1</c>, <c>batchnorm2</c>), or the activation's (<c>relu1</c>).</param>
/// <param name="Layer">The layer with its settings, as in <see cref="INetwork.Architecture"/>.</param>
/// <param name="OutputShape">Values per sample after the layer: [features], or [channels, height, width].</param>
/// <param name="Parameters">Learnable parameters.</param>
/// <param name="Flops">Arithmetic per sample in inference (see <see cref="ModelSummary"/> for how it is counted).</param>
public sealed record LayerSummary(string Name, string Layer, IReadOnlyList<int> OutputShape, long Parameters, long Flops)
{
    /// <summary>The shape as PyTorch prints a size, without the batch: [32, 28, 28].</summary>
    public string Shape => "[" + string.Join(", ", OutputShape) + "]";
}

/// <summary>
/// A network layer by layer, computed by the generator when the network was compiled: every layer's output shape,
/// parameters and FLOPs per sample, and the memory the network holds. Each generated network has one as its static
/// <c>Summary</c>; <see cref="ToString()"/> prints it as a table, like Keras' <c>model.summary()</c>.
/// </summary>
/// <remarks>
/// FLOPs count the arithmetic of inference per sample, a multiply-add as two: a dense layer 2·in·out (+ out for the
/// bias), a convolution 2·(in·kh·kw)·out per output position (+ 1 per output for the bias), BatchNorm 2 per value (the
/// scale and shift its folded form applies), LayerNorm, GroupNorm and InstanceNorm 8 per value (mean, variance,
/// normalization, scale and shift), pooling one per window value, global pooling and residual additions one per value,
/// activations one per value they read. Dropout and Flatten cost nothing at inference. Training costs about three times
/// the forward FLOPs (forward, and the two backward products). Immutable: safe to share between threads.
/// </remarks>
public sealed class ModelSummary
{
    /// <summary>Used by generated code.</summary>
    public ModelSummary(string network, IReadOnlyList<int> inputShape, IReadOnlyList<LayerSummary> layers, long stateValues,
        long workspacePerSample, long workspaceFixed)
    {
        Network = network;
        InputShape = inputShape;
        Layers = layers;
        StateValues = stateValues;
        WorkspaceValuesPerSample = workspacePerSample;
        WorkspaceFixedValues = workspaceFixed;
        foreach (var layer in layers)
        {
            TotalParameters += layer.Parameters;
            TotalFlops += layer.Flops;
        }
    }

    /// <summary>The network class's name.</summary>
    public string Network { get; }

    /// <summary>Values per input sample: [features], or [channels, height, width].</summary>
    public IReadOnlyList<int> InputShape { get; }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<LayerSummary> Layers { get; }

    /// <summary>Learnable parameters of all layers: the network's <c>ParameterCount</c>.</summary>
    public long TotalParameters { get; }

    /// <summary>Inference FLOPs per sample of all layers.</summary>
    public long TotalFlops { get; }

    /// <summary>Bytes of the parameters (float32).</summary>
    public long ParameterBytes => TotalParameters * sizeof(float);

    /// <summary>Running statistics and other non-learned state, in values.</summary>
    public long StateValues { get; }

    /// <summary>Bytes of the state.</summary>
    public long StateBytes => StateValues * sizeof(float);

    /// <summary>Workspace values (activations, gradients, masks) per sample of the largest batch.</summary>
    public long WorkspaceValuesPerSample { get; }

    /// <summary>Workspace values that do not grow with the batch (scratch, per-channel statistics).</summary>
    public long WorkspaceFixedValues { get; }

    /// <summary>Bytes of workspace a network constructed with <paramref name="maxBatchSize"/> holds.</summary>
    public long WorkspaceBytes(int maxBatchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        return (WorkspaceValuesPerSample * maxBatchSize + WorkspaceFixedValues) * sizeof(float);
    }

    /// <summary>The table, with the workspace for the default maxBatchSize of 256.</summary>
    public override string ToString() => ToString(256);

    /// <summary>The table, with the workspace for networks constructed with <paramref name="maxBatchSize"/>.</summary>
    public string ToString(int maxBatchSize)
    {
        var c = CultureInfo.InvariantCulture;
        var rows = new List<string[]> { new[] { "layer", "type", "output shape", "parameters", "FLOPs" } };
        rows.Add(["input", "Input", "[" + string.Join(", ", InputShape) + "]", "", ""]);
        foreach (var l in Layers) rows.Add([l.Name, l.Layer, l.Shape, l.Parameters.ToString("N0", c), l.Flops.ToString("N0", c)]);
        int[] widths = Enumerable.Range(0, 5).Select(i => rows.Max(r => r[i].Length)).ToArray();
        var text = new StringBuilder();
        text.AppendLine(c, $"{Network}");
        int total = widths.Sum() + 8;
        for (int r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            string line = row[0].PadRight(widths[0]) + "  " + row[1].PadRight(widths[1]) + "  " + row[2].PadRight(widths[2]) + "  "
                + row[3].PadLeft(widths[3]) + "  " + row[4].PadLeft(widths[4]);
            text.AppendLine(line.TrimEnd());
            if (r == 0) text.AppendLine(new string('─', total));
        }
        text.AppendLine(new string('─', total));
        text.AppendLine(c, $"parameters: {TotalParameters:N0} ({Bytes(ParameterBytes)})");
        text.AppendLine(c, $"state:      {StateValues:N0} values ({Bytes(StateBytes)})");
        text.AppendLine(c, $"workspace:  {Bytes(WorkspaceBytes(maxBatchSize))} at maxBatchSize {maxBatchSize} ({WorkspaceValuesPerSample:N0} values per sample + {WorkspaceFixedValues:N0})");
        text.Append(c, $"FLOPs per sample (inference): {TotalFlops:N0} ({TotalFlops / 1e6:0.##} M)");
        return text.ToString();
    }

    private static string Bytes(long bytes) => bytes switch
    {
        < 1024 => bytes.ToString(CultureInfo.InvariantCulture) + " B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
    };
}
