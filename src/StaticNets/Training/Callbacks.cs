namespace StaticNets;

/// <summary>What a callback sees after each epoch, and how it stops training.</summary>
public sealed class TrainingContext
{
    internal TrainingContext(ITrainableNetwork network, TrainingHistory history) => (Network, History) = (network, history);

    /// <summary>The network being trained.</summary>
    public ITrainableNetwork Network { get; }

    /// <summary>Every epoch so far; the last one just ended.</summary>
    public TrainingHistory History { get; }

    /// <summary>Set by a callback to end training after this epoch.</summary>
    public bool StopRequested { get; set; }
}

/// <summary>Runs after every epoch and once when training ends (normally, early or by an error).</summary>
public interface ITrainingCallback
{
    /// <summary>After each epoch, with its metrics the last entry of the history.</summary>
    void OnEpochEnd(TrainingContext context);

    /// <summary>When training ends for any reason.</summary>
    void OnTrainingEnd(TrainingContext context) { }
}

/// <summary>What early stopping watches.</summary>
public enum StoppingMetric
{
    /// <summary>Validation loss (training loss without a validation set); lower is better.</summary>
    Loss,
    /// <summary>Validation accuracy (training accuracy without a validation set); higher is better. Classification only.</summary>
    Accuracy,
}

/// <summary>
/// Stops when the monitored metric (validation loss by default; the training value without a validation
/// set) has not improved by more than <paramref name="minDelta"/> for <paramref name="patience"/> epochs,
/// and then (by default) puts back the parameters and state of the best epoch exactly.
/// </summary>
public sealed class EarlyStopping(int patience = 5, double minDelta = 0, bool restoreBestWeights = true, StoppingMetric metric = StoppingMetric.Loss)
    : ITrainingCallback
{
    private readonly int _patience = patience >= 0 ? patience : throw new ArgumentOutOfRangeException(nameof(patience), patience, "patience must be non-negative.");
    private float[] _bestParameters = [], _bestState = [];
    private double _best = double.PositiveInfinity;
    private int _bestEpoch, _waited;

    /// <summary>The epoch with the lowest monitored loss so far.</summary>
    public int BestEpoch => _bestEpoch;

    /// <inheritdoc/>
    public void OnEpochEnd(TrainingContext context)
    {
        EpochResult last = context.History[^1];
        // Accuracy is negated so that lower is better for both metrics.
        double loss = metric == StoppingMetric.Loss
            ? last.MonitoredLoss
            : -(last.MonitoredAccuracy ?? throw new InvalidOperationException("StoppingMetric.Accuracy needs a classification network; this one reports no accuracy."));
        if (loss < _best - minDelta)
        {
            _best = loss;
            _bestEpoch = last.Epoch;
            _waited = 0;
            if (restoreBestWeights) Snapshot(context.Network);
        }
        else if (++_waited >= _patience)
            context.StopRequested = true;
    }

    /// <inheritdoc/>
    public void OnTrainingEnd(TrainingContext context)
    {
        if (!restoreBestWeights || _bestEpoch == 0 || _bestEpoch == context.History[^1].Epoch) return;
        using (context.Network.BeginWrite())
        {
            _bestParameters.CopyTo(context.Network.Parameters);
            _bestState.CopyTo(context.Network.State);
        }
        context.History.RestoredEpoch = _bestEpoch;
    }

    private void Snapshot(INetwork network)
    {
        if (_bestParameters.Length != network.Parameters.Length) _bestParameters = new float[network.Parameters.Length];
        if (_bestState.Length != network.State.Length) _bestState = new float[network.State.Length];
        network.Parameters.CopyTo(_bestParameters);
        network.State.CopyTo(_bestState);
    }
}

/// <summary>Saves the weights after every epoch, or only when the monitored loss improves, atomically.</summary>
public sealed class Checkpoint(string path, bool bestOnly = false) : ITrainingCallback
{
    private double _best = double.PositiveInfinity;

    /// <inheritdoc/>
    public void OnEpochEnd(TrainingContext context)
    {
        EpochResult last = context.History[^1];
        double loss = last.MonitoredLoss;
        if (bestOnly && !(loss < _best)) return;
        _best = Math.Min(_best, loss);
        WeightsFile.Save(context.Network, path);
    }
}

/// <summary>Runs an action with each epoch's metrics, e.g. to print them.</summary>
public sealed class EpochCallback(Action<EpochResult> action) : ITrainingCallback
{
    /// <inheritdoc/>
    public void OnEpochEnd(TrainingContext context) => action(context.History[^1]);
}
