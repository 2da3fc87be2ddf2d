using BenchmarkDotNet.Attributes;
using StaticNets.Benchmarks.Peers;
using TorchSharp;
using static TorchSharp.torch;

namespace StaticNets.Benchmarks;

/// <summary>
/// (c′) The Adam update of case (c)'s 235,146 parameters alone (gradients fixed, no forward or backward): the part of a
/// training step that does not shrink with the batch, so it shows how much of the batch-32 step the peak cannot cover.
/// StaticNets: <see cref="Adam"/> as the trainer runs it (the old values kept for an exact undo, every new value
/// checked); TorchSharp: <c>optimizer.step()</c> on the same MLP's parameters, one intra-op thread.
/// </summary>
[MemoryDiagnoser]
public class OptimizerUpdate
{
    private Adam _adam = null!;
    private MnistTrainingMlp _net = null!;
    private optim.Optimizer _torchAdam = null!;

    [GlobalSetup]
    public void Setup()
    {
        _net = new MnistTrainingMlp(seed: 1, maxBatchSize: 32);
        _net.Gradients.Fill(1e-3f);
        _adam = new Adam(1e-3f);
        TorchModels.UseOneThread();
        var torchNet = TorchModels.Mlp(dropout: true);
        foreach (var p in torchNet.parameters())
            p.grad = torch.full_like(p, 1e-3f);
        _torchAdam = optim.Adam(torchNet.parameters(), 1e-3);
    }

    [Benchmark(Baseline = true, Description = "StaticNets")]
    public void StaticNets() => _adam.Step(_net);

    [Benchmark(Description = "TorchSharp")]
    public void TorchSharp()
    {
        using var noGrad = torch.no_grad();
        _torchAdam.step();
    }
}
