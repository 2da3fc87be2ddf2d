using BenchmarkDotNet.Attributes;

namespace StaticNets.Benchmarks;

/// <summary>One training step (forward, backward, SGD update) of the MNIST-sized MLP.</summary>
[MemoryDiagnoser]
public class TrainingBenchmarks
{
    private MnistMlp _net = null!;
    private Trainer<MnistMlp> _trainer = null!;
    private float[] _inputs = null!;
    private int[] _labels = null!;

    [Params(32, 128)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _net = new MnistMlp(seed: 1, maxBatchSize: BatchSize);
        _trainer = new Trainer<MnistMlp>(_net, new Sgd(1e-3f), BatchSize);
        _inputs = InferenceBenchmarks.Inputs(MnistMlp.InputSize, BatchSize);
        var rng = new Rng(3);
        _labels = Enumerable.Range(0, BatchSize).Select(_ => rng.NextInt(MnistMlp.OutputSize)).ToArray();
    }

    [Benchmark(Description = "MLP 784-256-128-10 training step (SGD)")]
    public float Step() => _trainer.TrainStep(_inputs, _labels, BatchSize);
}
