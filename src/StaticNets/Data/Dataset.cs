namespace StaticNets;

/// <summary>
/// Samples stored row after row: <see cref="Features"/> holds Count × FeatureCount floats and either
/// integer class labels or float targets (TargetCount per sample). Checked once at construction:
/// lengths agree, features and targets are finite, labels are not negative (the trainer checks them against the
/// network's outputs before it trains). Not changed after construction (do not write into the arrays it exposes),
/// so it may be read from many threads.
/// </summary>
public sealed class Dataset
{
    private Dataset(float[] features, int featureCount, int[]? labels, float[]? targets, int targetCount)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureCount);
        if (features.Length % featureCount != 0)
            throw new ArgumentException($"features has {features.Length} values, not a multiple of featureCount {featureCount}.", nameof(features));
        int count = features.Length / featureCount;
        if (labels is not null && labels.Length != count)
            throw new ArgumentException($"labels has {labels.Length} values; features holds {count} samples of {featureCount}.", nameof(labels));
        if (labels is not null && labels.AsSpan().IndexOfAnyExceptInRange(0, int.MaxValue) is int negative and >= 0)
            throw new ArgumentOutOfRangeException(nameof(labels), $"labels[{negative}] is {labels[negative]}; class labels are 0, 1, 2, ...");
        if (targets is not null && targets.Length != count * targetCount)
            throw new ArgumentException($"targets has {targets.Length} values; expected {count} samples × {targetCount} = {count * targetCount}.", nameof(targets));
        Guard.Finite(features, nameof(features));
        if (targets is not null) Guard.Finite(targets, nameof(targets));
        Features = features;
        FeatureCount = featureCount;
        Labels = labels;
        Targets = targets;
        TargetCount = targetCount;
        Count = count;
    }

    /// <summary>A classification set: one integer label per sample.</summary>
    public static Dataset Classification(float[] features, int featureCount, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return new Dataset(features, featureCount, labels, null, 1);
    }

    /// <summary>A set with <paramref name="targetCount"/> float targets per sample (regression, binary labels).</summary>
    public static Dataset Regression(float[] features, int featureCount, float[] targets, int targetCount = 1)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetCount);
        return new Dataset(features, featureCount, null, targets, targetCount);
    }

    /// <summary>Samples.</summary>
    public int Count { get; }

    /// <summary>Features per sample.</summary>
    public int FeatureCount { get; }

    /// <summary>Targets per sample (1 for labels).</summary>
    public int TargetCount { get; }

    /// <summary>Count × FeatureCount values.</summary>
    public float[] Features { get; }

    /// <summary>Class labels, or null for a set with float targets.</summary>
    public int[]? Labels { get; }

    /// <summary>Float targets, or null for a set with labels.</summary>
    public float[]? Targets { get; }

    /// <summary>Features of sample <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> FeaturesOf(int index) => Features.AsSpan(index * FeatureCount, FeatureCount);

    /// <summary>The same samples with other features (same count per sample).</summary>
    public Dataset WithFeatures(float[] features) => new(features, FeatureCount, Labels, Targets, TargetCount);

    /// <summary>The samples at <paramref name="indices"/>, in that order.</summary>
    public Dataset Subset(ReadOnlySpan<int> indices)
    {
        var features = new float[indices.Length * FeatureCount];
        int[]? labels = Labels is null ? null : new int[indices.Length];
        float[]? targets = Targets is null ? null : new float[indices.Length * TargetCount];
        for (int k = 0; k < indices.Length; k++)
        {
            int i = indices[k];
            if ((uint)i >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), i, $"Sample index {i} is outside the {Count} samples.");
            FeaturesOf(i).CopyTo(features.AsSpan(k * FeatureCount, FeatureCount));
            if (labels is not null) labels[k] = Labels![i];
            if (targets is not null) Targets.AsSpan(i * TargetCount, TargetCount).CopyTo(targets.AsSpan(k * TargetCount, TargetCount));
        }
        return new Dataset(features, FeatureCount, labels, targets, TargetCount);
    }

    /// <summary>Shuffles (seeded) and splits in two: the first gets <paramref name="firstFraction"/> of the samples.</summary>
    public (Dataset First, Dataset Second) Split(double firstFraction, int seed = 0)
    {
        if (!(firstFraction > 0 && firstFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(firstFraction), firstFraction, "The fraction must be between 0 and 1.");
        int[] order = ShuffledOrder(seed);
        int firstCount = (int)Math.Round(Count * firstFraction);
        return (Subset(order.AsSpan(0, firstCount)), Subset(order.AsSpan(firstCount)));
    }

    /// <summary>
    /// Shuffles (seeded) and splits into training, validation and test sets: e.g. Split(0.6, 0.2) gives
    /// 60/20/20. The test set gets what the two fractions leave.
    /// </summary>
    public (Dataset Train, Dataset Validation, Dataset Test) Split(double trainFraction, double validationFraction, int seed = 0)
    {
        if (!(trainFraction > 0 && validationFraction >= 0 && trainFraction + validationFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(trainFraction), $"Fractions {trainFraction} and {validationFraction} must be positive (validation may be 0) and sum to at most 1.");
        int[] order = ShuffledOrder(seed);
        int trainCount = (int)Math.Round(Count * trainFraction), validationCount = (int)Math.Round(Count * validationFraction);
        validationCount = Math.Min(validationCount, Count - trainCount);
        return (Subset(order.AsSpan(0, trainCount)), Subset(order.AsSpan(trainCount, validationCount)),
            Subset(order.AsSpan(trainCount + validationCount)));
    }

    private int[] ShuffledOrder(int seed)
    {
        int[] order = Enumerable.Range(0, Count).ToArray();
        new Rng(unchecked((ulong)seed)).Shuffle(order.AsSpan());
        return order;
    }
}
