using System.Numerics.Tensors;

namespace StaticNets.Benchmarks.Baseline;

/// <summary>
/// The training step a C# developer would write without StaticNets: layer objects with virtual Forward and
/// Backward, each a separate pass over memory with TensorPrimitives for the arithmetic, BatchNorm from its
/// textbook formulas, softmax cross-entropy and Adam as TensorPrimitives passes. Its parameters start as a
/// copy of a generated network's, so both train the same network from the same point.
/// </summary>
public sealed class DynamicTrainer
{
    private readonly List<TrainLayer> _layers = [];
    private readonly float[][] _outputs, _gradients;
    private readonly int[] _inputWidths;
    private readonly DynamicAdam _adam;

    private DynamicTrainer(List<TrainLayer> layers, int inputSize, int maxBatch, float learningRate)
    {
        _layers = layers;
        _inputWidths = layers.Select((l, i) => i == 0 ? inputSize : layers[i - 1].OutputSize).ToArray();
        _outputs = layers.Select(l => new float[maxBatch * l.OutputSize]).ToArray();
        _gradients = _inputWidths.Select(w => new float[maxBatch * w]).ToArray();
        _adam = new DynamicAdam(layers.SelectMany(l => l.Parameters).ToList(), learningRate);
    }

    /// <summary>Forward, softmax cross-entropy, backward and one Adam step; returns the mean loss.</summary>
    public float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, int batch)
    {
        ReadOnlySpan<float> x = inputs;
        for (int i = 0; i < _layers.Count; i++)
        {
            Span<float> y = _outputs[i].AsSpan(0, batch * _layers[i].OutputSize);
            _layers[i].Forward(x, y, batch);
            x = y;
        }
        int classes = _layers[^1].OutputSize;
        Span<float> dy = _outputs[^1].AsSpan(0, batch * classes); // softmax and its gradient in place
        float loss = 0;
        for (int r = 0; r < batch; r++)
        {
            Span<float> row = dy.Slice(r * classes, classes);
            TensorPrimitives.SoftMax(row, row);
            loss -= MathF.Log(row[labels[r]]);
            row[labels[r]] -= 1f;
            TensorPrimitives.Multiply(row, 1f / batch, row);
        }
        ReadOnlySpan<float> gradient = dy;
        for (int i = _layers.Count - 1; i >= 0; i--)
        {
            Span<float> dx = _gradients[i].AsSpan(0, batch * _inputWidths[i]);
            _layers[i].Backward(gradient, dx, batch, needInputGradient: i > 0);
            gradient = dx;
        }
        _adam.Step();
        return loss / batch;
    }

    /// <summary>Dense, BatchNorm, ReLU and Dropout layers with the parameters of a generated network.</summary>
    public static DynamicTrainer From(ITrainableNetwork network, int maxBatch, float learningRate)
    {
        var layers = new List<TrainLayer>();
        float[] p = network.Parameters.ToArray();
        var tensors = network.ParameterTensors.ToArray();
        float[] Get(string name) { var t = tensors.Single(x => x.Name == name); return p.AsSpan(t.Offset, t.Length).ToArray(); }
        int width = network.InputSize, dense = 0, norm = 0;
        foreach (string token in network.Architecture.Split(" -> ")[0].Split(' ').Skip(1))
        {
            if (token.StartsWith("Dense(", StringComparison.Ordinal))
            {
                dense++;
                float[] w = Get($"dense{dense}.weight");
                layers.Add(new DenseTrain(w, Get($"dense{dense}.bias"), width, w.Length / width, maxBatch));
            }
            else if (token == "ReLU") layers.Add(new ReluTrain(width, maxBatch));
            else if (token.StartsWith("BatchNorm", StringComparison.Ordinal))
            {
                norm++;
                layers.Add(new BatchNormTrain(Get($"batchnorm{norm}.weight"), Get($"batchnorm{norm}.bias"), maxBatch));
            }
            else if (token.StartsWith("Dropout(", StringComparison.Ordinal))
                layers.Add(new DropoutTrain(width, float.Parse(token["Dropout(".Length..^1], System.Globalization.CultureInfo.InvariantCulture), maxBatch));
            else throw new NotSupportedException("baseline has no " + token);
            width = layers[^1].OutputSize;
        }
        return new DynamicTrainer(layers, network.InputSize, maxBatch, learningRate);
    }
}
