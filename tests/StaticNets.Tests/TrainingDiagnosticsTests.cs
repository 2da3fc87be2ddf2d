namespace StaticNets.Tests;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(200)]
[Dense(200, Init = Init.Normal, InitScale = 0.01f)] [Tanh] [Dense(200, Init = Init.Normal, InitScale = 0.01f)] [Tanh]
[Dense(200, Init = Init.Normal, InitScale = 0.01f)] [Tanh] [Dense(200, Init = Init.Normal, InitScale = 0.01f)] [Tanh]
[Dense(200, Init = Init.Normal, InitScale = 0.01f)] [Tanh] [Dense(200, Init = Init.Normal, InitScale = 0.01f)] [Tanh]
[Dense(10, Init = Init.Normal, InitScale = 0.01f)]
public partial class SmallInitTanhNet;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(200)]
[Dense(200, Init = Init.XavierNormal)] [Tanh] [Dense(200, Init = Init.XavierNormal)] [Tanh] [Dense(200, Init = Init.XavierNormal)] [Tanh]
[Dense(200, Init = Init.XavierNormal)] [Tanh] [Dense(200, Init = Init.XavierNormal)] [Tanh] [Dense(200, Init = Init.XavierNormal)] [Tanh]
[Dense(10)]
public partial class XavierTanhNet;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(200)]
[Dense(200, Init = Init.HeNormal)] [ReLU] [Dense(200, Init = Init.HeNormal)] [ReLU] [Dense(200, Init = Init.HeNormal)] [ReLU]
[Dense(200, Init = Init.HeNormal)] [ReLU] [Dense(200, Init = Init.HeNormal)] [ReLU] [Dense(200, Init = Init.HeNormal)] [ReLU]
[Dense(10)]
public partial class HeReluNet;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(8)] [Dense(16, Init = Init.Normal, InitScale = 10f)] [Tanh] [Dense(32, BiasInit = -20f)] [ReLU] [Dense(3)]
public partial class BrokenUnitsNet;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(50)]
[Dense(50)] [Sigmoid] [Dense(50)] [Sigmoid] [Dense(50)] [Sigmoid] [Dense(50)] [Sigmoid]
[Dense(50)] [Sigmoid] [Dense(50)] [Sigmoid] [Dense(50)] [Sigmoid] [Dense(50)] [Sigmoid]
[Dense(3)]
public partial class DeepSigmoidNet;

/// <summary>Training diagnostics against the lectures' initialization experiment, hand-made failures and the formulas.</summary>
public class TrainingDiagnosticsTests
{
    // One step over 256 standard normal samples: the statistics are the freshly initialized network's forward pass.
    private static DiagnosticsReport FirstStep<TNetwork>(TNetwork net, IOptimizer? optimizer = null) where TNetwork : ITrainableNetwork
    {
        var rng = new Rng(4);
        Dataset data = Dataset.Classification(TestData.Normal(256 * net.InputSize, rng), net.InputSize, TestData.Labels(256, net.OutputSize, rng));
        var trainer = new Trainer<TNetwork>(net, optimizer ?? new Sgd(1e-3f), batchSize: 256) { Diagnostics = new TrainingDiagnostics { Every = 1 } };
        EpochResult epoch = trainer.Fit(data, epochs: 1)[0];
        Assert.Same(trainer.Diagnostics!.Last, epoch.Diagnostics);
        return epoch.Diagnostics!;
    }

    private static double[] HiddenStds(DiagnosticsReport report) =>
        report.Activations.Where(a => a.Activation != "Identity").Select(a => a.Std).ToArray();

