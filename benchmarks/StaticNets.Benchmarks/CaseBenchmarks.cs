using BenchmarkDotNet.Attributes;
using StaticNets.Benchmarks.Baseline;
using StaticNets.Benchmarks.Peers;
using TorchSharp;
using static TorchSharp.torch;

namespace StaticNets.Benchmarks;

/// <summary>Inputs shared by the cases: seeded normal values.</summary>
public static class Inputs
{
    public static float[] Normal(int size, int count)
    {
        var values = new float[size * count];
        Initializers.Normal(values, 1.0, new Rng(7));
        return values;
    }
}

/// <summary>(a) Tiny MLP 16-32-32-4 ReLU, one sample, inference.</summary>
[MemoryDiagnoser]
public class TinyMlpBatch1
{
    private readonly TinyMlp _net = new(seed: 1);
    private readonly float[] _x = Inputs.Normal(16, 1), _y = new float[4];
    private DynamicNetwork _dynamic = null!;
    private nn.Module<Tensor, Tensor> _torch = null!;
    private Tensor _tx = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dynamic = DynamicNetwork.From(_net, 1);
        TorchModels.UseOneThread();
        _torch = TorchModels.Tiny();
        _torch.eval();
        _tx = TorchModels.Input(_x, 1, 16);
    }

    [Benchmark(Baseline = true, Description = "StaticNets")]
    public void StaticNets() => _net.Predict(_x, _y);

    [Benchmark(Description = "TorchSharp")]
    public float TorchSharp() => TorchModels.Infer(_torch, _tx);

    [Benchmark(Description = "dynamic C#")]
    public void Dynamic() => _dynamic.Predict(_x, _y, 1);
}

/// <summary>(b) MLP 784-256-BN-ReLU-128-BN-ReLU-10, inference, batch 1 and 1024 (time per call; per sample for 1024 divide by 1024).</summary>
[MemoryDiagnoser]
public class MlpInference
{
    private readonly MnistBatchNormMlp _net = new(seed: 1, maxBatchSize: 1024);
    private float[] _x = null!, _y = null!;
    private DynamicNetwork _dynamic = null!;
    private nn.Module<Tensor, Tensor> _torch = null!;
    private Tensor _tx = null!;

    [Params(1, 1024)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _x = Inputs.Normal(784, Batch);
        _y = new float[10 * Batch];
        // Running statistics as after training, so folding does real work.
        Initializers.Uniform(_net.BatchNorm1RunningMean, 0.5, new Rng(3));
        _net.BatchNorm1RunningVariance.Fill(2f);
        _dynamic = DynamicNetwork.From(_net, Batch);
        TorchModels.UseOneThread();
        _torch = TorchModels.Mlp(dropout: false);
        _torch.eval();
        _tx = TorchModels.Input(_x, Batch, 784);
        var calibration = Inputs.Normal(784, 256);
        _int8 = QuantizedNetwork.Quantize(_net, calibration, 256);
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

    [Benchmark(Description = "dynamic C#")]
    public void Dynamic() => _dynamic.Predict(_x, _y, Batch);
}

/// <summary>(c) The same MLP with Dropout(0.2) after each block: one training step (forward, backward, Adam).</summary>
[MemoryDiagnoser]
public class MlpTrainingStep
{
    private Trainer<MnistTrainingMlp> _trainer = null!;
    private DynamicTrainer _dynamic = null!;
    private float[] _x = null!;
    private int[] _labels = null!;
    private nn.Module<Tensor, Tensor> _torch = null!;
    private optim.Optimizer _torchAdam = null!;
    private Tensor _tx = null!, _ty = null!;

    [Params(32, 128)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var net = new MnistTrainingMlp(seed: 1, maxBatchSize: Batch);
        _dynamic = DynamicTrainer.From(net, Batch, 1e-3f);
        _trainer = new Trainer<MnistTrainingMlp>(net, new Adam(1e-3f), Batch);
        _x = Inputs.Normal(784, Batch);
        var rng = new Rng(3);
        _labels = Enumerable.Range(0, Batch).Select(_ => rng.NextInt(10)).ToArray();
        TorchModels.UseOneThread();
        _torch = TorchModels.Mlp(dropout: true);
        _torch.train();
        _torchAdam = optim.Adam(_torch.parameters(), 1e-3);
        _tx = TorchModels.Input(_x, Batch, 784);
        _ty = TorchModels.Labels(_labels);
    }

