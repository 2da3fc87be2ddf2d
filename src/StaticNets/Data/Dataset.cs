namespace StaticNets;

/// <summary>
/// Samples stored row after row: <see cref="Features"/> holds Count × FeatureCount floats and either
/// integer class labels or float targets (TargetCount per sample). Checked once at construction:
/// lengths agree, features and targets are finite.
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
}
