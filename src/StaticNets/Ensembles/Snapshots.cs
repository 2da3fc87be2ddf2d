namespace StaticNets;

/// <summary>
/// SGDR's cyclic cosine schedule with warm restarts (Loshchilov &amp; Hutter), as snapshot ensembles use it (Huang et
/// al.): within each cycle of <c>cycleEpochs</c> epochs the rate falls from <c>maximum</c> to <c>minimum</c> along a
/// half cosine, then jumps back: lr(e) = min + (max − min)·(1 + cos(π·(e mod T)/T))/2 for 0-based epoch e. Immutable:
/// safe to share.
/// </summary>
public sealed class CosineRestartsSchedule : ILearningRateSchedule
{
    private readonly float _maximum, _minimum;
    private readonly int _cycle;

    /// <summary>A schedule restarting every <paramref name="cycleEpochs"/> epochs.</summary>
    public CosineRestartsSchedule(float maximum, int cycleEpochs, float minimum = 0f)
    {
        _maximum = maximum > 0f && float.IsFinite(maximum) ? maximum : throw new ArgumentOutOfRangeException(nameof(maximum), maximum, "The maximum rate must be positive and finite.");
        _minimum = minimum >= 0f && minimum <= maximum ? minimum : throw new ArgumentOutOfRangeException(nameof(minimum), minimum, "The minimum must be in [0, maximum].");
        _cycle = cycleEpochs >= 1 ? cycleEpochs : throw new ArgumentOutOfRangeException(nameof(cycleEpochs), cycleEpochs, "A cycle has at least one epoch.");
    }

    /// <summary>Epochs per cycle: a snapshot is taken at the end of each.</summary>
    public int CycleEpochs => _cycle;

    /// <inheritdoc/>
    public float LearningRateFor(int epoch, EpochResult? previous)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        double phase = (double)(epoch % _cycle) / _cycle;
        // The last epoch of a cycle must not reach 0 (a zero rate is refused): the minimum, or a small share of the maximum.
        float rate = (float)(_minimum + (_maximum - _minimum) * (1 + Math.Cos(Math.PI * phase)) / 2);
        return Math.Max(rate, _minimum > 0f ? _minimum : _maximum * 1e-6f);
    }
}

/// <summary>
/// Keeps copies of a network's parameters and state during training: at the end of every <c>everyEpochs</c>-th epoch
/// (the end of each cycle of a <see cref="CosineRestartsSchedule"/>), for a snapshot ensemble from one run, or for
/// averaging the snapshots' weights. Not thread-safe: one trainer's callback; read it after training.
/// </summary>
public sealed class SnapshotCollector(int everyEpochs) : ITrainingCallback
{
    private readonly int _every = everyEpochs >= 1 ? everyEpochs : throw new ArgumentOutOfRangeException(nameof(everyEpochs), everyEpochs, "Snapshots need a period of at least one epoch.");
    private readonly List<(float[] Parameters, float[] State)> _snapshots = [];

    /// <summary>Snapshots taken so far.</summary>
    public int Count => _snapshots.Count;

    /// <inheritdoc/>
    public void OnEpochEnd(TrainingContext context)
    {
        if (context.History[^1].Epoch % _every != 0) return;
        _snapshots.Add((context.Network.Parameters.ToArray(), context.Network.State.ToArray()));
    }

    /// <summary>An ensemble of one network per snapshot, each made by <paramref name="create"/> and given the snapshot.</summary>
    public Ensemble<TNetwork> ToEnsemble<TNetwork>(Func<TNetwork> create, EnsembleCombination combination = EnsembleCombination.Average)
        where TNetwork : INetwork
    {
        ArgumentNullException.ThrowIfNull(create);
        if (_snapshots.Count == 0) throw new InvalidOperationException("No snapshot was taken: train for at least one full period first.");
        var members = new List<TNetwork>();
        foreach (var (parameters, state) in _snapshots)
        {
            TNetwork net = create();
            Load(net, parameters, state);
            members.Add(net);
        }
        return new Ensemble<TNetwork>(members, combination);
    }

    /// <summary>
    /// Writes the mean of the snapshots' parameters (and running statistics) into <paramref name="target"/>: one
    /// network with averaged weights, as stochastic weight averaging does (which then recomputes BatchNorm statistics
    /// with a pass over the data; here they are averaged too).
    /// </summary>
    public void AverageInto(INetwork target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (_snapshots.Count == 0) throw new InvalidOperationException("No snapshot was taken: train for at least one full period first.");
        var parameters = new double[_snapshots[0].Parameters.Length];
        var state = new double[_snapshots[0].State.Length];
        foreach (var (p, s) in _snapshots)
        {
            for (int i = 0; i < p.Length; i++) parameters[i] += p[i];
            for (int i = 0; i < s.Length; i++) state[i] += s[i];
        }
        Load(target, parameters.Select(v => (float)(v / _snapshots.Count)).ToArray(), state.Select(v => (float)(v / _snapshots.Count)).ToArray());
    }

    private static void Load(INetwork net, float[] parameters, float[] state)
    {
        if (net.Parameters.Length != parameters.Length || net.State.Length != state.Length)
            throw new ArgumentException($"The network has {net.Parameters.Length} parameters and {net.State.Length} state values; the snapshots {parameters.Length} and {state.Length}.");
        using (net.BeginWrite())
        {
            parameters.CopyTo(net.Parameters);
            state.CopyTo(net.State);
        }
    }
}

/// <summary>
/// An exponential moving average of a network's parameters over training steps (Polyak averaging; PyTorch's
/// AveragedModel with an EMA): avg ← decay·avg + (1 − decay)·w after every step, starting from the first step's w. Set
/// it as <see cref="Trainer{TNetwork}.WeightAverage"/>; <see cref="CopyTo"/> puts the averaged weights into a network.
/// Running statistics are not averaged: they are the trained network's. Allocation-free per step; not thread-safe.
/// </summary>
public sealed class ExponentialMovingAverage(float decay = 0.999f)
{
    private float[] _average = [];

    /// <summary>The weight of the old average in each update, in [0, 1).</summary>
    public float Decay { get; } = decay >= 0f && decay < 1f ? decay : throw new ArgumentOutOfRangeException(nameof(decay), decay, "decay must be in [0, 1).");

    /// <summary>Updates taken in.</summary>
    public long Updates { get; private set; }

    /// <summary>Takes in the parameters after a step.</summary>
    public void Update(ReadOnlySpan<float> parameters)
    {
        if (Updates == 0 || _average.Length != parameters.Length)
        {
            if (Updates > 0) throw new ArgumentException($"The average holds {_average.Length} parameters; this update has {parameters.Length}.", nameof(parameters));
            _average = parameters.ToArray();
        }
        else
        {
            float keep = Decay, take = 1f - Decay;
            for (int i = 0; i < parameters.Length; i++) _average[i] = keep * _average[i] + take * parameters[i];
        }
        Updates++;
    }

    /// <summary>The averaged parameters.</summary>
    public ReadOnlySpan<float> Average => _average;

    /// <summary>Writes the averaged parameters into <paramref name="target"/> (the same class as the trained network), in a write scope.</summary>
    public void CopyTo(INetwork target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (Updates == 0) throw new InvalidOperationException("No step was averaged yet.");
        if (target.Parameters.Length != _average.Length)
            throw new ArgumentException($"The network has {target.Parameters.Length} parameters; the average {_average.Length}.", nameof(target));
        using (target.BeginWrite()) _average.CopyTo(target.Parameters);
    }
}