    [Benchmark(Baseline = true, Description = "StaticNets")]
    public float StaticNets() => _trainer.TrainStep(_x, _labels, Batch);

    [Benchmark(Description = "dynamic C#")]
    public float Dynamic() => _dynamic.TrainStep(_x, _labels, Batch);

    [Benchmark(Description = "TorchSharp")]
    public float TorchSharp() => TorchModels.TrainStep(_torch, _torchAdam, _tx, _ty);
}

/// <summary>
/// (d) One training epoch of 60,000 samples at batch 128 (BN, dropout, Adam), shuffled, on 1 and 2 threads:
/// StaticNets' data-parallel trainer, and TorchSharp with as many intra-op threads. The dynamic C# baseline
/// has no threads, so it runs in <see cref="MlpEpochDynamic"/> on one.
/// </summary>
// A second-long operation: a fixed, small number of iterations keeps the full run in BenchmarkDotNet's in-process
// time limit (the default job ran 100 of them per case).
[MemoryDiagnoser, WarmupCount(2), IterationCount(10)]
public class MlpEpoch
{
    private const int Samples = 60_000, Batch = 128;
    private Dataset _data = null!;
    private Tensor _tx = null!, _ty = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = EpochData.Create();
        TorchModels.UseThreads(Threads);
        _tx = TorchModels.Input(_data.Features, Samples, 784);
        _ty = TorchModels.Labels(_data.Labels!);
    }

    [Benchmark(Baseline = true, Description = "StaticNets epoch")]
    public double StaticNets()
    {
        var net = new MnistTrainingMlp(seed: 1, maxBatchSize: Batch);
        var trainer = new Trainer<MnistTrainingMlp>(net, new Adam(1e-3f), batchSize: Batch, seed: 1) { Threads = Threads };
        return trainer.Fit(_data, epochs: 1)[0].TrainLoss;
    }

    [Benchmark(Description = "TorchSharp epoch")]
    public double TorchSharp()
    {
        return TorchModels.TrainEpoch(TorchModels.Mlp(dropout: true), _tx, _ty, Samples, Batch);
    }
}

/// <summary>(d) The dynamic C# baseline's epoch: the same shuffled batches, one thread.</summary>
[MemoryDiagnoser, WarmupCount(1), IterationCount(3)]
public class MlpEpochDynamic
{
    private const int Batch = 128;
    private Dataset _data = null!;
    private readonly float[] _x = new float[Batch * 784];
    private readonly int[] _labels = new int[Batch];

    [GlobalSetup]
    public void Setup() => _data = EpochData.Create();

    [Benchmark(Description = "dynamic C# epoch")]
    public double Dynamic()
    {
        var dynamic = DynamicTrainer.From(new MnistTrainingMlp(seed: 1, maxBatchSize: Batch), Batch, 1e-3f);
        int[] order = Enumerable.Range(0, _data.Count).ToArray();
        new Rng(1).Shuffle(order.AsSpan());
        double lossSum = 0;
        for (int start = 0; start + Batch <= order.Length; start += Batch)
        {
            for (int k = 0; k < Batch; k++)
            {
                _data.FeaturesOf(order[start + k]).CopyTo(_x.AsSpan(k * 784, 784));
                _labels[k] = _data.Labels![order[start + k]];
            }
            lossSum += dynamic.TrainStep(_x, _labels, Batch);
        }
        return lossSum;
    }
}

/// <summary>The epoch cases' data: seeded normal inputs of 784 values with random labels (60,000 by default).</summary>
public static class EpochData
{
    public static Dataset Create(int samples = 60_000)
    {
        var rng = new Rng(5);
        return Dataset.Classification(Inputs.Normal(784, samples), 784, Enumerable.Range(0, samples).Select(_ => rng.NextInt(10)).ToArray());
    }
}
