namespace StaticNets.Tests;

/// <summary>A network whose output is fixed: a member with hand-made predictions.</summary>
internal sealed class FixedOutputs(params float[] outputs) : INetwork
{
    private readonly float[] _parameters = [0f];
    public int InputSize => 1;
    public int OutputSize => outputs.Length;
    public int MaxBatchSize => 1;
    public Loss Loss => Loss.SoftmaxCrossEntropy;
    public string Architecture => "Fixed";
    public Span<float> Parameters => _parameters;
    public ReadOnlySpan<ParameterTensor> ParameterTensors => [];
    public Span<float> State => [];
    public ReadOnlySpan<ParameterTensor> StateTensors => [];
    public ParameterWrite BeginWrite() => default;
    public void Predict(ReadOnlySpan<float> input, Span<float> output) => outputs.CopyTo(output);
    public void PredictLogits(ReadOnlySpan<float> input, Span<float> logits) => outputs.CopyTo(logits);
    public void PredictBatch(ReadOnlySpan<float> inputs, Span<float> output, int batchSize) => outputs.CopyTo(output);
}

/// <summary>Combining members, training them, snapshots and weight averaging.</summary>
public class EnsembleTests
{
    [Fact]
    public void Averaging_takes_the_mean_of_the_members_outputs()
    {
        var ensemble = new Ensemble<INetwork>([new FixedOutputs(0.6f, 0.3f, 0.1f), new FixedOutputs(0.2f, 0.2f, 0.6f)]);
        var y = new float[3];
        ensemble.Predict([0f], y);
        double[] expected = [0.4, 0.25, 0.35];
        for (int c = 0; c < 3; c++) Assert.Equal(expected[c], y[c], 6);
    }

    [Fact]
    public void Voting_counts_each_members_likeliest_class_and_breaks_ties_by_the_mean()
    {
        // Votes: class 0, class 2, class 2 → class 2 wins although class 0 has the larger mean probability.
        var three = new Ensemble<INetwork>([new FixedOutputs(0.9f, 0.05f, 0.05f), new FixedOutputs(0.4f, 0.2f, 0.4001f), new FixedOutputs(0.3f, 0.3f, 0.4f)],
            EnsembleCombination.MajorityVote);
        var y = new float[3];
        three.Predict([0f], y);
        Assert.Equal(2, Array.IndexOf(y, y.Max()));
        // (votes + mean/2) / (3 + ½): class 2 = (2 + 0.2834/2)/3.5.
        Assert.Equal((2 + 0.5 * (0.05 + 0.4001 + 0.4) / 3) / 3.5, y[2], 6);
        Assert.Equal(1.0, y.Sum(), 5);

        // One vote each for classes 0 and 1: the mean probability decides (class 1: 0.55 against 0.45).
        var tie = new Ensemble<INetwork>([new FixedOutputs(0.5f, 0.4f, 0.1f), new FixedOutputs(0.2f, 0.7f, 0.1f)], EnsembleCombination.MajorityVote);
        tie.Predict([0f], y);
        Assert.Equal(1, Array.IndexOf(y, y.Max()));
    }

    [Fact]
    public void Members_must_agree_on_sizes_and_inputs_are_checked()
    {
        Assert.Throws<ArgumentException>(() => new Ensemble<INetwork>([new FixedOutputs(1f, 0f), new FixedOutputs(1f, 0f, 0f)]));
        Assert.Throws<ArgumentException>(() => new Ensemble<INetwork>([]));
        var e = new Ensemble<INetwork>([new FixedOutputs(1f, 0f)]);
        Assert.Throws<ArgumentException>(() => e.Predict([0f, 1f], new float[2]));
    }

