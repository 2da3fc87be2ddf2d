namespace StaticNets.Generator.Model;

/// <summary>
/// The values one sample has at a point of the network: <see cref="Channels"/> planes of <see cref="Height"/> ×
/// <see cref="Width"/>, stored channel by channel, row by row (NCHW). A vector of n features is n × 1 × 1 ("flat").
/// </summary>
internal readonly record struct Shape(int Channels, int Height, int Width)
{
    public static Shape Flat(int features) => new(features, 1, 1);

    /// <summary>Values per sample (checked against the size limit before anything is built, so it fits an int).</summary>
    public int Size => Channels * Height * Width;

    /// <summary>Values per sample without overflow, for the size checks.</summary>
    public long LongSize => (long)Channels * Height * Width;

    /// <summary>Values per channel.</summary>
    public int Plane => Height * Width;

    public bool IsFlat => Height == 1 && Width == 1;

    /// <summary>As messages and comments write it: "784" or "32×14×14".</summary>
    public override string ToString() => IsFlat ? Channels.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{Channels}×{Height}×{Width}";
}
