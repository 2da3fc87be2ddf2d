namespace StaticNets;

/// <summary>
/// Updates a parameter block from its gradient block in place. Implementations size their state once,
/// on the first step, and allocate nothing per step.
/// </summary>
public interface IOptimizer
{
    /// <summary>The learning rate of the next step; schedules change it between epochs.</summary>
    float LearningRate { get; set; }

    /// <summary>
    /// One update of <paramref name="parameters"/> from <paramref name="gradients"/> (same length).
    /// <paramref name="layout"/> names the tensors (a network's ParameterTensors) so settings can differ by
    /// kind, e.g. no weight decay on biases and normalization parameters; empty treats every value as a weight.
    /// </summary>
    void Step(Span<float> parameters, ReadOnlySpan<float> gradients, ReadOnlySpan<ParameterTensor> layout = default);
}