    [Fact]
    public void An_ensemble_on_a_real_task_is_at_least_as_accurate_as_its_average_member_and_predicts_without_allocating()
    {
        Dataset all = SyntheticData.Spirals(classes: 3, pointsPerClass: 200, noise: 0.3, seed: 3);
        var (train, test) = all.Split(0.7, seed: 1);
        var ensemble = Ensemble<SpiralProbe2Net>.Train(5, seed => new SpiralProbe2Net(seed),
            (net, seed, data) => new Trainer<SpiralProbe2Net>(net, new Adam(0.01f), batchSize: 32, seed: seed).Fit(data, epochs: 15),
            train, bootstrap: true, seed: 10);
        double[] members = ensemble.MemberAccuracies(test);
        double combined = ensemble.Accuracy(test);
        Assert.True(combined >= members.Average(), $"ensemble {combined} against members {string.Join(", ", members)}");
        Assert.True(members.Distinct().Count() >= 2, string.Join(", ", members));

        var y = new float[3];
        float[] x = test.FeaturesOf(0).ToArray();
        Assert.Equal(0, Allocations.Measure(() => ensemble.Predict(x, y)));
    }

    [Fact]
    public void Bootstrap_resamples_with_replacement_and_repeats_by_seed()
    {
        Dataset data = Dataset.Classification(Enumerable.Range(0, 100).Select(i => (float)i).ToArray(), 1, new int[100]);
        Dataset a = Ensemble<INetwork>.Bootstrap(data, 4), b = Ensemble<INetwork>.Bootstrap(data, 4);
        Assert.Equal(100, a.Count);
        Assert.Equal(a.Features, b.Features);
        int distinct = a.Features.Distinct().Count();
        Assert.InRange(distinct, 55, 72); // about 1 − 1/e = 63 % of the samples appear
    }

    [Fact]
    public void The_restart_schedule_falls_along_a_half_cosine_and_restarts()
    {
        var schedule = new CosineRestartsSchedule(0.1f, cycleEpochs: 4, minimum: 0.01f);
        float[] expected = [0.1f, 0.01f + 0.09f * (1 + MathF.Cos(MathF.PI / 4)) / 2, 0.055f, 0.01f + 0.09f * (1 + MathF.Cos(3 * MathF.PI / 4)) / 2, 0.1f];
        for (int e = 0; e < expected.Length; e++) Assert.Equal(expected[e], schedule.LearningRateFor(e, null), 6);
    }

    [Fact]
    public void Snapshots_make_an_ensemble_and_an_average_and_the_moving_average_follows_its_formula()
    {
        Dataset data = SyntheticData.Spirals(classes: 3, pointsPerClass: 100, seed: 5);
        var net = new SpiralProbe2Net(seed: 1);
        var snapshots = new SnapshotCollector(everyEpochs: 3);
        var ema = new ExponentialMovingAverage(0.9f);
        var trainer = new Trainer<SpiralProbe2Net>(net, new Sgd(0.1f, momentum: 0.9f), batchSize: 30, seed: 2)
        {
            Schedule = new CosineRestartsSchedule(0.1f, cycleEpochs: 3),
            WeightAverage = ema,
        };
        trainer.Fit(data, epochs: 9, callbacks: [snapshots]);
        Assert.Equal(3, snapshots.Count);
        Assert.Equal(9 * 10, ema.Updates);
        Ensemble<SpiralProbe2Net> ensemble = snapshots.ToEnsemble(() => new SpiralProbe2Net());
        Assert.Equal(net.Parameters.ToArray(), ensemble.Members[^1].Parameters.ToArray()); // the last snapshot is the end of training
        Assert.NotEqual(ensemble.Members[0].Parameters.ToArray(), ensemble.Members[1].Parameters.ToArray());

        var averaged = new SpiralProbe2Net();
        snapshots.AverageInto(averaged);
        for (int i = 0; i < averaged.Parameters.Length; i += 17)
            Assert.Equal((ensemble.Members[0].Parameters[i] + (double)ensemble.Members[1].Parameters[i] + ensemble.Members[2].Parameters[i]) / 3,
                averaged.Parameters[i], 5);

        // avg ← 0.9·avg + 0.1·w, from the first w.
        var small = new ExponentialMovingAverage(0.9f);
        small.Update([1f, 2f]);
        small.Update([3f, 0f]);
        Assert.Equal([0.9f * 1f + 0.1f * 3f, 0.9f * 2f + 0.1f * 0f], small.Average.ToArray());
        var copy = new SpiralProbe2Net();
        ema.CopyTo(copy);
        Assert.Equal(ema.Average.ToArray(), copy.Parameters.ToArray());
    }
}

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(2)] [Dense(32)] [ReLU] [Dense(32)] [ReLU] [Dense(3)]
public partial class SpiralProbe2Net;
