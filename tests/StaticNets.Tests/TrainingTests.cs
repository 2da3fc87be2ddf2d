namespace StaticNets.Tests;

public class TrainingTests
{
    [Fact]
    public void Xor_is_learned_to_full_accuracy()
    {
        var data = Dataset.Regression([0, 0, 0, 1, 1, 0, 1, 1], 2, [0, 1, 1, 0]);
        var net = new XorTestNet(seed: 1, maxBatchSize: 4);
        var history = new Trainer<XorTestNet>(net, new Sgd(0.5f), batchSize: 4).Fit(data, epochs: 2000);
        Assert.Equal(1.0, history[^1].TrainAccuracy);
        Assert.True(history[^1].TrainLoss < 0.05, $"final loss {history[^1].TrainLoss}");
        var p = new float[1];
        net.Predict([1f, 0f], p);
        Assert.True(p[0] > 0.9f);
        net.Predict([1f, 1f], p);
        Assert.True(p[0] < 0.1f);
    }

    [Fact]
    public void Spirals_are_learned_above_95_percent()
    {
        var data = SyntheticData.Spirals(classes: 2, pointsPerClass: 200, seed: 7);
        var net = new SpiralTestNet(seed: 3, maxBatchSize: 32);
        var trainer = new Trainer<SpiralTestNet>(net, new Sgd(0.3f), batchSize: 32, seed: 5);
        trainer.Fit(data, epochs: 150);
        Evaluation result = trainer.Evaluate(data);
        Assert.True(result.Accuracy > 0.95, $"training accuracy {result.Accuracy:P1}");
        // A linear model cannot do this: the data set is a real test of the hidden layers.
        var linear = new SpiralLinearNet(seed: 3, maxBatchSize: 32);
        var linearTrainer = new Trainer<SpiralLinearNet>(linear, new Sgd(0.3f), batchSize: 32, seed: 5);
        linearTrainer.Fit(data, epochs: 50);
        Assert.True(linearTrainer.Evaluate(data).Accuracy < 0.8);
    }

    [Fact]
    public void Training_is_reproducible_for_a_seed()
    {
        var data = SyntheticData.Spirals(2, 50, seed: 1);
        float[] Train()
        {
            var net = new SpiralTestNet(seed: 9, maxBatchSize: 16);
            new Trainer<SpiralTestNet>(net, new Sgd(0.1f), batchSize: 16, seed: 4).Fit(data, epochs: 3);
            return net.Parameters.ToArray();
        }
        Assert.Equal(Train(), Train());
    }

    [Fact]
    public void Evaluation_matches_per_batch_loss_and_accuracy()
    {
        var data = SyntheticData.Spirals(3, 30, seed: 2);
        var net = new SpiralThreeNet(seed: 1, maxBatchSize: 8);
        Evaluation e = new Trainer<SpiralThreeNet>(net, new Sgd(), batchSize: 8).Evaluate(data);
        double loss = 0;
        int correct = 0;
        var p = new float[3];
        for (int i = 0; i < data.Count; i++)
        {
            loss += net.ComputeLoss(data.FeaturesOf(i), data.Labels.AsSpan(i, 1), 1);
            net.Predict(data.FeaturesOf(i), p);
            if (Array.IndexOf(p, p.Max()) == data.Labels![i]) correct++;
        }
        Assert.Equal(loss / data.Count, e.Loss, 5);
        Assert.Equal((double)correct / data.Count, e.Accuracy);
    }

    [Fact]
    public void Trainer_rejects_data_of_the_wrong_shape()
    {
        var net = new SpiralTestNet(seed: 1, maxBatchSize: 8);
        var trainer = new Trainer<SpiralTestNet>(net, new Sgd(), batchSize: 8);
        var e = Assert.Throws<ArgumentException>(() => trainer.Fit(Dataset.Classification(new float[6], 3, [0, 1]), epochs: 1));
        Assert.Contains("3 features per sample; the network takes 2", e.Message);
        Assert.Throws<ArgumentException>(() => trainer.Fit(Dataset.Regression(new float[4], 2, new float[2]), epochs: 1));
    }
}

[Network(Loss = Loss.SigmoidBinaryCrossEntropy)]
[Input(2)] [Dense(8)] [Tanh] [Dense(1)]
public partial class XorTestNet;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(2)] [Dense(32)] [Tanh] [Dense(32)] [Tanh] [Dense(2)]
public partial class SpiralTestNet;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(2)] [Dense(2)]
public partial class SpiralLinearNet;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(2)] [Dense(16)] [ReLU] [Dense(3)]
public partial class SpiralThreeNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(2)] [Dense(1)]
public partial class LinearNetTwo;

public class GradientBlockTests
{
    public static TheoryData<string> TrainableNetworks() => new(NetworkFactories.All.Where(f => f.Value(1) is ITrainableNetwork).Select(f => f.Key));

    [Theory]
    [MemberData(nameof(TrainableNetworks))]
    public void Every_gradient_is_rewritten_by_each_call(string name)
    {
        // Two copies take the same two steps; one has garbage in its gradient block before the second. If any
        // gradient were accumulated instead of written, the garbage would survive into it.
        var clean = (ITrainableNetwork)NetworkFactories.All[name](1);
        var dirty = (ITrainableNetwork)NetworkFactories.All[name](1);
        const int batch = 8;
        var rng = new Rng(41);
        float[] x1 = TestData.Normal(batch * clean.InputSize, rng), x2 = TestData.Normal(batch * clean.InputSize, rng);
        var t1 = TestData.TargetsFor(clean, batch, rng);
        var t2 = TestData.TargetsFor(clean, batch, rng);
        TestData.ComputeGradients(clean, x1, t1, batch);
        TestData.ComputeGradients(dirty, x1, t1, batch);
        dirty.Gradients.Fill(1000f);
        TestData.ComputeGradients(clean, x2, t2, batch);
        TestData.ComputeGradients(dirty, x2, t2, batch);
        Assert.Equal(clean.Gradients.ToArray(), dirty.Gradients.ToArray());
    }
}
