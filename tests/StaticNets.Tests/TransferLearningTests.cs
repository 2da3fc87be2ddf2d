namespace StaticNets.Tests;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(2)] [Dense(24)] [ReLU] [Dense(16)] [BatchNorm] [ReLU] [Dense(3)]
public partial class SpiralTrunkNet;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(2)] [Dense(24)] [ReLU] [Dense(16)] [BatchNorm] [ReLU] [Dense(2)]
public partial class SpiralNewHeadNet;

/// <summary>Per-layer learning rates, freezing, and moving a trained trunk under a new head.</summary>
public class TransferLearningTests
{
    // Two tensors, w = (1, −2) each, the gradients (0.5, −1) and (0.25, 0.5).
    private static readonly ParameterTensor[] Layout =
    [
        new("dense1.weight", 0, new([2]), ParameterKind.Weight),
        new("dense1.bias", 2, new([2]), ParameterKind.Bias),
        new("dense2.weight", 4, new([2]), ParameterKind.Weight),
    ];

    [Fact]
    public void A_multiplier_scales_its_layers_step_and_zero_freezes_it()
    {
        var sgd = new Sgd(0.1f);
        sgd.SetLearningRateMultiplier("dense1", 0.5f);  // the layer: both tensors ...
        sgd.SetLearningRateMultiplier("dense1.bias", 0f); // ... but a tensor's own setting wins
        float[] w = [1f, -2f, 1f, -2f, 1f, -2f], g = [0.5f, -1f, 0.5f, -1f, 0.25f, 0.5f];
        sgd.Step(w, g, Layout);
        // dense1.weight: 1 − 0.05·0.5 = 0.975, −2 + 0.05 = −1.95; dense1.bias frozen; dense2: 1 − 0.025, −2 − 0.05.
        Assert.Equal([0.975f, -1.95f, 1f, -2f, 0.975f, -2.05f], w);
        Assert.Equal(0.5f, sgd.LearningRateMultiplier("dense1.weight"));
        Assert.Equal(0f, sgd.LearningRateMultiplier("dense1.bias"));
        Assert.Equal(1f, sgd.LearningRateMultiplier("dense2.weight"));

        sgd.ClearLearningRateMultipliers();
        sgd.Step(w, g, Layout);
        Assert.Equal(1f - 0.05f, w[2]);
    }

    [Fact]
    public void Adam_with_a_frozen_layer_keeps_its_moments_and_scales_the_rest_as_a_smaller_rate_would()
    {
        // Adam's step with lr·m on a tensor is Adam's step with that learning rate (AdamW's decay too).
        var scaled = new AdamW(0.02f, weightDecay: 0.1f);
        scaled.SetLearningRateMultiplier("dense2", 0.25f);
        scaled.Freeze("dense1.bias");
        var plain = new AdamW(0.005f, weightDecay: 0.1f);
        float[] w = [1f, -2f, 1f, -2f, 1f, -2f], reference = [1f, -2f];
        for (int t = 0; t < 3; t++)
        {
            float[] g = [0.5f, -1f, 0.3f, 0.2f, 0.25f * (t + 1), -0.5f];
            scaled.Step(w, g, Layout);
            plain.Step(reference, g.AsSpan(4, 2), []);
        }
        Assert.Equal(reference, w[4..6]);
        Assert.Equal([1f, -2f], w[2..4]);
    }

    [Fact]
    public void A_tensor_unfrozen_later_takes_adams_first_step_as_pytorch_counts_steps_per_parameter()
    {
        var adam = new Adam(0.01f);
        adam.Freeze("dense2");
        float[] w = [1f, -2f, 1f, -2f, 1f, -2f], g = [0.5f, -1f, 0.3f, 0.2f, 0.25f, -0.5f];
        adam.Step(w, g, Layout);
        adam.Step(w, g, Layout);
        adam.ClearLearningRateMultipliers();
        adam.Step(w, g, Layout);
        // dense2's first step, bias-corrected as step 1: w − lr·ĝ/(|ĝ| + ε) = w ∓ 0.01.
        float[] fresh = [1f, -2f];
        new Adam(0.01f).Step(fresh, g.AsSpan(4, 2), []);
        Assert.Equal(fresh, w[4..6]);
        Assert.Equal(3, adam.Steps);
    }

