using BenchmarkDotNet.Attributes;

namespace StaticNets.Benchmarks;

/// <summary>Generated inference, one sample and a batch; allocations are reported (and must be 0).</summary>
[MemoryDiagnoser]
public class InferenceBenchmarks
{
    private readonly MnistMlp _mnist = new(seed: 1, maxBatchSize: 1024);
    private readonly MnistBatchNormMlp _mnistBatchNorm = new(seed: 1);
    private readonly TinyMlp _tiny = new(seed: 1);
    private readonly float[] _image = Inputs(MnistMlp.InputSize, 1);
    private readonly float[] _images = Inputs(MnistMlp.InputSize, 1024);
    private readonly float[] _probabilities = new float[MnistMlp.OutputSize * 1024];
    private readonly float[] _tinyInput = Inputs(TinyMlp.InputSize, 1);
    private readonly float[] _tinyOutput = new float[TinyMlp.OutputSize];

    [Benchmark(Description = "MLP 784-256-128-10 ReLU, batch 1")]
    public void Mlp_batch1() => _mnist.Predict(_image, _probabilities.AsSpan(0, MnistMlp.OutputSize));

    [Benchmark(Description = "MLP 784-256-BN-ReLU-128-BN-ReLU-10 (BN folded), batch 1")]
    public void MlpBatchNorm_batch1() => _mnistBatchNorm.Predict(_image, _probabilities.AsSpan(0, MnistMlp.OutputSize));

    [Benchmark(Description = "MLP 784-256-128-10 ReLU, batch 1024", OperationsPerInvoke = 1024)]
    public void Mlp_batch1024() => _mnist.PredictBatch(_images, _probabilities, 1024);

    [Benchmark(Description = "tiny MLP 16-32-32-4 ReLU, batch 1")]
    public void Tiny_batch1() => _tiny.Predict(_tinyInput, _tinyOutput);

    internal static float[] Inputs(int size, int count)
    {
        var values = new float[size * count];
        Initializers.Normal(values, 1.0, new Rng(7));
        return values;
    }
}
