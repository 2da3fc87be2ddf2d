using StaticNets.Tests.Reference;

namespace StaticNets.Tests;

/// <summary>
/// [Heads(M)]: the heads' average at inference equals the average of their separate outputs; the loss is the mean of
/// the heads' losses (its gradients are checked against the double reference with every network, GradientCheckTests);
/// heads start apart and train into an ensemble at least as accurate as its average head.
/// </summary>
public class MultiHeadTests
{
    public static TheoryData<string> HeadNetworks() => new(NetworkFactories.All.Keys.Where(k => k.StartsWith("Heads", StringComparison.Ordinal)));

    [Theory]
    [MemberData(nameof(HeadNetworks))]
    public void Predict_is_the_mean_of_the_heads_separate_outputs(string name)
    {
        var net = (IMultiHeadNetwork)NetworkFactories.All[name](4);
        Assert.True(net.HeadCount >= 2, $"{name}: {net.HeadCount} heads");
        const int batch = 6;
        float[] inputs = TestData.Normal(batch * net.InputSize, new Rng(8));
        var predicted = new float[batch * net.OutputSize];
        net.PredictBatch(inputs, predicted, batch);

        // Each head's own output (inference mode, left in its buffer), through the loss's link, then averaged in double.
        var mean = new double[predicted.Length];
        for (int head = 0; head < net.HeadCount; head++)
        {
            float[] raw = net.HeadOutputs(head).ToArray();
            for (int r = 0; r < batch; r++)
            {
                double[] row = raw.AsSpan(r * net.OutputSize, net.OutputSize).ToArray().Select(v => (double)v).ToArray();
                double[] linked = net.Loss switch
                {
                    Loss.SoftmaxCrossEntropy => Softmax(row),
                    Loss.SigmoidBinaryCrossEntropy => row.Select(v => 1 / (1 + Math.Exp(-v))).ToArray(),
                    _ => row,
                };
                for (int k = 0; k < linked.Length; k++) mean[r * net.OutputSize + k] += linked[k] / net.HeadCount;
            }
        }
        double scale = Math.Max(1, mean.Max(Math.Abs));
        for (int i = 0; i < mean.Length; i++)
            Assert.True(Math.Abs(predicted[i] - mean[i]) <= 1e-6 * scale, $"{name}: output {i} is {predicted[i]:R}, the heads' mean {mean[i]:R}");

        // One sample gives the same bits as the batch.
        var one = new float[net.OutputSize];
        net.Predict(inputs.AsSpan(0, net.InputSize), one);
        Assert.Equal(predicted.AsSpan(0, net.OutputSize).ToArray(), one);
    }

    [Fact]
    public void The_logits_are_the_log_of_the_mean_probabilities_and_stay_finite_when_a_head_is_certain()
    {
        var net = new HeadsNet(seed: 2);
        var probabilities = new float[HeadsNet.OutputSize];
        var logits = new float[HeadsNet.OutputSize];
        float[] x = TestData.Normal(HeadsNet.InputSize, new Rng(3));
        net.Predict(x, probabilities);
        net.PredictLogits(x, logits);
        for (int k = 0; k < logits.Length; k++) Assert.Equal(probabilities[k], MathF.Exp(logits[k]), 6);

        // Logits of ±1000 in one head: its softmax underflows to 0 for all but one class, and the mean still has a
        // finite log for every class (the other heads give them probability).
        var bias = net.ParameterTensors.ToArray().Single(t => t.Name == "dense3.bias"); // the first head's last layer
        net.Parameters.Slice(bias.Offset, bias.Length).Fill(1000f);
        net.Parameters[bias.Offset] = -1000f;
        net.PredictLogits(x, logits);
        net.Predict(x, probabilities);
        Assert.All(logits, v => Assert.True(float.IsFinite(v), $"logit {v}"));
        Assert.Equal(1.0, probabilities.Sum(), 5);
    }

