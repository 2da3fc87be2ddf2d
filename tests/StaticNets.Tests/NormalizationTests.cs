using StaticNets.Tests.Reference;
using Xunit.Abstractions;

namespace StaticNets.Tests;

public class NormalizationTests(ITestOutputHelper output)
{
    [Fact]
    public void BatchNorm_matches_hand_computed_statistics_and_running_updates()
    {
        // Dense = identity, so BatchNorm sees x itself: feature 0 = (1, 2, 3, 4), feature 1 = (2, 2, 2, 6).
        var net = new BatchNormProbe(maxBatchSize: 4);
        net.Dense1Weights.Clear();
        net.Dense1Weights[0] = 1f;
        net.Dense1Weights[3] = 1f;
        float[] x = [1, 2, 2, 2, 3, 2, 4, 6];
        net.ComputeGradients(x, new float[8], 4);

        // Feature 0: mean 2.5, biased variance 1.25, so x̂ = (x − 2.5)/√(1.25 + 1e-5).
        // Feature 1: mean 3, biased variance 3, x̂ = (−1, −1, −1, 3)/√(3 + 1e-5).
        double s0 = Math.Sqrt(1.25 + 1e-5), s1 = Math.Sqrt(3 + 1e-5);
        double[] expected = [-1.5 / s0, -1 / s1, -0.5 / s0, -1 / s1, 0.5 / s0, -1 / s1, 1.5 / s0, 3 / s1];
        float[] y = net.BatchOutputs.ToArray();
        for (int i = 0; i < 8; i++) Assert.Equal(expected[i], y[i], 5);

        // Running statistics, momentum 0.1, from mean 0 and variance 1; the running variance takes the
        // unbiased batch variance (feature 0: 5/3, feature 1: 4):
        // step 1: mean (0.25, 0.3),    variance (0.9 + 0.1·5/3, 0.9 + 0.4) = (1.0666667, 1.3)
        // step 2: mean (0.475, 0.57),  variance (0.9·1.0666667 + 0.1666667, 0.9·1.3 + 0.4) = (1.1266667, 1.57)
        // step 3: mean (0.6775, 0.813), variance (1.1806667, 1.813)
        Assert.Equal([0.25f, 0.3f], net.BatchNorm1RunningMean.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);
        Assert.Equal([1.0666667f, 1.3f], net.BatchNorm1RunningVariance.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);
        net.ComputeGradients(x, new float[8], 4);
        net.ComputeGradients(x, new float[8], 4);
        Assert.Equal([0.6775f, 0.813f], net.BatchNorm1RunningMean.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);
        Assert.Equal([1.1806667f, 1.813f], net.BatchNorm1RunningVariance.ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);

        // Inference uses the running statistics: y = (x − mean)/√(var + ε).
        var p = new float[2];
        net.Predict([3f, 1f], p);
        Assert.Equal((3 - 0.6775) / Math.Sqrt(1.1806667 + 1e-5), p[0], 5);
        Assert.Equal((1 - 0.813) / Math.Sqrt(1.813 + 1e-5), p[1], 5);
    }

