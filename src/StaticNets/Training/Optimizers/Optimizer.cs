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
        Steps++;
    }

    /// <summary>
    /// Updates the values in [start, end) of the step begun by <see cref="BeginStep"/>, tensor by tensor, keeping the
    /// values they had; returns whether every new value is finite (if not, <see cref="Undo"/> puts the step back).
    /// </summary>
    internal bool UpdateRange(Span<float> parameters, ReadOnlySpan<float> gradients, ReadOnlySpan<ParameterTensor> layout, int start, int end)
    {
        if (layout.IsEmpty)
            return UpdateAndKeep(parameters[start..end], gradients[start..end], PreviousValues(start, end - start), start, isWeight: true);
        bool finite = true;
        foreach (ParameterTensor t in layout)
        {
            int from = Math.Max(start, t.Offset), to = Math.Min(end, t.Offset + t.Length);
            if (from < to)
                finite &= UpdateAndKeep(parameters[from..to], gradients[from..to], PreviousValues(from, to - from), from, t.Kind == ParameterKind.Weight);
        }
        return finite;
    }

    /// <summary>Puts back the values the parameters had before the current step.</summary>
    internal void Undo(Span<float> parameters) => _previous.AsSpan(0, parameters.Length).CopyTo(parameters);

    /// <summary>Where the values at <paramref name="offset"/> are kept while a step updates them.</summary>
    private protected Span<float> PreviousValues(int offset, int length) => _previous.AsSpan(offset, length);

    /// <summary>
    /// Updates one tensor, keeping its old values in <paramref name="previous"/>; returns whether every new value is
    /// finite. The optimizers of this library do all of it in their update loop; others keep and check around
    /// <see cref="Update"/>.
    /// </summary>
    private protected virtual bool UpdateAndKeep(Span<float> w, ReadOnlySpan<float> g, Span<float> previous, int offset, bool isWeight)
    {
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