    [Theory]
    [MemberData(nameof(HeadNetworks))]
    public void ComputeLoss_is_the_mean_of_the_heads_losses_in_inference_mode(string name)
    {
        var net = (ITrainableNetwork)NetworkFactories.All[name](5);
        const int batch = 5;
        var rng = new Rng(12);
        float[] inputs = TestData.Normal(batch * net.InputSize, rng);
        var targets = TestData.TargetsFor(net, batch, rng);
        float loss = net.Loss == Loss.SoftmaxCrossEntropy ? net.ComputeLoss(inputs, targets.Labels, batch) : net.ComputeLoss(inputs, targets.Targets, batch);
        double expected = new ReferenceNetwork(net).Loss(TestData.AsDouble(net.Parameters), TestData.AsDouble(net.State),
            inputs.Select(v => (double)v).ToArray(), targets.AsDouble, batch, training: false);
        Assert.True(Math.Abs(loss - expected) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"{name}: {loss} against the reference {expected}");
    }

    [Fact]
    public void Every_head_has_its_own_parameters_initialized_apart_and_the_summary_counts_them()
    {
        var net = new HeadsNet(seed: 1);
        string[] names = net.ParameterTensors.ToArray().Select(t => t.Name).ToArray();
        Assert.Equal(["dense1.weight", "dense1.bias", "dense2.weight", "dense2.bias", "dense3.weight", "dense3.bias",
            "dense4.weight", "dense4.bias", "dense5.weight", "dense5.bias", "dense6.weight", "dense6.bias", "dense7.weight", "dense7.bias"], names);
        float[] Weights(string tensor)
        {
            var t = net.ParameterTensors.ToArray().Single(p => p.Name == tensor);
            return net.Parameters.Slice(t.Offset, t.Length).ToArray();
        }
        Assert.NotEqual(Weights("dense2.weight"), Weights("dense4.weight"));
        Assert.NotEqual(Weights("dense4.weight"), Weights("dense6.weight"));

        // Trunk 6·9 + 9; each head 9·5 + 5 + 5·4 + 4; the average a row of its own.
        Assert.Equal(6 * 9 + 9 + 3 * (9 * 5 + 5 + 5 * 4 + 4), HeadsNet.ParameterCount);
        Assert.Equal(HeadsNet.ParameterCount, HeadsNet.Summary.Layers.Sum(l => l.Parameters));
        var average = HeadsNet.Summary.Layers.Single(l => l.Name == "heads1");
        Assert.Equal("Heads(3)", average.Layer);
        Assert.Equal(0, average.Parameters);
        Assert.Contains("Heads(3)", HeadsNet.Architecture);
    }

    [Fact]
    public void Trained_heads_make_an_ensemble_at_least_as_accurate_as_their_average_and_predict_without_allocating()
    {
        Dataset all = SyntheticData.Spirals(classes: 3, pointsPerClass: 200, noise: 0.3, seed: 3);
        var (train, test) = all.Split(0.7, seed: 1);
        var net = new SpiralHeadsNet(seed: 4);
        new Trainer<SpiralHeadsNet>(net, new Adam(0.01f), batchSize: 32, seed: 5).Fit(train, epochs: 15);

        Assert.Equal(5, SpiralHeadsNet.HeadCount);
        var headCorrect = new int[SpiralHeadsNet.HeadCount];
        int combinedCorrect = 0;
        var probabilities = new float[3];
        for (int i = 0; i < test.Count; i++)
        {
            net.PredictBatch(test.FeaturesOf(i), probabilities, 1);
            for (int h = 0; h < SpiralHeadsNet.HeadCount; h++)
                if (ArgMax(net.HeadOutputs(h)) == test.Labels![i]) headCorrect[h]++;
            if (ArgMax(probabilities) == test.Labels![i]) combinedCorrect++;
        }
        double[] headAccuracy = headCorrect.Select(c => (double)c / test.Count).ToArray();
        double combined = (double)combinedCorrect / test.Count;
        Assert.True(headAccuracy.Average() > 0.8, string.Join(", ", headAccuracy));
        Assert.True(combined >= headAccuracy.Average(), $"heads' average {combined} against the heads {string.Join(", ", headAccuracy)}");

        float[] x = test.FeaturesOf(0).ToArray();
        Assert.Equal(0, Allocations.Measure(() => net.Predict(x, probabilities)));
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private static double[] Softmax(double[] z)
    {
        double max = z.Max();
        double[] e = z.Select(v => Math.Exp(v - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }
}

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(2)] [Dense(32)] [ReLU] [Heads(5)] [Dense(32)] [ReLU] [Dense(3)]
public partial class SpiralHeadsNet;