    [Fact]
    public void Small_weights_collapse_tanh_activations_layer_by_layer_and_gradients_vanish()
    {
        DiagnosticsReport report = FirstStep(new SmallInitTanhNet(seed: 1, maxBatchSize: 256));
        double[] stds = HiddenStds(report);
        Assert.Equal(6, stds.Length);
        // Each layer multiplies the spread by about 0.01·√200 ≈ 0.14 (tanh is linear there).
        for (int i = 1; i < stds.Length; i++)
            Assert.InRange(stds[i] / stds[i - 1], 0.09, 0.2);
        Assert.True(stds[^1] < 1e-4, $"last hidden std {stds[^1]}");
        Assert.Contains(report.Warnings, w => w.StartsWith("dense6: its outputs have collapsed", StringComparison.Ordinal));
        // Every weight gradient is an input times a gradient from above, and the inputs have collapsed: no layer learns.
        Assert.Contains(report.Warnings, w => w.StartsWith("dense1.weight: updates are", StringComparison.Ordinal) && w.EndsWith("too low.", StringComparison.Ordinal));
    }

    [Fact]
    public void Gradients_vanish_through_a_deep_sigmoid_stack()
    {
        // σ′ ≤ 1/4: with Xavier weights the gradient shrinks about fivefold per layer on its way down, while the inputs
        // each weight gradient multiplies stay about 0.5: dense1's weight gradients are 1e-5 the size of dense8's.
        DiagnosticsReport report = FirstStep(new DeepSigmoidNet(seed: 1, maxBatchSize: 256));
        Assert.Contains(report.Warnings, w => w.StartsWith("vanishing gradients: dense1.weight's are", StringComparison.Ordinal));
        Assert.DoesNotContain(report.Warnings, w => w.StartsWith("vanishing", StringComparison.Ordinal) && w.Contains("dense2", StringComparison.Ordinal));
    }

    [Fact]
    public void Xavier_keeps_tanh_activations_at_a_steady_scale()
    {
        double[] stds = HiddenStds(FirstStep(new XavierTanhNet(seed: 1, maxBatchSize: 256)));
        // Var(w) = 1/200 keeps Var(z) = E[a²] of the layer below; tanh gives back a little less each time, so the spread
        // decays slowly (by the recurrence 0.63, 0.52, 0.45, 0.40, 0.36, 0.33), never collapsing.
        for (int i = 1; i < stds.Length; i++)
            Assert.InRange(stds[i] / stds[i - 1], 0.75, 1.05);
        Assert.InRange(stds[^1], 0.25, 0.45);
    }

    [Fact]
    public void He_keeps_a_deep_relu_network_stable()
    {
        DiagnosticsReport report = FirstStep(new HeReluNet(seed: 1, maxBatchSize: 256));
        double[] stds = HiddenStds(report);
        for (int i = 1; i < stds.Length; i++)
            Assert.InRange(stds[i] / stds[i - 1], 0.7, 1.4);
        // Deep ReLU layers at initialization make samples alike, so some units are off for every sample (8 % here by the
        // sixth layer): far from a dead layer.
        Assert.All(report.Activations.Where(a => a.Activation == "ReLU"), a => Assert.True(a.DeadFraction < 0.2, $"{a.Layer}: {a.DeadFraction}"));
        Assert.DoesNotContain(report.Warnings, w => w.Contains("gradients", StringComparison.Ordinal) || w.Contains("dead", StringComparison.Ordinal));
    }

    [Fact]
    public void Dead_relus_and_saturated_tanh_units_are_counted_and_named()
    {
        DiagnosticsReport report = FirstStep(new BrokenUnitsNet(seed: 2, maxBatchSize: 256));
        ActivationStatistics tanh = report.Activations.Single(a => a.Layer == "dense1"), relu = report.Activations.Single(a => a.Layer == "dense2");
        Assert.True(tanh.SaturatedFraction > 0.8, $"saturated {tanh.SaturatedFraction}"); // weights of scale 10: |z| ≈ 28
        Assert.Equal(1.0, relu.DeadFraction); // a bias of −20 against inputs in [−1, 1]: no unit ever fires
        Assert.True(double.IsNaN(tanh.DeadFraction) && double.IsNaN(relu.SaturatedFraction));
        Assert.Contains(report.Warnings, w => w.StartsWith("dense2: 100% of its ReLU units never fired", StringComparison.Ordinal));
        Assert.Contains(report.Warnings, w => w.StartsWith("dense1: ", StringComparison.Ordinal) && w.Contains("tanh values are saturated", StringComparison.Ordinal));
        Assert.Contains("dense2", report.ToString());
    }