    [Fact]
    public void The_bias_of_a_Dense_right_before_BatchNorm_gets_an_exact_zero_gradient()
    {
        // BatchNorm subtracts the batch mean, so such a bias has no effect in training: its gradient is 0, not the
        // rounding noise of a sum that cancels (which Adam would turn into steps of about lr, drifting the running mean).
        var net = new BatchNormNet(seed: 2, maxBatchSize: 16);
        net.ComputeGradients(TestData.Normal(16 * BatchNormNet.InputSize, new Rng(1)), TestData.Normal(16 * BatchNormNet.OutputSize, new Rng(2)), 16);
        ReadOnlySpan<float> g = net.Gradients;
        foreach (ParameterTensor t in net.ParameterTensors)
        {
            float largest = Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(g.Slice(t.Offset, t.Length)));
            if (t.Name is "dense1.bias" or "dense2.bias") Assert.Equal(0f, largest);
            else Assert.True(largest > 0f, $"{t.Name} got no gradient");
        }
    }

    [Fact]
    public void BatchNorm_training_needs_two_samples()
    {
        var net = new BatchNormNet(seed: 1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => net.ComputeGradients(new float[7], new float[3], 1));
        Assert.Contains("at least 2 samples", e.Message);
        Assert.Equal(2, BatchNormNet.MinBatchSize);
        // Inference on one sample is fine.
        net.Predict(new float[7], new float[3]);
    }

    [Fact]
    public void Trainer_leaves_out_a_last_batch_of_one_with_BatchNorm()
    {
        var data = SyntheticData.Spirals(2, 9, seed: 1); // 18 samples: batches of 17 and 1
        var net = new SpiralBatchNormNet(seed: 1, maxBatchSize: 17);
        var history = new Trainer<SpiralBatchNormNet>(net, new Sgd(0.1f), batchSize: 17).Fit(data, epochs: 2);
        Assert.True(double.IsFinite(history[^1].TrainLoss));
    }

    public static TheoryData<string> FusedNetworks() => new() { "BatchNormNet", "PReLUNet", "DeepStackNet", "LayerNormNet", "SkipNet", "DropoutNet" };

    [Theory]
    [MemberData(nameof(FusedNetworks))]
    public void Fused_predict_equals_the_unfused_eval_forward_after_training_and_loading(string name)
    {
        var net = (ITrainableNetwork)NetworkFactories.All[name](2);
        var rng = new Rng(4);
        AssertMatchesReference(net, rng, "at initialization");

        // Training steps move parameters and running statistics; the folded weights must follow.
        var trainer = new Trainer<ITrainableNetwork>(net, new Sgd(0.05f), batchSize: 16);
        for (int step = 0; step < 5; step++)
        {
            float[] x = TestData.Normal(16 * net.InputSize, rng);
            var targets = TestData.TargetsFor(net, 16, rng);
            if (net.Loss == Loss.SoftmaxCrossEntropy) trainer.TrainStep(x, targets.Labels, 16);
            else trainer.TrainStep(x, targets.Targets, 16);
        }
        AssertMatchesReference(net, rng, "after training");

        // Loading weights: copy another network's parameters and state in through the spans.
        var other = (ITrainableNetwork)NetworkFactories.All[name](99);
        TestData.Normal(other.State.Length, rng).Select(Math.Abs).ToArray().CopyTo(other.State);
        other.Parameters.CopyTo(net.Parameters);
        other.State.CopyTo(net.State);
        AssertMatchesReference(net, rng, "after loading");
    }

    private void AssertMatchesReference(INetwork net, Rng rng, string when)
    {
        var reference = new ReferenceNetwork(net);
        double[] p = TestData.AsDouble(net.Parameters), state = TestData.AsDouble(net.State);
        var y = new float[net.OutputSize];
        double worst = 0;
        for (int sample = 0; sample < 4; sample++)
        {
            float[] x = TestData.Normal(net.InputSize, rng);
            net.Predict(x, y);
            double[] expected = reference.Predict(p, state, x.Select(v => (double)v).ToArray());
            double scale = Math.Max(expected.Max(Math.Abs), 1e-3);
            for (int k = 0; k < y.Length; k++)
            {
                double error = Math.Abs(y[k] - expected[k]) / scale;
                worst = Math.Max(worst, error);
                Assert.True(error <= 1e-5, $"{net.Architecture} {when}: output {k} is {y[k]} but the unfused reference gives {expected[k]}");
            }
        }
        output.WriteLine($"{when}: worst relative difference {worst:E2}");
    }

    [Fact]
    public void Predict_refreshes_the_inference_copy_without_allocating()
    {
        var net = new BatchNormNet(seed: 1, maxBatchSize: 8);
        float[] x = TestData.Normal(8 * BatchNormNet.InputSize, new Rng(1));
        float[] t = TestData.Normal(8 * BatchNormNet.OutputSize, new Rng(2));
        var y = new float[BatchNormNet.OutputSize];
        var sgd = new Sgd(0.01f);
        Assert.Equal(0, Allocations.Measure(() =>
        {
            net.ComputeGradients(x, t, 8);
            sgd.Step(net);
            net.Predict(x.AsSpan(0, BatchNormNet.InputSize), y);
        }, repetitions: 10));
    }

    [Fact]
    public void A_deep_relu_net_trains_with_BatchNorm_but_not_with_naive_small_init()
    {
        // The lectures' demonstration: ten ReLU layers with weights drawn from N(0, 0.01²) shrink the signal
        // by ~0.04 per layer, so activations and gradients vanish and the loss stays at ln 2; BatchNorm
        // rescales every layer and the same depth trains.
        var data = SyntheticData.Spirals(classes: 2, pointsPerClass: 100, seed: 3);
        var withNorm = new DeepBatchNormNet(seed: 1, maxBatchSize: 32);
        var naive = new DeepNaiveNet(seed: 1, maxBatchSize: 32);
        var normHistory = new Trainer<DeepBatchNormNet>(withNorm, new Sgd(0.1f), batchSize: 32, seed: 2).Fit(data, epochs: 40);
        var naiveHistory = new Trainer<DeepNaiveNet>(naive, new Sgd(0.1f), batchSize: 32, seed: 2).Fit(data, epochs: 40);
        double normLoss = normHistory[^1].TrainLoss, naiveLoss = naiveHistory[^1].TrainLoss;
        output.WriteLine($"final training loss after 40 epochs: with BatchNorm {normLoss:F4}, naive N(0, 0.01²) init {naiveLoss:F4} (ln 2 = {Math.Log(2):F4})");
        Assert.True(normLoss < 0.35, $"with BatchNorm the loss only reached {normLoss:F4}");
        Assert.True(naiveLoss > 0.65, $"the naive network's loss fell to {naiveLoss:F4}");
    }
}

