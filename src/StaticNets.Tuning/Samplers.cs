namespace StaticNets.Tuning;

/// <summary>
/// Chooses the hyperparameters of trial number n. A sampler is a pure function of the trial number, so a resumed study
/// or another worker process gives every trial the same values. The samplers here are immutable: safe from many threads.
/// </summary>
public interface ISampler
{
    /// <summary>The trials this sampler has (a grid's size), or null for no limit.</summary>
    int? Count { get; }

    /// <summary>The values of trial <paramref name="number"/> (from 0), by name.</summary>
    IReadOnlyDictionary<string, double> Sample(int number);
}

/// <summary>Random search: each trial's values drawn independently from the space, seeded by the trial number.</summary>
public sealed class RandomSampler(SearchSpace space, int seed = 0) : ISampler
{
    private readonly SearchSpace _space = space ?? throw new ArgumentNullException(nameof(space));

    /// <inheritdoc/>
    public int? Count => null;

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> Sample(int number)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(number);
        var rng = new Rng(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)number * 0xD1B54A32D192ED03UL ^ 0x5A17));
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (Hyperparameter p in _space.Parameters) values[p.Name] = p.At(rng.NextDouble());
        return values;
    }
}

/// <summary>Grid search: every combination of the given values, the last hyperparameter varying fastest.</summary>
public sealed class GridSampler : ISampler
{
    private readonly (string Name, double[] Values)[] _axes;

    /// <summary>A grid over <paramref name="axes"/> (name → values, in order; at least one value each).</summary>
    public GridSampler(params (string Name, double[] Values)[] axes)
    {
        ArgumentNullException.ThrowIfNull(axes);
        if (axes.Length == 0) throw new ArgumentException("A grid needs at least one axis.", nameof(axes));
        foreach (var (name, values) in axes)
            if (values is null || values.Length == 0) throw new ArgumentException($"The grid axis '{name}' has no values.", nameof(axes));
        if (axes.Select(a => a.Name).Distinct().Count() != axes.Length) throw new ArgumentException("A grid axis appears twice.", nameof(axes));
        _axes = axes.Select(a => (a.Name, a.Values.ToArray())).ToArray();
        long count = _axes.Aggregate(1L, (n, a) => n * a.Values.Length);
        Count = count <= int.MaxValue ? (int)count : throw new ArgumentException("The grid has more than int.MaxValue points.", nameof(axes));
    }

    /// <inheritdoc/>
    public int? Count { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> Sample(int number)
    {
        if (number < 0 || number >= Count) throw new ArgumentOutOfRangeException(nameof(number), number, $"The grid has {Count} points.");
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int a = _axes.Length - 1; a >= 0; a--)
        {
            values[_axes[a].Name] = _axes[a].Values[number % _axes[a].Values.Length];
            number /= _axes[a].Values.Length;
        }
        return values;
    }
}

/// <summary>Coarse-to-fine search: the next, narrower space around the best trial of a coarse one.</summary>
public static class CoarseToFine
{
    /// <summary>
    /// A space around <paramref name="best"/>: each range (in the logarithm for log scales) re-centred on the best value
    /// and shrunk by <paramref name="shrink"/>; but where the best lies on the boundary (within <paramref name="edge"/> of
    /// the range from either end) the window moves instead, keeping its width, centred on the best, so the search
    /// follows it past the old limit. Choices are kept as they are; integer ranges are rounded outward.
    /// </summary>
    public static SearchSpace Refine(SearchSpace space, IReadOnlyDictionary<string, double> best, double shrink = 0.5, double edge = 0.1)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(best);
        if (!(shrink > 0 && shrink < 1)) throw new ArgumentOutOfRangeException(nameof(shrink), shrink, "shrink must be in (0, 1).");
        if (!(edge >= 0 && edge < 0.5)) throw new ArgumentOutOfRangeException(nameof(edge), edge, "edge must be in [0, 0.5).");
        var refined = new List<Hyperparameter>();
        foreach (Hyperparameter p in space.Parameters)
        {
            if (p.Scale == Scale.Choice)
            {
                refined.Add(p);
                continue;
            }
            if (!best.TryGetValue(p.Name, out double b)) throw new ArgumentException($"The best trial has no value for '{p.Name}'.", nameof(best));
            bool log = p.Scale == Scale.Log;
            double lo = log ? Math.Log(p.Low) : p.Low, hi = log ? Math.Log(p.High) : p.High, at = log ? Math.Log(b) : b, width = hi - lo;
            bool onBoundary = at <= lo + edge * width || at >= hi - edge * width;
            double half = (onBoundary ? width : width * shrink) / 2;
            double newLo = at - half, newHi = at + half;
            refined.Add(p.Scale switch
            {
                Scale.Log => Hyperparameter.LogUniform(p.Name, Math.Exp(newLo), Math.Exp(newHi)),
                Scale.Integer => Hyperparameter.Integer(p.Name, (int)Math.Floor(newLo), (int)Math.Ceiling(newHi)),
                _ => Hyperparameter.Uniform(p.Name, newLo, newHi),
            });
        }
        return new SearchSpace(refined.ToArray());
    }
}
