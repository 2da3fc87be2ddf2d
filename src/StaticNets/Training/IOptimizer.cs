namespace StaticNets;

/// <summary>
/// Updates a network's parameter block from its gradient block in place. Implementations size their
/// state once (on the first step, for the block they are given) and allocate nothing per step.
/// </summary>
public interface IOptimizer
{
    /// <summary>The learning rate of the next step; schedules change it between steps.</summary>
    float LearningRate { get; set; }

    /// <summary>One update of <paramref name="parameters"/> from <paramref name="gradients"/> (same length).</summary>
    void Step(Span<float> parameters, ReadOnlySpan<float> gradients);
}
