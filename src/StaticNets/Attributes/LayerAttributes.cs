// Compiled into the runtime and, linked as source, into the generator, so every default is written once.
#if STATICNETS_GENERATOR
using System;

namespace StaticNets.Generator.Runtime;
#else
namespace StaticNets;
#endif

/// <summary>
/// The network's input. Must come first. <c>[Input(784)]</c>: 784 features per sample; <c>[Input(1, 28, 28)]</c>: an
/// image of 1 channel, 28 × 28 pixels, stored channel by channel, row by row (NCHW, PyTorch's layout).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class InputAttribute : Attribute
{
    /// <summary>A vector of <paramref name="size"/> features per sample.</summary>
    public InputAttribute(int size) => (Channels, Height, Width) = (size, 1, 1);

    /// <summary>An image of <paramref name="channels"/> planes of <paramref name="height"/> × <paramref name="width"/> values per sample.</summary>
    public InputAttribute(int channels, int height, int width) => (Channels, Height, Width) = (channels, height, width);

    /// <summary>Channels (the features, for a vector input).</summary>
    public int Channels { get; }

    /// <summary>Rows of each channel (1 for a vector input).</summary>
    public int Height { get; }

    /// <summary>Columns of each channel (1 for a vector input).</summary>
    public int Width { get; }

    /// <summary>Values per sample: Channels × Height × Width.</summary>
    public long Size => (long)Channels * Height * Width;
}

/// <summary>
/// A fully connected layer: y = W x + b with W stored [units, inputs] row-major (PyTorch's layout).
/// An activation attribute right after it is fused into its loop.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute(int units) : Attribute
{
    /// <summary>Output features.</summary>
    public int Units { get; } = units;

    /// <summary>Weight initializer; <see cref="StaticNets.Init.Default"/> picks one from the following activation.</summary>
    public Init Init { get; set; } = Init.Default;

    /// <summary>
    /// The initializer's scale where it takes one: the value for <see cref="StaticNets.Init.Constant"/>,
    /// the standard deviation for <see cref="StaticNets.Init.Normal"/>, the bound a of U(-a, a) for
    /// <see cref="StaticNets.Init.Uniform"/>, the gain for <see cref="StaticNets.Init.Orthogonal"/>.
    /// </summary>
    public double InitScale { get; set; } = double.NaN;

    /// <summary>Whether the layer has a bias.</summary>
    public bool Bias { get; set; } = true;

    /// <summary>Initial value of every bias.</summary>
    public double BiasInit { get; set; }
}

/// <summary>Weight initializers. Variances follow the fan-in/fan-out formulas of their papers.</summary>
public enum Init
{
    /// <summary>He normal for the ReLU family, LeCun normal for SELU, Xavier uniform otherwise.</summary>
    Default = 0,
    /// <summary>All zeros.</summary>
    Zeros,
    /// <summary>Every weight equals InitScale.</summary>
    Constant,
    /// <summary>N(0, InitScale²).</summary>
    Normal,
    /// <summary>U(-InitScale, InitScale).</summary>
    Uniform,
    /// <summary>Glorot: N(0, 2/(fan_in+fan_out)).</summary>
    XavierNormal,
    /// <summary>Glorot: U(-a, a), a = sqrt(6/(fan_in+fan_out)).</summary>
    XavierUniform,
    /// <summary>N(0, 1/fan_in).</summary>
    LeCunNormal,
    /// <summary>U(-a, a), a = sqrt(3/fan_in).</summary>
    LeCunUniform,
    /// <summary>Kaiming: N(0, 2/fan_in) (2/((1+α²) fan_in) before a LeakyReLU).</summary>
    HeNormal,
    /// <summary>Kaiming: U(-a, a), a = sqrt(6/fan_in) (divided by sqrt(1+α²) before a LeakyReLU).</summary>
    HeUniform,
    /// <summary>Orthogonal rows or columns from the QR decomposition of a Gaussian matrix, times InitScale (default 1).</summary>
    Orthogonal,
}