    [Fact]
    public void The_update_ratio_of_sgd_is_the_learning_rate_times_the_gradient_norm_over_the_weight_norm()
    {
        var net = new CrossEntropyNet(seed: 3, maxBatchSize: 256);
        float[] before = net.Parameters.ToArray();
        DiagnosticsReport report = FirstStep(net, new Sgd(0.05f));
        foreach (TensorStatistics t in report.Tensors)
        {
            ParameterTensor tensor = net.ParameterTensors.ToArray().Single(x => x.Name == t.Tensor);
            double norm = Math.Sqrt(before.AsSpan(tensor.Offset, tensor.Length).ToArray().Sum(v => (double)v * v));
            if (norm == 0) continue; // zero biases: no ratio
            Assert.Equal(0.05 * t.GradientNorm / norm, t.UpdateRatio, 1e-6);
            Assert.Equal(Math.Sqrt(net.Parameters.Slice(tensor.Offset, tensor.Length).ToArray().Sum(v => (double)v * v)), t.WeightNorm, 1e-9);
        }
    }

    [Fact]
    public void Without_diagnostics_epochs_carry_none_and_a_sampled_step_allocates_nothing()
    {
        var net = new CrossEntropyNet(seed: 1);
        var rng = new Rng(2);
        const int n = CrossEntropyNet.InputSize;
        Dataset data = Dataset.Classification(TestData.Normal(64 * n, rng), n, TestData.Labels(64, CrossEntropyNet.OutputSize, rng));
        Assert.Null(new Trainer<CrossEntropyNet>(net, new Adam(), 32).Fit(data, epochs: 1)[0].Diagnostics);

        var diagnostics = new TrainingDiagnostics();
        diagnostics.Begin(net);
        net.ComputeGradients(data.Features.AsSpan(0, 32 * n), data.Labels.AsSpan(0, 32), 32);
        Assert.Equal(0, Allocations.Measure(() =>
        {
            diagnostics.BeforeUpdate(net);
            diagnostics.AfterUpdate(net);
        }));
    }

    [Fact]
    public void Sanity_checks_see_the_initial_loss_and_a_memorized_batch()
    {
        var rng = new Rng(6);
        Dataset data = Dataset.Classification(TestData.Normal(200 * 8, rng), 8, TestData.Labels(200, 3, rng));
        SanityCheckResult initial = SanityChecks.InitialLoss(new SpiralProbeNet(seed: 1), data);
        Assert.True(initial.Passed, initial.Message);
        Assert.Equal(Math.Log(3), initial.Expected, 12);

        var wrongScale = new SpiralProbeNet(seed: 1);
        foreach (ref float w in wrongScale.Dense2Weights) w *= 100f; // confident random predictions: loss far above ln 3
        Assert.False(SanityChecks.InitialLoss(wrongScale, data).Passed);

        SanityCheckResult overfit = SanityChecks.OverfitTinyBatch(new SpiralProbeNet(seed: 2), new Adam(0.01f), data);
        Assert.True(overfit.Passed, overfit.Message);
        SanityCheckResult frozen = SanityChecks.OverfitTinyBatch(new SpiralProbeNet(seed: 2), new Sgd(1e-6f), data, steps: 20);
        Assert.False(frozen.Passed, frozen.Message);
        Assert.Contains("not memorized", frozen.Message);
    }
}

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(8)] [Dense(64)] [ReLU] [Dense(3)]
public partial class SpiralProbeNet;
