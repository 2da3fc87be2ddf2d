using BenchmarkDotNet.Attributes;
using FashionMnist;
using StaticNets.Benchmarks.Peers;
using TorchSharp;
using static TorchSharp.torch;

namespace StaticNets.Benchmarks;

/// <summary>(e) The FashionMnist CNN (FashionCnn), inference: one image (Predict), and batches of 64 and 256 (PredictBatch).</summary>
[MemoryDiagnoser]
public class CnnInference
{
    private FashionCnn _net = null!;
    private float[] _x = null!, _y = null!;
    private nn.Module<Tensor, Tensor> _torch = null!;
    private Tensor _tx = null!;

    [Params(1, 64, 256)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _net = new FashionCnn(seed: 1, maxBatchSize: Batch);
        _x = Inputs.Normal(784, Batch);
        _y = new float[10 * Batch];
        // Running statistics as after training, so the folded convolutions do real work.
        Initializers.Uniform(_net.BatchNorm1RunningMean, 0.5, new Rng(3));
        _net.BatchNorm1RunningVariance.Fill(2f);
        TorchModels.UseOneThread();
        _torch = TorchModels.Cnn();
        _torch.eval();
        _tx = TorchModels.Images(_x, Batch, 1, 28, 28);
        _int8 = QuantizedNetwork.Quantize(_net, Inputs.Normal(784, 32), 32);
    }

    private QuantizedNetwork _int8 = null!;

    [Benchmark(Baseline = true, Description = "StaticNets")]
    public void StaticNets()
    {
        if (Batch == 1) _net.Predict(_x, _y);
        else _net.PredictBatch(_x, _y, Batch);
    }

    [Benchmark(Description = "StaticNets int8")]
    public void StaticNetsInt8()
    {
        if (Batch == 1) _int8.Predict(_x, _y);
        else _int8.PredictBatch(_x, _y, Batch);
    }

    [Benchmark(Description = "TorchSharp")]
    public float TorchSharp() => TorchModels.Infer(_torch, _tx);
}

/// <summary>(f) One CNN training step at batch 64 (forward, backward, Adam), one thread.</summary>
[MemoryDiagnoser]
public class CnnTrainingStep
{
    private const int Batch = 64;
    private Trainer<FashionCnn> _trainer = null!;
    private float[] _x = null!;
    private int[] _labels = null!;
    private nn.Module<Tensor, Tensor> _torch = null!;
    private optim.Optimizer _torchAdam = null!;
    private Tensor _tx = null!, _ty = null!;

    [GlobalSetup]
    public void Setup()
    {
        _trainer = new Trainer<FashionCnn>(new FashionCnn(seed: 1, maxBatchSize: Batch), new Adam(1e-3f), Batch);
        _x = Inputs.Normal(784, Batch);
        var rng = new Rng(3);
        _labels = Enumerable.Range(0, Batch).Select(_ => rng.NextInt(10)).ToArray();
        TorchModels.UseOneThread();
        _torch = TorchModels.Cnn();
        _torch.train();
        _torchAdam = optim.Adam(_torch.parameters(), 1e-3);
        _tx = TorchModels.Images(_x, Batch, 1, 28, 28);
        _ty = TorchModels.Labels(_labels);
    }

    [Benchmark(Baseline = true, Description = "StaticNets")]
    public float StaticNets() => _trainer.TrainStep(_x, _labels, Batch);

    [Benchmark(Description = "TorchSharp")]
    public float TorchSharp() => TorchModels.TrainStep(_torch, _torchAdam, _tx, _ty);
}

/// <summary>
/// (g) CNN training over 6,400 images at batch 64 (100 steps), on 1 and 2 threads: StaticNets' data-parallel trainer,
/// TorchSharp with as many intra-op threads.
/// </summary>
[MemoryDiagnoser, WarmupCount(1), IterationCount(5)]
public class CnnEpoch
{
    private const int Samples = 6_400, Batch = 64;
    private Dataset _data = null!;
    private Tensor _tx = null!, _ty = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = EpochData.Create(Samples);
        TorchModels.UseThreads(Threads);
        _tx = TorchModels.Images(_data.Features, Samples, 1, 28, 28);
        _ty = TorchModels.Labels(_data.Labels!);
    }

    [Benchmark(Baseline = true, Description = "StaticNets 100 steps")]
    public double StaticNets()
    {
        var trainer = new Trainer<FashionCnn>(new FashionCnn(seed: 1, maxBatchSize: Batch), new Adam(1e-3f), batchSize: Batch, seed: 1) { Threads = Threads };
        return trainer.Fit(_data, epochs: 1)[0].TrainLoss;
    }

    [Benchmark(Description = "TorchSharp 100 steps")]
    public double TorchSharp()
    {
        return TorchModels.TrainEpoch(TorchModels.Cnn(), _tx, _ty, Samples, Batch);
    }
}
