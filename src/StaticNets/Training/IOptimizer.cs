namespace StaticNets;

/// <summary>
/// Updates a parameter block from its gradient block in place. Implementations size their state once,
/// on the first step, and allocate nothing per step. Not thread-safe: one optimizer per network.
/// </summary>
public interface IOptimizer
{
    /// <summary>The learning rate of the next step; schedules change it between epochs.</summary>
    float LearningRate { get; set; }

    /// <summary>
    /// One update of <paramref name="parameters"/> from <paramref name="gradients"/> (same length).
    /// <paramref name="layout"/> names the tensors (a network's ParameterTensors) so settings can differ by
    /// kind: weight decay applies to weights only, never to biases, normalization parameters or slopes. An empty
    /// layout treats every value as a weight. <see cref="Step(ITrainableNetwork)"/> passes a network's layout for you.
    /// </summary>
    void Step(Span<float> parameters, ReadOnlySpan<float> gradients, ReadOnlySpan<ParameterTensor> layout);

    /// <summary>
    /// One update of <paramref name="network"/>'s parameters from its last <c>ComputeGradients</c>, with its tensor
    /// layout, inside a write scope (predictions on other threads see the whole step or none of it).
    /// </summary>
    void Step(ITrainableNetwork network);
}
