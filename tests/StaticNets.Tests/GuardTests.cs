namespace StaticNets.Tests;

/// <summary>Bad input gets an exception naming what was wrong, never an IndexOutOfRange or a silent NaN.</summary>
public class GuardTests
{
    private readonly CrossEntropyNet _net = new(seed: 1, maxBatchSize: 4);

    [Fact]
    public void Predict_checks_lengths_and_finite_inputs()
    {
        var e = Assert.Throws<ArgumentException>(() => _net.Predict(new float[16], new float[5]));
        Assert.Contains("input has 16 values; expected 17", e.Message);
        e = Assert.Throws<ArgumentException>(() => _net.Predict(new float[17], new float[4]));
        Assert.Contains("output has 4 values; expected 5", e.Message);
        var x = new float[17];
        x[3] = float.NaN;
        e = Assert.Throws<ArgumentException>(() => _net.Predict(x, new float[5]));
        Assert.Contains("input[3] is NaN", e.Message);
        x[3] = float.PositiveInfinity;
        Assert.Throws<ArgumentException>(() => _net.Predict(x, new float[5]));
    }

    [Fact]
    public void Finite_finds_every_non_finite_value_at_every_position_and_passes_extreme_finite_values()
    {
        float[] bad = [float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        float[] extreme = [float.MaxValue, -float.MaxValue, float.Epsilon, -0f, 1e-38f];
        for (int length = 0; length <= 70; length++)
        {
            var values = new float[length];
            for (int i = 0; i < length; i++) values[i] = extreme[i % extreme.Length];
            Guard.Finite(values, "values"); // the sum of these overflows; each one is finite
            for (int at = 0; at < length; at++)
            {
                foreach (float b in bad)
                {
                    float kept = values[at];
                    values[at] = b;
                    var e = Assert.Throws<ArgumentException>(() => Guard.Finite(values, "values"));
                    Assert.Contains($"values[{at}] is", e.Message);
                    values[at] = kept;
                }
            }
        }
    }

    [Fact]
    public void Batches_beyond_the_maximum_are_rejected()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _net.PredictBatch(new float[5 * 17], new float[25], 5));
        Assert.Contains("maxBatchSize 4", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => _net.PredictBatch(default, default, 0));
    }

    [Fact]
    public void Training_checks_labels_and_targets()
    {
        ArgumentException e = Assert.Throws<ArgumentOutOfRangeException>(() => _net.ComputeGradients(new float[2 * 17], [1, 5], 2));
        Assert.Contains("labels[1] is 5", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => _net.ComputeGradients(new float[17], [-1], 1));
        Assert.Throws<ArgumentException>(() => _net.ComputeGradients(new float[2 * 17], [1], 2));
        Assert.Throws<ArgumentException>(() => _net.ComputeGradients(new float[17], [1], 1, new float[3]));

        var binary = new BinaryNet(seed: 1);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => binary.ComputeGradients(new float[17], [1.5f], 1));
        Assert.Contains("must be in [0, 1]", e.Message);
        var regression = new ReluNet(seed: 1);
        e = Assert.Throws<ArgumentException>(() => regression.ComputeGradients(new float[17], [0f, float.NaN, 0f, 0f], 1));
        Assert.Contains("targets[1] is NaN", e.Message);
    }

    [Fact]
    public void The_wrong_kind_of_target_is_explained()
    {
        ITrainableNetwork net = _net;
        var e = Assert.Throws<InvalidOperationException>(() => net.ComputeGradients(new float[17], new float[5], 1));
        Assert.Contains("integer class labels", e.Message);
    }

    [Fact]
    public void Construction_checks_the_batch_size()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CrossEntropyNet(maxBatchSize: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer<CrossEntropyNet>(_net, new Sgd(), batchSize: 5));
    }

    [Fact]
    public void Datasets_check_their_shape_and_values()
    {
        Assert.Throws<ArgumentException>(() => Dataset.Classification(new float[7], 2, [0, 1, 0]));
        Assert.Throws<ArgumentException>(() => Dataset.Classification(new float[6], 2, [0, 1]));
        var e = Assert.Throws<ArgumentException>(() => Dataset.Regression([1f, float.NaN], 1, [0f, 1f]));
        Assert.Contains("features[1] is NaN", e.Message);
        Assert.Throws<ArgumentException>(() => Dataset.Regression(new float[4], 2, new float[3], 2));
    }
}
