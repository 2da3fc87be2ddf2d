using BenchmarkDotNet.Attributes;
using FashionMnist;
using StaticNets;

namespace StaticNets.AotBenchmarks;

/// <summary>
/// What EmbeddedInference times per image: standardize 784 pixels and predict with the Fashion-MNIST MLP (BatchNorm
/// folded), one image at a time. The values do not change the work, so the weights are the initializer's and the
/// pixels and their statistics random in the data's range.
/// </summary>
[MemoryDiagnoser]
public class PerImageLatency
{
    private readonly FashionMlp _net = new(maxBatchSize: 1);
    private readonly float[] _image = new float[FashionMlp.InputSize], _pixels = new float[FashionMlp.InputSize];
    private readonly float[] _probabilities = new float[FashionMlp.OutputSize];
    private Standardizer _standardizer = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(7);
        const int images = 64;
        var sample = new float[images * FashionMlp.InputSize];
        for (int i = 0; i < sample.Length; i++) sample[i] = MathF.Floor(256 * rng.NextSingle());
        _standardizer = Standardizer.Fit(sample, FashionMlp.InputSize);
        sample.AsSpan(0, FashionMlp.InputSize).CopyTo(_image);
        Classify(); // the first call builds the inference copy
    }

    [Benchmark]
    public int Classify()
    {
        _standardizer.Transform(_image, _pixels);
        _net.Predict(_pixels, _probabilities);
        return System.Numerics.Tensors.TensorPrimitives.IndexOfMax(_probabilities);
    }
}