[Network(Loss = Loss.MeanSquaredError)]
[Input(2)] [Dense(2, Bias = false)] [BatchNorm]
public partial class BatchNormProbe;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(2)] [Dense(16)] [BatchNorm] [ReLU] [Dense(2)]
public partial class SpiralBatchNormNet;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(2)]
[Dense(32)] [BatchNorm] [ReLU] [Dense(32)] [BatchNorm] [ReLU] [Dense(32)] [BatchNorm] [ReLU] [Dense(32)] [BatchNorm] [ReLU]
[Dense(32)] [BatchNorm] [ReLU] [Dense(32)] [BatchNorm] [ReLU] [Dense(32)] [BatchNorm] [ReLU] [Dense(32)] [BatchNorm] [ReLU]
[Dense(32)] [BatchNorm] [ReLU] [Dense(32)] [BatchNorm] [ReLU]
[Dense(2)]
public partial class DeepBatchNormNet;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(2)]
[Dense(32, Init = Init.Normal, InitScale = 0.01f)] [ReLU] [Dense(32, Init = Init.Normal, InitScale = 0.01f)] [ReLU]
[Dense(32, Init = Init.Normal, InitScale = 0.01f)] [ReLU] [Dense(32, Init = Init.Normal, InitScale = 0.01f)] [ReLU]
[Dense(32, Init = Init.Normal, InitScale = 0.01f)] [ReLU] [Dense(32, Init = Init.Normal, InitScale = 0.01f)] [ReLU]
[Dense(32, Init = Init.Normal, InitScale = 0.01f)] [ReLU] [Dense(32, Init = Init.Normal, InitScale = 0.01f)] [ReLU]
[Dense(32, Init = Init.Normal, InitScale = 0.01f)] [ReLU] [Dense(32, Init = Init.Normal, InitScale = 0.01f)] [ReLU]
[Dense(2, Init = Init.Normal, InitScale = 0.01f)]
public partial class DeepNaiveNet;
