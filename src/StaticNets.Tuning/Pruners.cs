namespace StaticNets.Tuning;

/// <summary>Whether the objective is minimized (a loss) or maximized (an accuracy).</summary>
public enum Direction
{
    /// <summary>Lower is better.</summary>
    Minimize,
    /// <summary>Higher is better.</summary>
    Maximize,
}

/// <summary>
/// Decides, from the per-epoch reports of all trials, whether a running trial is clearly bad and stops it early. The
/// pruners here keep no state: safe from many threads (trials run in parallel ask at once).
/// </summary>
public interface IPruner
{
    /// <summary>
    /// Whether <paramref name="trial"/>, which just reported <paramref name="value"/> at <paramref name="epoch"/> (from 1),
    /// should stop. <paramref name="trials"/> are the study's trials as stored, the one asking included.
    /// </summary>
    bool ShouldPrune(int trial, int epoch, double value, IReadOnlyList<TrialRecord> trials, Direction direction);
}

/// <summary>
/// The median rule (Optuna's MedianPruner, Google Vizier's median stopping): after <c>warmupEpochs</c>, a trial stops
/// when its value is worse than the median of the finished trials' values at the same epoch, once
/// <c>startupTrials</c> trials have finished.
/// </summary>
public sealed class MedianPruner(int startupTrials = 5, int warmupEpochs = 1) : IPruner
{
    /// <inheritdoc/>
    public bool ShouldPrune(int trial, int epoch, double value, IReadOnlyList<TrialRecord> trials, Direction direction)
    {
        if (epoch <= warmupEpochs) return false;
        var finished = trials.Where(t => t.Number != trial && t.Status == TrialStatus.Complete && t.Epochs.ContainsKey(epoch)).Select(t => t.Epochs[epoch]).ToList();
        if (trials.Count(t => t.Number != trial && t.Status == TrialStatus.Complete) < startupTrials || finished.Count == 0) return false;
        finished.Sort();
        double median = finished.Count % 2 == 1 ? finished[finished.Count / 2] : (finished[finished.Count / 2 - 1] + finished[finished.Count / 2]) / 2;
        return direction == Direction.Minimize ? value > median : value < median;
    }
}

/// <summary>
/// Successive halving, asynchronous (ASHA, as Optuna's SuccessiveHalvingPruner): rungs at epochs m·η^k; a trial that
/// reaches a rung continues only if its value is among the best 1/η of all values reported at that rung so far (the
/// first to arrive always continues).
/// </summary>
public sealed class SuccessiveHalvingPruner : IPruner
{
    private readonly int _minEpochs, _factor;

    /// <summary>Rungs at <paramref name="minEpochs"/>·<paramref name="reductionFactor"/>^k epochs.</summary>
    public SuccessiveHalvingPruner(int minEpochs = 1, int reductionFactor = 3)
    {
        _minEpochs = minEpochs >= 1 ? minEpochs : throw new ArgumentOutOfRangeException(nameof(minEpochs), minEpochs, "minEpochs must be at least 1.");
        _factor = reductionFactor >= 2 ? reductionFactor : throw new ArgumentOutOfRangeException(nameof(reductionFactor), reductionFactor, "The reduction factor must be at least 2.");
    }

    /// <summary>Whether <paramref name="epoch"/> is a rung.</summary>
    public bool IsRung(int epoch)
    {
        for (long rung = _minEpochs; rung <= epoch; rung *= _factor)
            if (rung == epoch) return true;
        return false;
    }

    /// <inheritdoc/>
    public bool ShouldPrune(int trial, int epoch, double value, IReadOnlyList<TrialRecord> trials, Direction direction)
    {
        if (!IsRung(epoch)) return false;
        var values = trials.Where(t => t.Number != trial && t.Epochs.ContainsKey(epoch)).Select(t => t.Epochs[epoch]).Append(value).ToList();
        int keep = Math.Max(1, values.Count / _factor);
        int better = values.Count(v => direction == Direction.Minimize ? v < value : v > value);
        return better >= keep;
    }
}
