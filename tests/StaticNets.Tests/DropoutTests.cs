namespace StaticNets.Tests;

public class DropoutTests
{
    private const int Width = 500, Batch = 20;

    private static (DropoutProbe Net, float[] X) Probe(int seed)
    {
        // Dense = identity, so the dropout layer's input is x itself.
        var net = new DropoutProbe(seed, maxBatchSize: Batch);
        net.Dense1Weights.Clear();
        for (int i = 0; i < Width; i++) net.Dense1Weights[i * Width + i] = 1f;
        return (net, TestData.Normal(Batch * Width, new Rng(7)));
    }

    [Fact]
    public void Training_keeps_one_minus_rate_and_preserves_the_expectation()
    {
        var (net, x) = Probe(seed: 1);
        net.ComputeGradients(x, new float[Batch * Width], Batch);
        float[] mask = TestData.DropoutMasks(net)![0].AsSpan(0, Batch * Width).ToArray();
        int n = mask.Length;
        double kept = mask.Count(m => m != 0) / (double)n;
        // Binomial(n, 0.7): standard error sqrt(0.21/n) ≈ 0.0029; allow 5 of them.
        Assert.InRange(kept, 0.7 - 5 * Math.Sqrt(0.21 / n), 0.7 + 5 * Math.Sqrt(0.21 / n));
        Assert.All(mask, m => Assert.True(m == 0f || Math.Abs(m - 1f / 0.7f) < 1e-6f));
        // Inverted scaling keeps E[mask] = 1: its mean is within 5 standard errors (sqrt(0.3/0.7/n)).
        Assert.InRange(mask.Average(), 1 - 5 * Math.Sqrt(0.3 / 0.7 / n), 1 + 5 * Math.Sqrt(0.3 / 0.7 / n));
        // And the layer's output is x ⊙ mask.
        float[] y = net.BatchOutputs.ToArray();
        for (int i = 0; i < n; i++) Assert.Equal(x[i] * mask[i], y[i]);
    }

    [Fact]
    public void Inference_is_the_identity()
    {
        var (net, x) = Probe(seed: 1);
        var y = new float[Width];
        net.Predict(x.AsSpan(0, Width), y);
        Assert.Equal(x.AsSpan(0, Width).ToArray(), y);
        var batch = new float[Batch * Width];
        net.PredictBatch(x, batch, Batch);
        Assert.Equal(x, batch);
    }

    [Fact]
    public void The_same_seed_draws_the_same_masks()
    {
        float[] Masks(int seed)
        {
            var (net, x) = Probe(seed);
            net.ComputeGradients(x, new float[Batch * Width], Batch);
            net.ComputeGradients(x, new float[Batch * Width], Batch);
            return TestData.DropoutMasks(net)![0].ToArray();
        }
        Assert.Equal(Masks(5), Masks(5));
        Assert.NotEqual(Masks(5), Masks(6));
    }

    [Fact]
    public void Monte_Carlo_prediction_gives_the_mean_and_spread_of_dropout()
    {
        // A linear network: E[output] under dropout equals the inference output exactly, so the Monte-Carlo
        // mean must approach it; the spread is positive. Standard error of the mean ≈ std/sqrt(samples).
        var net = new LinearDropoutNet(seed: 3, maxBatchSize: 64);
        float[] x = TestData.Normal(LinearDropoutNet.InputSize, new Rng(1));
        var expected = new float[2];
        net.Predict(x, expected);
        var mean = new float[2];
        var std = new float[2];
        const int samples = 4000;
        net.PredictMonteCarlo(x, mean, std, samples);
        for (int k = 0; k < 2; k++)
        {
            Assert.True(std[k] > 0);
            Assert.InRange(mean[k], expected[k] - 5 * std[k] / Math.Sqrt(samples), expected[k] + 5 * std[k] / Math.Sqrt(samples));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => net.PredictMonteCarlo(x, mean, std, 1));
    }

    [Fact]
    public void Monte_Carlo_with_rate_zero_has_no_spread()
    {
        var net = new NoDropNet(seed: 3, maxBatchSize: 8);
        float[] x = [0.5f, -1f, 2f];
        var mean = new float[2];
        var std = new float[2];
        net.PredictMonteCarlo(x, mean, std, 10);
        var y = new float[2];
        net.Predict(x, y);
        Assert.Equal(y, mean, (a, b) => Math.Abs(a - b) < 1e-6f);
        Assert.Equal([0f, 0f], std);
    }
}

[Network(Loss = Loss.MeanSquaredError)]
[Input(500)] [Dense(500, Bias = false)] [Dropout(0.3f)]
public partial class DropoutProbe;

[Network(Loss = Loss.MeanSquaredError)]
[Input(6)] [Dense(30)] [Dropout(0.5f)] [Dense(2)]
public partial class LinearDropoutNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(3)] [Dense(8)] [Tanh] [Dropout(0f)] [Dense(2)]
public partial class NoDropNet;
