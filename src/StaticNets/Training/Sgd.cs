using System.Numerics.Tensors;

namespace StaticNets;

/// <summary>Plain stochastic gradient descent: w ← w − lr·g.</summary>
public sealed class Sgd : IOptimizer
{
    private float _learningRate;

    /// <summary>SGD with the given learning rate (positive and finite).</summary>
    public Sgd(float learningRate = 0.01f) => LearningRate = learningRate;

    /// <inheritdoc/>
    public float LearningRate
    {
        get => _learningRate;
        set => _learningRate = float.IsFinite(value) && value > 0f
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "The learning rate must be positive and finite.");
    }

    /// <inheritdoc/>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        if (parameters.Length != gradients.Length)
            throw new ArgumentException($"gradients has {gradients.Length} values; parameters has {parameters.Length}.", nameof(gradients));
        // w + (−lr)·g in one vectorized pass.
        TensorPrimitives.MultiplyAdd(gradients, -_learningRate, parameters, parameters);
    }
}
