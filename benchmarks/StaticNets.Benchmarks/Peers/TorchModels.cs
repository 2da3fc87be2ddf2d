using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace StaticNets.Benchmarks.Peers;

/// <summary>The benchmark networks in TorchSharp (PyTorch's libtorch), with PyTorch's layer defaults.</summary>
public static class TorchModels
{
    public static Module<Tensor, Tensor> Mlp(bool dropout) => dropout
        ? Sequential(Linear(784, 256), BatchNorm1d(256), ReLU(), Dropout(0.2), Linear(256, 128), BatchNorm1d(128), ReLU(), Dropout(0.2), Linear(128, 10))
        : Sequential(Linear(784, 256), BatchNorm1d(256), ReLU(), Linear(256, 128), BatchNorm1d(128), ReLU(), Linear(128, 10));

    /// <summary>FashionCnn (the FashionMnist sample's CNN) in PyTorch's modules.</summary>
    public static Module<Tensor, Tensor> Cnn() => Sequential(
        Conv2d(1, 32, 3, padding: 1, bias: false), BatchNorm2d(32), ReLU(), MaxPool2d(2),
        Conv2d(32, 64, 3, padding: 1, bias: false), BatchNorm2d(64), ReLU(), MaxPool2d(2),
        Conv2d(64, 48, 3, padding: 1, bias: false), BatchNorm2d(48), ReLU(),
        Conv2d(48, 48, 3, padding: 1, bias: false), BatchNorm2d(48), ReLU(),
        Flatten(), Dropout(0.5), Linear(48 * 7 * 7, 10));

    /// <summary>Images as an NCHW tensor.</summary>
    public static Tensor Images(float[] values, int batch, int channels, int height, int width) => torch.tensor(values, [batch, channels, height, width]);

    public static Module<Tensor, Tensor> Tiny() => Sequential(Linear(16, 32), ReLU(), Linear(32, 32), ReLU(), Linear(32, 4));

    private static bool s_threadsSet;

    /// <summary>Same thread count as StaticNets: one. libtorch accepts the interop setting once per process.</summary>
    public static void UseOneThread() => UseThreads(1);

    /// <summary>Intra-op threads as StaticNets' data-parallel trainer uses them (interop threads stay at one).</summary>
    public static void UseThreads(int threads)
    {
        torch.set_num_threads(threads);
        if (s_threadsSet) return;
        torch.set_num_interop_threads(1);
        s_threadsSet = true;
    }

    public static Tensor Input(float[] values, int batch, int features) => torch.tensor(values, [batch, features]);

    /// <summary>Class labels as the int64 tensor cross_entropy takes.</summary>
    public static Tensor Labels(int[] labels) => torch.tensor(labels.Select(l => (long)l).ToArray());

    /// <summary>One training step as PyTorch code does it: zero the gradients, forward, cross-entropy, backward, Adam; temporaries freed.</summary>
    public static float TrainStep(Module<Tensor, Tensor> model, torch.optim.Optimizer adam, Tensor x, Tensor y)
    {
        using var scope = torch.NewDisposeScope();
        adam.zero_grad();
        Tensor loss = functional.cross_entropy(model.forward(x), y);
        loss.backward();
        adam.step();
        return loss.item<float>();
    }

    /// <summary>
    /// One epoch as PyTorch code trains: shuffled batches of <paramref name="batch"/> rows of <paramref name="x"/>, Adam,
    /// temporaries freed each step. Returns the sum of the batch losses.
    /// </summary>
    public static double TrainEpoch(Module<Tensor, Tensor> model, Tensor x, Tensor y, int samples, int batch)
    {
        model.train();
        var adam = torch.optim.Adam(model.parameters(), 1e-3);
        using Tensor order = torch.randperm(samples);
        double lossSum = 0;
        for (int start = 0; start < samples; start += batch)
        {
            using var scope = torch.NewDisposeScope();  // the batch's index tensors
            Tensor rows = order.narrow(0, start, Math.Min(batch, samples - start));
            lossSum += TrainStep(model, adam, x.index_select(0, rows), y.index_select(0, rows));
        }
        return lossSum;
    }

    /// <summary>Inference as PyTorch code does it: no autograd, temporaries freed; reads one value so the work is not skipped.</summary>
    public static float Infer(Module<Tensor, Tensor> model, Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        return model.forward(input)[0, 0].item<float>();
    }
}
