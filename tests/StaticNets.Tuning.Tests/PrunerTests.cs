namespace StaticNets.Tuning.Tests;

public class PrunerTests
{
    private static TrialRecord Record(int number, TrialStatus status, params double[] epochs) =>
        new(number, new Dictionary<string, double>(), 0, status, epochs.Length > 0 ? epochs[^1] : null,
            epochs.Select((v, i) => (i + 1, v)).ToDictionary(p => p.Item1, p => p.v), 1, 1, "w", null);

    [Fact]
    public void The_median_rule_stops_a_trial_worse_than_the_finished_trials_median_after_the_warmup()
    {
        var trials = new List<TrialRecord>
        {
            Record(0, TrialStatus.Complete, 0.5, 0.4, 0.3),
            Record(1, TrialStatus.Complete, 0.6, 0.5, 0.4),
            Record(2, TrialStatus.Complete, 0.7, 0.6, 0.5),
            Record(3, TrialStatus.Running, 0.9),
        };
        var pruner = new MedianPruner(startupTrials: 3, warmupEpochs: 1);
        Assert.False(pruner.ShouldPrune(3, 1, 0.9, trials, Direction.Minimize)); // warm-up
        Assert.True(pruner.ShouldPrune(3, 2, 0.51, trials, Direction.Minimize));  // median at epoch 2: 0.5
        Assert.False(pruner.ShouldPrune(3, 2, 0.5, trials, Direction.Minimize));
        Assert.True(pruner.ShouldPrune(3, 2, 0.49, trials, Direction.Maximize));  // accuracies: lower is worse
        Assert.False(new MedianPruner(startupTrials: 4, warmupEpochs: 1).ShouldPrune(3, 2, 0.9, trials, Direction.Minimize)); // too few finished
    }

    [Fact]
    public void Successive_halving_keeps_the_best_third_at_each_rung()
    {
        var pruner = new SuccessiveHalvingPruner(minEpochs: 1, reductionFactor: 3);
        Assert.True(pruner.IsRung(1) && pruner.IsRung(3) && pruner.IsRung(9) && !pruner.IsRung(2) && !pruner.IsRung(4));
        var trials = Enumerable.Range(0, 5).Select(i => Record(i, TrialStatus.Complete, 0.1 * (i + 1))).ToList(); // 0.1 … 0.5 at epoch 1
        // With the asking trial, six values at rung 1: the best two continue.
        Assert.False(pruner.ShouldPrune(9, 1, 0.05, trials, Direction.Minimize));
        Assert.False(pruner.ShouldPrune(9, 1, 0.15, trials, Direction.Minimize)); // second best
        Assert.True(pruner.ShouldPrune(9, 1, 0.25, trials, Direction.Minimize));
        Assert.False(pruner.ShouldPrune(9, 2, 0.99, trials, Direction.Minimize)); // not a rung
        Assert.False(pruner.ShouldPrune(0, 1, 0.1, [Record(0, TrialStatus.Running, 0.1)], Direction.Minimize)); // the first always continues
    }
}
