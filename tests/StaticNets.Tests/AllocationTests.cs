namespace StaticNets.Tests;

/// <summary>0 bytes is exact, so allocation is a test (speed is not).</summary>
public class AllocationTests
{
    [Fact]
    public void Predict_allocates_nothing()
    {
        var net = new MnistMlp(seed: 1);
        float[] x = TestData.Normal(MnistMlp.InputSize, new Rng(1));
        var y = new float[MnistMlp.OutputSize];
        Assert.Equal(0, Allocations.Measure(() => net.Predict(x, y)));
    }

    [Fact]
    public void Batched_predict_allocates_nothing()
    {
        var net = new MaxoutNet(seed: 1, maxBatchSize: 16);
        float[] x = TestData.Normal(16 * MaxoutNet.InputSize, new Rng(1));
        var y = new float[16 * MaxoutNet.OutputSize];
        Assert.Equal(0, Allocations.Measure(() => net.PredictBatch(x, y, 16)));
    }

    [Fact]
    public void A_training_step_allocates_nothing()
    {
        var net = new MnistMlp(seed: 1, maxBatchSize: 32);
        var trainer = new Trainer<MnistMlp>(net, new Sgd(0.01f), batchSize: 32);
        float[] x = TestData.Normal(32 * MnistMlp.InputSize, new Rng(1));
        int[] labels = TestData.Labels(32, MnistMlp.OutputSize, new Rng(2));
        Assert.Equal(0, Allocations.Measure(() => trainer.TrainStep(x, labels, 32)));
    }

    [Fact]
    public void A_convolutional_network_trains_and_predicts_without_allocating()
    {
        // Big enough that Predict's intermediate values leave the stack for the per-thread buffer.
        var net = new ConvAllocationNet(seed: 1, maxBatchSize: 16);
        var rng = new Rng(2);
        float[] x = TestData.Normal(16 * ConvAllocationNet.InputSize, rng);
        int[] labels = Enumerable.Range(0, 16).Select(i => i % 10).ToArray();
        var trainer = new Trainer<ConvAllocationNet>(net, new AdamW(1e-3f), batchSize: 16) { Augmentation = new ImageAugmentation(1, 28, 28) { HorizontalFlip = true, MaxShift = 2 } };
        Assert.Equal(0, Allocations.Measure(() => trainer.TrainStep(x, labels, 16), 5));
        var y = new float[10 * 16];
        Assert.Equal(0, Allocations.Measure(() => net.Predict(x.AsSpan(0, ConvAllocationNet.InputSize), y.AsSpan(0, 10))));
        Assert.Equal(0, Allocations.Measure(() => net.PredictBatch(x, y, 16), 5));
    }

    [Fact]
    public void Every_layer_kind_trains_without_allocating()
    {
        foreach (var factory in NetworkFactories.All.Values)
        {
            if (factory(1) is not ITrainableNetwork net) continue;
            var rng = new Rng(3);
            float[] x = TestData.Normal(8 * net.InputSize, rng);
            var targets = TestData.TargetsFor(net, 8, rng);
            var inputGradients = new float[x.Length];
            long bytes = Allocations.Measure(() => TestData.ComputeGradients(net, x, targets, 8, inputGradients), 5);
            Assert.True(bytes == 0, $"{net.Architecture} allocated {bytes} bytes in 5 training steps (in each of three windows)");
        }
    }
}
