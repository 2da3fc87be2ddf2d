namespace StaticNets;

/// <summary>Small generated data sets for learning and testing, reproducible from a seed.</summary>
public static class SyntheticData
{
    /// <summary>
    /// Interleaved spiral arms in the plane, one class per arm (the CS231n spiral; with two arms the
    /// classic two-spiral problem): no linear model separates them. Radii run from 0 to 1 along each
    /// arm over <paramref name="turns"/> revolutions; the angle gets Gaussian noise of std
    /// <paramref name="noise"/> radians.
    /// </summary>
    public static Dataset Spirals(int classes, int pointsPerClass, double turns = 0.75, double noise = 0.2, int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(pointsPerClass, 2);
        if (!(turns > 0) || double.IsInfinity(turns)) throw new ArgumentOutOfRangeException(nameof(turns), turns, "turns must be positive.");
        if (!(noise >= 0) || double.IsInfinity(noise)) throw new ArgumentOutOfRangeException(nameof(noise), noise, "noise must be non-negative.");
        var rng = new Rng(unchecked((ulong)seed));
        var features = new float[classes * pointsPerClass * 2];
        var labels = new int[classes * pointsPerClass];
        for (int c = 0; c < classes; c++)
        {
            for (int i = 0; i < pointsPerClass; i++)
            {
                int index = c * pointsPerClass + i;
                double fraction = (double)i / (pointsPerClass - 1);
                double angle = 2 * Math.PI * (turns * fraction + (double)c / classes) + noise * rng.NextNormal();
                features[2 * index] = (float)(fraction * Math.Sin(angle));
                features[2 * index + 1] = (float)(fraction * Math.Cos(angle));
                labels[index] = c;
            }
        }
        return Dataset.Classification(features, 2, labels);
    }
}
