namespace StaticNets;

/// <summary>
/// What every optimizer shares: the learning rate, argument checks, state sized on the first step,
/// and the walk over the parameter tensors so each update sees one tensor and whether it is a weight.
/// </summary>
public abstract class Optimizer : IOptimizer
{
    private float _learningRate;
    private int _size = -1;

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

    /// <inheritdoc/>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients, ReadOnlySpan<ParameterTensor> layout = default)
    {
        BeginStep(parameters, gradients, layout);
        UpdateRange(parameters, gradients, layout, 0, parameters.Length);
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
            _size = parameters.Length;
        }
        else if (_size != parameters.Length)
            throw new ArgumentException($"This optimizer holds state for {_size} parameters and was given {parameters.Length}; use one optimizer per network.", nameof(parameters));

        foreach (ParameterTensor t in layout)
            if (t.Offset < 0 || t.Offset + t.Length > parameters.Length)
                throw new ArgumentException($"Tensor {t.Name} [{t.Offset}, {t.Offset + t.Length}) lies outside the {parameters.Length} parameters.", nameof(layout));
        Steps++;
    }

    /// <summary>Updates the values in [start, end) of the step begun by <see cref="BeginStep"/>, tensor by tensor.</summary>
    internal void UpdateRange(Span<float> parameters, ReadOnlySpan<float> gradients, ReadOnlySpan<ParameterTensor> layout, int start, int end)
    {
        if (layout.IsEmpty)
        {
            Update(parameters[start..end], gradients[start..end], start, isWeight: true);
            return;
        }
        foreach (ParameterTensor t in layout)
        {
            int from = Math.Max(start, t.Offset), to = Math.Min(end, t.Offset + t.Length);
            if (from < to)
                Update(parameters[from..to], gradients[from..to], from, t.Kind == ParameterKind.Weight);
        }
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
