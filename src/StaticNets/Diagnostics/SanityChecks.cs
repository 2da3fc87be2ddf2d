namespace StaticNets;

/// <summary>The outcome of a <see cref="SanityChecks"/> check.</summary>
/// <param name="Check">Which check.</param>
/// <param name="Passed">Whether the network behaved as a sound one does.</param>
/// <param name="Value">What was measured (a loss).</param>
/// <param name="Expected">What a sound network gives.</param>
/// <param name="Message">The result in words, with what to look at when it failed.</param>
public sealed record SanityCheckResult(string Check, bool Passed, double Value, double Expected, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => Message;
}

/// <summary>
/// The lectures' checks before a long training run: a freshly initialized classifier's loss is about ln(classes), and a
/// network can drive the loss of a tiny batch to nearly zero. A failure points at the loss, the initialization, the
/// data or the gradients before hours are spent.
/// </summary>
public static class SanityChecks
{
    /// <summary>
    /// The mean loss (inference mode) of <paramref name="network"/> on the first <paramref name="samples"/> samples,
    /// against what random predictions give: ln(classes) for softmax cross-entropy, ln 2 per output for sigmoid
    /// cross-entropy. Passes within <paramref name="tolerance"/> (relative; the default 1 allows up to twice that: Xavier
    /// or He initialization of the last layer spreads the logits enough to add a few tenths to the loss, while unscaled
    /// inputs or a wrongly scaled layer add many times ln(classes)). Run it on an untrained network.
    /// </summary>
    public static SanityCheckResult InitialLoss(ITrainableNetwork network, Dataset data, int samples = 512, double tolerance = 1.0)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        if (data.FeatureCount != network.InputSize)
            throw new ArgumentException($"data has {data.FeatureCount} features per sample; the network takes {network.InputSize}.", nameof(data));
        double expected = network.Loss switch
        {
            Loss.SoftmaxCrossEntropy => Math.Log(network.OutputSize),
            Loss.SigmoidBinaryCrossEntropy => Math.Log(2),
            _ => throw new NotSupportedException($"{network.Loss} has no loss that random predictions are known to give; the check is for classifiers."),
        };
        int n = Math.Min(samples, data.Count), chunk = network.MaxBatchSize;
        double sum = 0;
        for (int start = 0; start < n; start += chunk)
        {
            int m = Math.Min(chunk, n - start);
            ReadOnlySpan<float> x = data.Features.AsSpan(start * data.FeatureCount, m * data.FeatureCount);
            float loss = network.Loss == Loss.SoftmaxCrossEntropy
                ? network.ComputeLoss(x, data.Labels.AsSpan(start, m), m)
                : network.ComputeLoss(x, data.Targets.AsSpan(start * network.OutputSize, m * network.OutputSize), m);
            sum += (double)loss * m;
        }
        double mean = sum / n;
        bool passed = Math.Abs(mean - expected) <= tolerance * expected;
        string message = passed
            ? $"initial loss {mean:F4}, as random predictions give ({expected:F4})"
            : $"initial loss {mean:F4}, but random predictions give {expected:F4}: check the loss, the last layer's initialization and the input scaling";
        return new SanityCheckResult("initial loss", passed, mean, expected, message);
    }

    /// <summary>
    /// Trains <paramref name="network"/> (use a fresh one: it is changed) on its first <paramref name="samples"/> samples
    /// alone for <paramref name="steps"/> steps and passes when the training-mode loss falls under
    /// <paramref name="target"/>: a network that cannot memorize 20 samples has a bug or too little capacity.
    /// </summary>
    public static SanityCheckResult OverfitTinyBatch(ITrainableNetwork network, IOptimizer optimizer, Dataset data, int samples = 20, int steps = 300,
        double target = 0.05)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        int n = Math.Min(samples, data.Count);
        if (n < network.MinBatchSize || n > network.MaxBatchSize)
            throw new ArgumentOutOfRangeException(nameof(samples), samples, $"The tiny batch must have {network.MinBatchSize} to {network.MaxBatchSize} samples (and the data that many).");
        if (data.FeatureCount != network.InputSize)
            throw new ArgumentException($"data has {data.FeatureCount} features per sample; the network takes {network.InputSize}.", nameof(data));
        ReadOnlySpan<float> x = data.Features.AsSpan(0, n * data.FeatureCount);
        float loss = float.NaN;
        for (int step = 0; step < steps; step++)
        {
            loss = network.Loss == Loss.SoftmaxCrossEntropy
                ? network.ComputeGradients(x, data.Labels.AsSpan(0, n), n)
                : network.ComputeGradients(x, data.Targets.AsSpan(0, n * network.OutputSize), n);
            if (!float.IsFinite(loss)) break;
            optimizer.Step(network);
        }
        bool passed = loss < target;
        string message = passed
            ? $"a batch of {n} memorized: loss {loss:G4} after {steps} steps"
            : $"a batch of {n} not memorized: loss {loss:G4} after {steps} steps (target {target}): check the gradients (GradientCheck), the learning rate and the labels";
        return new SanityCheckResult("overfit a tiny batch", passed, loss, 0, message);
    }
}
