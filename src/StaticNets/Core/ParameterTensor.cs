namespace StaticNets;

/// <summary>What a parameter tensor is for; optimizers use it (e.g. no weight decay on biases).</summary>
public enum ParameterKind
{
    /// <summary>A weight matrix or convolution kernel.</summary>
    Weight,
    /// <summary>A bias vector.</summary>
    Bias,
    /// <summary>A normalization layer's scale γ.</summary>
    NormScale,
    /// <summary>A normalization layer's shift β.</summary>
    NormShift,
    /// <summary>A learnable activation slope (PReLU's α).</summary>
    Slope,
    /// <summary>A running statistic in <see cref="INetwork.State"/> (not learned by gradient).</summary>
    RunningStatistic,
}

/// <summary>
/// The dimensions of a parameter tensor, outermost first, as PyTorch gives them: [out, in] for a dense weight,
/// [out, in, kh, kw] for a convolution kernel, [n] for a vector. Up to four dimensions; compares by value.
/// </summary>
public readonly struct ParameterShape : IEquatable<ParameterShape>
{
    private readonly int _d0, _d1, _d2, _d3;

    /// <summary>A shape of one to four dimensions, each at least 1.</summary>
    public ParameterShape(params ReadOnlySpan<int> dimensions)
    {
        if (dimensions.Length is < 1 or > 4)
            throw new ArgumentException($"A parameter tensor has 1 to 4 dimensions; got {dimensions.Length}.", nameof(dimensions));
        long length = 1;
        foreach (int d in dimensions)
        {
            if (d < 1) throw new ArgumentOutOfRangeException(nameof(dimensions), d, "Every dimension must be at least 1.");
            length *= d;
        }
        if (length > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(dimensions), length, "The tensor is too large for one array.");
        Rank = dimensions.Length;
        _d0 = dimensions[0];
        _d1 = Rank > 1 ? dimensions[1] : 0;
        _d2 = Rank > 2 ? dimensions[2] : 0;
        _d3 = Rank > 3 ? dimensions[3] : 0;
    }

    /// <summary>Number of dimensions.</summary>
    public int Rank { get; }

    /// <summary>Dimension <paramref name="index"/>, from 0 (outermost).</summary>
    public int this[int index] => (uint)index < (uint)Rank
        ? index switch { 0 => _d0, 1 => _d1, 2 => _d2, _ => _d3 }
        : throw new ArgumentOutOfRangeException(nameof(index), index, $"The shape has {Rank} dimensions.");

    /// <summary>Values in the tensor: the product of the dimensions.</summary>
    public int Length => _d0 * (Rank > 1 ? _d1 : 1) * (Rank > 2 ? _d2 : 1) * (Rank > 3 ? _d3 : 1);

    /// <summary>
    /// Inputs each output sees, as PyTorch counts them for initialization: dimension 1 times the kernel's area
    /// (1 for a vector).
    /// </summary>
    public int FanIn => Rank < 2 ? 1 : Length / _d0;

    /// <summary>Outputs each input reaches: dimension 0 times the kernel's area.</summary>
    public int FanOut => Rank < 2 ? _d0 : Length / _d1;

    /// <summary>The dimensions as an array.</summary>
    public int[] ToArray()
    {
        var dims = new int[Rank];
        for (int i = 0; i < Rank; i++) dims[i] = this[i];
        return dims;
    }

    /// <inheritdoc/>
    public bool Equals(ParameterShape other) => Rank == other.Rank && _d0 == other._d0 && _d1 == other._d1 && _d2 == other._d2 && _d3 == other._d3;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ParameterShape other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Rank, _d0, _d1, _d2, _d3);

    /// <summary>As PyTorch prints a size: [32, 1, 3, 3].</summary>
    public override string ToString() => "[" + string.Join(", ", ToArray()) + "]";

    /// <summary>Same dimensions.</summary>
    public static bool operator ==(ParameterShape left, ParameterShape right) => left.Equals(right);

    /// <summary>Different dimensions.</summary>
    public static bool operator !=(ParameterShape left, ParameterShape right) => !left.Equals(right);
}

/// <summary>A named tensor inside the parameter (or state) block, stored row-major in the order of <see cref="Shape"/>.</summary>
/// <param name="Name">PyTorch-style name, e.g. <c>dense1.weight</c>.</param>
/// <param name="Offset">First element in the block.</param>
/// <param name="Shape">Dimensions, outermost first (PyTorch's layout).</param>
/// <param name="Kind">What it is for.</param>
public readonly record struct ParameterTensor(string Name, int Offset, ParameterShape Shape, ParameterKind Kind)
{
    /// <summary>Values in the tensor.</summary>
    public int Length => Shape.Length;

    /// <summary>The layer it belongs to: <c>dense1</c> of <c>dense1.weight</c>.</summary>
    public string Layer => LayerOf(Name);

    /// <summary>The layer of the tensor called <paramref name="name"/>: the part before its last dot (a name without one is its own).</summary>
    public static string LayerOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        int dot = name.LastIndexOf('.');
        return dot > 0 ? name[..dot] : name;
    }
}
