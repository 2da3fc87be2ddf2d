namespace StaticNets;

/// <summary>
/// What every optimizer shares: the learning rate, argument checks, state sized on the first step, the walk over the
/// parameter tensors so each update sees one tensor and whether it is a weight, and the guarantee that a step never
/// leaves a parameter NaN or infinite: the values before the step are kept, and a step whose result is not finite is
/// undone and reported. Not thread-safe: one optimizer per network, one step at a time.
/// </summary>
public abstract class Optimizer : IOptimizer
{
    private float _learningRate;
    private int _size = -1;
    private ArraySegment<float> _previous;
    private readonly Dictionary<string, float> _multipliers = new(StringComparer.Ordinal);
    private float[] _resolved = [];
    private bool _resolvedCurrent;
    // Steps each tensor has taken (a frozen tensor's count stands still), as PyTorch keeps a step count per parameter.
    private long[] _tensorSteps = [];

    /// <summary>Sets the learning rate (positive and finite).</summary>
    protected Optimizer(float learningRate) => LearningRate = learningRate;

    /// <inheritdoc/>
    public float LearningRate
    {
        get => _learningRate;
        set => _learningRate = float.IsFinite(value) && value > 0f
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "The learning rate must be positive and finite.");
    }

    /// <summary>Steps taken so far (t in the bias corrections).</summary>
    public long Steps { get; private set; }

    /// <summary>
    /// Scales the learning rate of one layer (<c>dense1</c>: all its tensors) or one tensor (<c>dense1.bias</c>); a tensor
    /// named both ways takes the tensor's setting. 0 freezes it: its values and this optimizer's state for it (moments)
    /// stay exactly as they are, while the layers around it train. 1 removes the setting. Names are checked against the
    /// network's tensors on the next step. Set between steps, not during one.
    /// </summary>
    public void SetLearningRateMultiplier(string layerOrTensor, float multiplier)
    {
        ArgumentException.ThrowIfNullOrEmpty(layerOrTensor);
        if (!(multiplier >= 0f && float.IsFinite(multiplier)))
            throw new ArgumentOutOfRangeException(nameof(multiplier), multiplier, "A learning-rate multiplier must be finite and at least 0 (0 freezes).");
        if (multiplier == 1f) _multipliers.Remove(layerOrTensor);
        else _multipliers[layerOrTensor] = multiplier;
        _resolvedCurrent = false;
    }

    /// <summary>Freezes layers or tensors by name (learning-rate multiplier 0): transfer learning's fixed feature extractor.</summary>
    public void Freeze(params string[] layersOrTensors)
    {
        ArgumentNullException.ThrowIfNull(layersOrTensors);
        foreach (string name in layersOrTensors) SetLearningRateMultiplier(name, 0f);
    }

    /// <summary>
    /// Freezes every layer of <paramref name="network"/> from its first through <paramref name="lastFrozenLayer"/>
    /// (everything below it in the stack), so that only the layers after it train.
    /// </summary>
    public void FreezeThrough(INetwork network, string lastFrozenLayer)
    {
        ArgumentNullException.ThrowIfNull(network);
        var layers = new List<string>();
        foreach (ParameterTensor t in network.ParameterTensors)
        {
            string layer = t.Layer;
            if (!layers.Contains(layer)) layers.Add(layer);
        }
        int last = layers.IndexOf(lastFrozenLayer);
        if (last < 0)
            throw new ArgumentException($"The network has no layer with parameters named '{lastFrozenLayer}'; it has {string.Join(", ", layers)}.", nameof(lastFrozenLayer));
        Freeze(layers.GetRange(0, last + 1).ToArray());
    }

    /// <summary>Removes every multiplier and unfreezes everything.</summary>
    public void ClearLearningRateMultipliers()
    {
        _multipliers.Clear();
        _resolvedCurrent = false;
    }

    /// <summary>The multiplier a tensor of this name gets (1 unless set).</summary>
    public float LearningRateMultiplier(string tensor)
    {
        ArgumentException.ThrowIfNullOrEmpty(tensor);
        return _multipliers.TryGetValue(tensor, out float m) ? m : _multipliers.TryGetValue(ParameterTensor.LayerOf(tensor), out m) ? m : 1f;
    }

    // Each tensor's multiplier in layout order, worked out again only after a setting changed; every setting must name
    // a layer or tensor of the network.
    private ReadOnlySpan<float> Multipliers(ReadOnlySpan<ParameterTensor> layout)
    {
        if (_resolvedCurrent && _resolved.Length == layout.Length) return _resolved;
        if (_multipliers.Count > 0 && layout.IsEmpty)
            throw new ArgumentException("Learning-rate multipliers need the network's tensor layout; this step was given none.", nameof(layout));
        var names = new HashSet<string>(StringComparer.Ordinal);
        _resolved = new float[layout.Length];
        for (int i = 0; i < layout.Length; i++)
        {
            _resolved[i] = LearningRateMultiplier(layout[i].Name);
            names.Add(layout[i].Name);
            names.Add(layout[i].Layer);
        }
        foreach (string name in _multipliers.Keys)
            if (!names.Contains(name))
                throw new ArgumentException($"A learning-rate multiplier names '{name}', which is no layer or tensor of this network.", nameof(layout));
        _resolvedCurrent = true;
        return _resolved;
    }

    /// <summary>
    /// One update. If it would leave any parameter NaN or infinite (a learning rate so large that a step overflows, a
    /// NaN gradient), the parameters are put back exactly as they were and <see cref="InvalidOperationException"/>
    /// names the first such parameter; the optimizer's own state (moments, step count) keeps the failed step.
    /// </summary>
    /// <inheritdoc/>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients, ReadOnlySpan<ParameterTensor> layout)
    {
        BeginStep(parameters, gradients, layout);
        if (UpdateRange(parameters, gradients, layout, 0, parameters.Length))
            return;
        string where = WeightsFile.FirstNonFinite(parameters, layout) ?? "a parameter NaN or infinite";
        Undo(parameters);
        throw new InvalidOperationException(
            $"This step would have set {where}; the parameters keep their values from before it. Lower the learning rate, clip gradients, or check the gradients for NaN.");
    }

    /// <inheritdoc/>
    public void Step(ITrainableNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        using (network.BeginWrite())
            Step(network.Parameters, network.Gradients, network.ParameterTensors);
    }

    /// <summary>
    /// Whether <see cref="Update"/> treats each value on its own (given its offset), so a step may be split into
    /// ranges updated on different threads with the same result. False unless a subclass says so.
    /// </summary>
    protected internal virtual bool UpdatesElementwise => false;

    /// <summary>The checks and the step count of one step; the values are then updated by <see cref="UpdateRange"/>.</summary>
    internal void BeginStep(Span<float> parameters, ReadOnlySpan<float> gradients, ReadOnlySpan<ParameterTensor> layout)
    {
        if (parameters.Length != gradients.Length)
            throw new ArgumentException($"gradients has {gradients.Length} values; parameters has {parameters.Length}.", nameof(gradients));
        if (_size < 0)
        {
            Allocate(parameters.Length);
            _previous = AlignedArrays.Allocate(parameters.Length);
            _size = parameters.Length;
        }
        else if (_size != parameters.Length)
            throw new ArgumentException($"This optimizer holds state for {_size} parameters and was given {parameters.Length}; use one optimizer per network.", nameof(parameters));

        foreach (ParameterTensor t in layout)
            if (t.Offset < 0 || t.Offset + t.Length > parameters.Length)
                throw new ArgumentException($"Tensor {t.Name} [{t.Offset}, {t.Offset + t.Length}) lies outside the {parameters.Length} parameters.", nameof(layout));
        ReadOnlySpan<float> multipliers = Multipliers(layout);
        if (_tensorSteps.Length != layout.Length) _tensorSteps = new long[layout.Length];
        for (int i = 0; i < layout.Length; i++)
            if (multipliers[i] != 0f) _tensorSteps[i]++;
        Steps++;
    }

    /// <summary>
    /// Updates the values in [start, end) of the step begun by <see cref="BeginStep"/>, tensor by tensor, keeping the
    /// values they had; returns whether every new value is finite (if not, <see cref="Undo"/> puts the step back).
    /// </summary>
    internal bool UpdateRange(Span<float> parameters, ReadOnlySpan<float> gradients, ReadOnlySpan<ParameterTensor> layout, int start, int end)
    {
        if (layout.IsEmpty)
            return UpdateAndKeep(parameters[start..end], gradients[start..end], PreviousValues(start, end - start), start, isWeight: true, LearningRate, Steps);
        ReadOnlySpan<float> multipliers = _resolved; // resolved by BeginStep
        bool finite = true;
        for (int i = 0; i < layout.Length; i++)
        {
            ParameterTensor t = layout[i];
            int from = Math.Max(start, t.Offset), to = Math.Min(end, t.Offset + t.Length);
            if (from >= to) continue;
            if (multipliers[i] == 0f)
                parameters[from..to].CopyTo(PreviousValues(from, to - from)); // frozen: untouched, and Undo puts back the same bits
            else
                finite &= UpdateAndKeep(parameters[from..to], gradients[from..to], PreviousValues(from, to - from), from, t.Kind == ParameterKind.Weight,
                    LearningRate * multipliers[i], _tensorSteps[i]);
        }
        return finite;
    }

    /// <summary>Puts back the values the parameters had before the current step.</summary>
    internal void Undo(Span<float> parameters) => _previous.AsSpan(0, parameters.Length).CopyTo(parameters);

    /// <summary>Where the values at <paramref name="offset"/> are kept while a step updates them.</summary>
    private protected Span<float> PreviousValues(int offset, int length) => _previous.AsSpan(offset, length);

    /// <summary>
    /// Updates one tensor at <paramref name="learningRate"/> (the learning rate times the tensor's multiplier) as its
    /// <paramref name="step"/>-th step (its own count: a frozen tensor's stands still), keeping
    /// its old values in <paramref name="previous"/>; returns whether every new value is finite. The optimizers of this
    /// library do all of it in their update loop; others keep and check around <see cref="Update"/>.
    /// </summary>
    private protected virtual bool UpdateAndKeep(Span<float> w, ReadOnlySpan<float> g, Span<float> previous, int offset, bool isWeight, float learningRate, long step)
    {
        if (learningRate != LearningRate)
            throw new NotSupportedException($"{GetType().Name} updates with its LearningRate only: it cannot scale one layer's rate (freezing, with a multiplier of 0, works).");
        w.CopyTo(previous);
        Update(w, g, offset, isWeight);
        return Guard.AllFinite(w);
    }

    /// <summary>Creates per-parameter state for <paramref name="count"/> values (called once).</summary>
    protected virtual void Allocate(int count) { }

    /// <summary>
    /// Updates one tensor: <paramref name="offset"/> locates its state; <paramref name="isWeight"/> is false
    /// for biases, normalization parameters and slopes, which get no weight decay.
    /// </summary>
    protected abstract void Update(Span<float> w, ReadOnlySpan<float> g, int offset, bool isWeight);

    /// <summary>Throws unless <paramref name="value"/> is in [min, max).</summary>
    protected static float InRange(float value, float min, float max, string name) =>
        value >= min && value < max ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [{min}, {max}).");
}