    [Fact]
    public void Names_that_match_nothing_and_bad_multipliers_are_errors()
    {
        var sgd = new Sgd(0.1f);
        sgd.Freeze("dense9");
        float[] w = new float[6], g = new float[6];
        var error = Assert.Throws<ArgumentException>(() => sgd.Step(w, g, Layout));
        Assert.Contains("'dense9'", error.Message);
        Assert.Equal(0, sgd.Steps); // the step did not happen
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.SetLearningRateMultiplier("dense1", -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.SetLearningRateMultiplier("dense1", float.NaN));
        var unknown = Assert.Throws<ArgumentException>(() => sgd.FreezeThrough(new SpiralTrunkNet(), "conv1"));
        Assert.Contains("dense1, dense2, batchnorm1, dense3", unknown.Message);
    }

    [Fact]
    public void A_trained_trunk_moves_under_a_new_head_stays_frozen_bit_for_bit_and_the_head_learns()
    {
        // Task A: three spiral arms. Train the whole network.
        Dataset taskA = SyntheticData.Spirals(classes: 3, pointsPerClass: 150, seed: 1);
        var source = new SpiralTrunkNet(seed: 1);
        new Trainer<SpiralTrunkNet>(source, new Adam(0.01f), batchSize: 32, seed: 1).Fit(taskA, epochs: 30);

        // Task B: two arms of another spiral. A fresh network with a 2-class head takes the trunk.
        var target = new SpiralNewHeadNet(seed: 2);
        TransferResult transfer = ParameterTransfer.CopyMatching(source, target);
        Assert.Equal(["dense1.weight", "dense1.bias", "dense2.weight", "dense2.bias", "batchnorm1.weight", "batchnorm1.bias",
            "batchnorm1.running_mean", "batchnorm1.running_var"], transfer.Copied);
        Assert.Equal(["dense3.weight ([3, 16] in the source, [2, 16] here)", "dense3.bias ([3] in the source, [2] here)"], transfer.ShapeDiffers);
        Assert.Empty(transfer.OnlyInTarget);
        Assert.Equal(source.Dense2Weights.ToArray(), target.Dense2Weights.ToArray());

        var adam = new Adam(0.01f);
        adam.FreezeThrough(target, "batchnorm1");
        int headStart = target.ParameterTensors.ToArray().First(t => t.Name == "dense3.weight").Offset;
        float[] trunk = target.Parameters[..headStart].ToArray();
        float[] head = target.Parameters[headStart..].ToArray();
        Dataset taskB = SyntheticData.Spirals(classes: 2, pointsPerClass: 150, turns: 0.5, seed: 7);
        double before = Accuracy(target, taskB);
        var history = new Trainer<SpiralNewHeadNet>(target, adam, batchSize: 32, seed: 3) { Threads = 2 }.Fit(taskB, epochs: 25);

        Assert.Equal(trunk, target.Parameters[..headStart].ToArray()); // bit for bit, through parallel updates
        Assert.NotEqual(head, target.Parameters[headStart..].ToArray());
        Assert.True(history[^1].TrainLoss < 0.8 * history[0].TrainLoss, $"head loss {history[0].TrainLoss} -> {history[^1].TrainLoss}");
        Assert.True(Accuracy(target, taskB) > Math.Max(before, 0.6), $"accuracy {before} -> {Accuracy(target, taskB)}");
    }

    private static double Accuracy(INetwork net, Dataset data)
    {
        int right = 0;
        var output = new float[net.OutputSize];
        for (int i = 0; i < data.Count; i++)
        {
            net.Predict(data.FeaturesOf(i), output);
            if (Array.IndexOf(output, output.Max()) == data.Labels![i]) right++;
        }
        return (double)right / data.Count;
    }
}
