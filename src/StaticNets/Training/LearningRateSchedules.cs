namespace StaticNets;

/// <summary>
/// The learning rate for each epoch. The trainer asks before every epoch, passing the 0-based epoch
/// number and the previous epoch's metrics (null before the first), and sets the optimizer's rate.
/// </summary>
public interface ILearningRateSchedule
{
    /// <summary>The learning rate for epoch <paramref name="epoch"/> (0-based).</summary>
    float LearningRateFor(int epoch, EpochResult? previous);
}

/// <summary>The same rate every epoch.</summary>
public sealed class ConstantSchedule(float learningRate) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public float LearningRateFor(int epoch, EpochResult? previous) => learningRate;
}

/// <summary>Step decay: a₀ / k^⌊t/n⌋, dividing by <paramref name="divisor"/> every <paramref name="everyEpochs"/> epochs.</summary>
public sealed class StepSchedule(float initial, int everyEpochs, float divisor = 10f) : ILearningRateSchedule
{
    private readonly int _every = everyEpochs > 0 ? everyEpochs : throw new ArgumentOutOfRangeException(nameof(everyEpochs), everyEpochs, "everyEpochs must be positive.");
    private readonly float _divisor = divisor > 1f ? divisor : throw new ArgumentOutOfRangeException(nameof(divisor), divisor, "The divisor must exceed 1.");

    /// <inheritdoc/>
    public float LearningRateFor(int epoch, EpochResult? previous) => (float)(initial / Math.Pow(_divisor, epoch / _every));
}

/// <summary>Exponential decay: a₀·e^(−k·t).</summary>
public sealed class ExponentialSchedule(float initial, float k) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public float LearningRateFor(int epoch, EpochResult? previous) => (float)(initial * Math.Exp(-(double)k * epoch));
}

/// <summary>1/t decay: a₀/(1 + k·t).</summary>
public sealed class InverseTimeSchedule(float initial, float k) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public float LearningRateFor(int epoch, EpochResult? previous) => (float)(initial / (1.0 + (double)k * epoch));
}

/// <summary>
/// Cosine annealing with optional linear warm-up: for t &lt; W, a₀·(t + 1)/W; then
/// a_min + (a₀ − a_min)·(1 + cos(π·(t − W)/(T − W)))/2, reaching a_min at t = T (and staying there).
/// </summary>
public sealed class CosineSchedule : ILearningRateSchedule
{
    private readonly float _initial, _minimum;
    private readonly int _total, _warmup;

    /// <summary>Over <paramref name="totalEpochs"/> epochs, the first <paramref name="warmupEpochs"/> of them warming up.</summary>
    public CosineSchedule(float initial, int totalEpochs, int warmupEpochs = 0, float minimum = 0f)
    {
        if (warmupEpochs < 0 || warmupEpochs >= totalEpochs)
            throw new ArgumentOutOfRangeException(nameof(warmupEpochs), warmupEpochs, $"warmupEpochs must be in [0, totalEpochs = {totalEpochs}).");
        (_initial, _total, _warmup, _minimum) = (initial, totalEpochs, warmupEpochs, minimum);
    }

    /// <inheritdoc/>
    public float LearningRateFor(int epoch, EpochResult? previous)
    {
        if (epoch < _warmup) return _initial * (epoch + 1) / _warmup;
        double progress = Math.Min(1.0, (double)(epoch - _warmup) / (_total - _warmup));
        return (float)(_minimum + (_initial - _minimum) * (1 + Math.Cos(Math.PI * progress)) / 2);
    }
}

/// <summary>
/// Reduce on plateau: divides the rate by <paramref name="divisor"/> when the monitored loss (validation,
/// or training without a validation set) has not improved on its best by more than a relative
/// <paramref name="threshold"/> for <paramref name="patience"/> epochs, then waits <paramref name="cooldown"/>
/// epochs before counting again. Never goes below <paramref name="minimum"/>.
/// </summary>
public sealed class ReduceOnPlateauSchedule(float initial, int patience = 10, float divisor = 10f, int cooldown = 0, float threshold = 1e-4f, float minimum = 0f)
    : ILearningRateSchedule
{
    private float _rate = initial;
    private double _best = double.PositiveInfinity;
    private int _badEpochs, _cooldownLeft;

    /// <inheritdoc/>
    public float LearningRateFor(int epoch, EpochResult? previous)
    {
        // PyTorch's ReduceLROnPlateau bookkeeping (mode "min", relative threshold).
        if (previous is not { } last) return _rate;
        double loss = last.MonitoredLoss;
        if (loss < _best * (1 - threshold))
        {
            _best = loss;
            _badEpochs = 0;
        }
        else
            _badEpochs++;
        if (_cooldownLeft > 0)
        {
            _cooldownLeft--;
            _badEpochs = 0;
        }
        if (_badEpochs > patience)
        {
            _rate = Math.Max(minimum, _rate / divisor);
            _cooldownLeft = cooldown;
            _badEpochs = 0;
        }
        return _rate;
    }
}
