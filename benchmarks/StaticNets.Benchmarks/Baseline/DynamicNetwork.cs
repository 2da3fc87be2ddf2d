using System.Numerics.Tensors;

namespace StaticNets.Benchmarks.Baseline;

/// <summary>
/// The network a C# developer would write without StaticNets: a list of layer objects with virtual
/// calls, sizes held in fields, each layer a separate pass over memory, TensorPrimitives for the
/// arithmetic. Inference only; it copies its weights from a generated network so both compute the same.
/// </summary>
public sealed class DynamicNetwork
{
    private readonly List<Layer> _layers = [];
    private readonly float[][] _buffers;

    public DynamicNetwork(IEnumerable<Layer> layers, int maxBatch)
    {
        _layers.AddRange(layers);
        _buffers = _layers.Select(l => new float[maxBatch * l.OutputSize]).ToArray();
    }

    public void Predict(ReadOnlySpan<float> inputs, Span<float> outputs, int batch)
    {
        ReadOnlySpan<float> x = inputs;
        for (int i = 0; i < _layers.Count; i++)
        {
            Span<float> y = _buffers[i].AsSpan(0, batch * _layers[i].OutputSize);
            _layers[i].Forward(x, y, batch);
            x = y;
        }
        x.CopyTo(outputs);
    }

    /// <summary>Dense layers (and BatchNorm as scale and shift from running statistics) copied from a generated network.</summary>
    public static DynamicNetwork From(INetwork network, int maxBatch)
    {
        var layers = new List<Layer>();
        ReadOnlySpan<float> p = network.Parameters, s = network.State;
        var tensors = network.ParameterTensors.ToArray();
        var state = network.StateTensors.ToArray();
        foreach (string token in network.Architecture.Split(" -> ")[0].Split(' ').Skip(1))
        {
            if (token.StartsWith("Dense(", StringComparison.Ordinal))
            {
                int number = layers.OfType<DenseLayer>().Count() + 1;
                var w = tensors.Single(t => t.Name == $"dense{number}.weight");
                var b = tensors.Single(t => t.Name == $"dense{number}.bias");
                layers.Add(new DenseLayer(p.Slice(w.Offset, w.Length).ToArray(), p.Slice(b.Offset, b.Length).ToArray(), w.Shape[1], w.Shape[0]));
            }
            else if (token == "ReLU") layers.Add(new ReluLayer(layers[^1].OutputSize));
            else if (token.StartsWith("BatchNorm", StringComparison.Ordinal))
            {
                int number = layers.OfType<BatchNormLayer>().Count() + 1;
                float[] Get(ParameterTensor[] set, ReadOnlySpan<float> block, string name) { var t = set.Single(x => x.Name == $"batchnorm{number}.{name}"); return block.Slice(t.Offset, t.Length).ToArray(); }
                float[] gamma = Get(tensors, p, "weight"), beta = Get(tensors, p, "bias"), mean = Get(state, s, "running_mean"), variance = Get(state, s, "running_var");
                float[] scale = gamma.Select((g, j) => g / MathF.Sqrt(variance[j] + 1e-5f)).ToArray();
                layers.Add(new BatchNormLayer(scale, beta.Select((b, j) => b - mean[j] * scale[j]).ToArray()));
            }
            else if (token.StartsWith("Dropout", StringComparison.Ordinal)) { }
            else throw new NotSupportedException("baseline has no " + token);
        }
        return new DynamicNetwork(layers, maxBatch);
    }
}

public abstract class Layer
{
    public abstract int OutputSize { get; }
    public abstract void Forward(ReadOnlySpan<float> x, Span<float> y, int batch);
}

public sealed class DenseLayer(float[] weights, float[] bias, int inSize, int outSize) : Layer
{
    public override int OutputSize => outSize;

    public override void Forward(ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<float> row = x.Slice(r * inSize, inSize);
            for (int o = 0; o < outSize; o++)
                y[r * outSize + o] = TensorPrimitives.Dot(row, weights.AsSpan(o * inSize, inSize)) + bias[o];
        }
    }
}

public sealed class ReluLayer(int size) : Layer
{
    public override int OutputSize => size;
    public override void Forward(ReadOnlySpan<float> x, Span<float> y, int batch) => TensorPrimitives.Max(x, 0f, y);
}

public sealed class BatchNormLayer(float[] scale, float[] shift) : Layer
{
    public override int OutputSize => scale.Length;

    public override void Forward(ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        for (int r = 0; r < batch; r++)
        {
            Span<float> row = y.Slice(r * scale.Length, scale.Length);
            TensorPrimitives.Multiply(x.Slice(r * scale.Length, scale.Length), scale, row);
            TensorPrimitives.Add(row, shift, row);
        }
    }
}
