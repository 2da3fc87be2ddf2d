namespace StaticNets.Tuning;

/// <summary>How a hyperparameter's values are drawn.</summary>
public enum Scale
{
    /// <summary>Uniform between the bounds.</summary>
    Linear,
    /// <summary>Uniform in the logarithm: as likely in [0.001, 0.01] as in [0.01, 0.1] (learning rates, weight decay).</summary>
    Log,
    /// <summary>Whole numbers between the bounds, both included.</summary>
    Integer,
    /// <summary>One of a list of values.</summary>
    Choice,
}

/// <summary>One hyperparameter: its name, scale and range (or choices).</summary>
public sealed record Hyperparameter
{
    private Hyperparameter(string name, Scale scale, double low, double high, double[] choices)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Scale = scale;
        Low = low;
        High = high;
        Choices = choices;
    }

    /// <summary>Its name, as the objective reads it.</summary>
    public string Name { get; }

    /// <summary>How values are drawn.</summary>
    public Scale Scale { get; }

    /// <summary>The lower bound (the smallest choice for <see cref="Scale.Choice"/>).</summary>
    public double Low { get; }

    /// <summary>The upper bound (the largest choice for <see cref="Scale.Choice"/>).</summary>
    public double High { get; }

    /// <summary>The values of a <see cref="Scale.Choice"/>; empty otherwise.</summary>
    public IReadOnlyList<double> Choices { get; }

    /// <summary>Uniform in [low, high].</summary>
    public static Hyperparameter Uniform(string name, double low, double high) => new(name, Scale.Linear, Check(low, high, name, false), high, []);

    /// <summary>Log-uniform in [low, high], low &gt; 0.</summary>
    public static Hyperparameter LogUniform(string name, double low, double high) => new(name, Scale.Log, Check(low, high, name, true), high, []);

    /// <summary>A whole number in [low, high].</summary>
    public static Hyperparameter Integer(string name, int low, int high) => new(name, Scale.Integer, Check(low, high, name, false), high, []);

    /// <summary>One of <paramref name="values"/> (at least one, finite, no repeats).</summary>
    public static Hyperparameter Choice(string name, params double[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length == 0) throw new ArgumentException($"{name}: a choice needs at least one value.", nameof(values));
        if (values.Any(v => !double.IsFinite(v))) throw new ArgumentException($"{name}: choices must be finite numbers.", nameof(values));
        if (values.Distinct().Count() != values.Length) throw new ArgumentException($"{name}: a choice lists a value twice.", nameof(values));
        return new Hyperparameter(name, Scale.Choice, values.Min(), values.Max(), values.ToArray());
    }

    /// <summary>A value drawn at <paramref name="u"/> ∈ [0, 1) (a uniform draw).</summary>
    internal double At(double u) => Scale switch
    {
        Scale.Linear => Low + u * (High - Low),
        Scale.Log => Math.Exp(Math.Log(Low) + u * (Math.Log(High) - Math.Log(Low))),
        Scale.Integer => Math.Min(High, Math.Floor(Low + u * (High - Low + 1))),
        _ => Choices[Math.Min(Choices.Count - 1, (int)(u * Choices.Count))],
    };

    private static double Check(double low, double high, string name, bool positive)
    {
        if (!double.IsFinite(low) || !double.IsFinite(high) || low > high)
            throw new ArgumentException($"{name}: the range [{low}, {high}] must be finite with low ≤ high.");
        if (positive && low <= 0) throw new ArgumentException($"{name}: a log scale needs low > 0 (got {low}).");
        return low;
    }
}

/// <summary>The hyperparameters of a search, in order; names are unique. Immutable, as are its hyperparameters.</summary>
public sealed class SearchSpace
{
    /// <summary>A space of <paramref name="parameters"/>.</summary>
    public SearchSpace(params Hyperparameter[] parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Length == 0) throw new ArgumentException("A search space needs at least one hyperparameter.", nameof(parameters));
        var duplicate = parameters.GroupBy(p => p.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"The hyperparameter '{duplicate.Key}' appears twice.", nameof(parameters));
        Parameters = parameters.ToArray();
    }

    /// <summary>The hyperparameters.</summary>
    public IReadOnlyList<Hyperparameter> Parameters { get; }

    /// <summary>The hyperparameter called <paramref name="name"/>.</summary>
    public Hyperparameter this[string name] => Parameters.FirstOrDefault(p => p.Name == name)
        ?? throw new KeyNotFoundException($"The search space has no hyperparameter '{name}'; it has {string.Join(", ", Parameters.Select(p => p.Name))}.");
}
