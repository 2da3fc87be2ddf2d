// Compiled into the runtime and, linked as source, into the generator, so every default is written once.
#if STATICNETS_GENERATOR
using System;

namespace StaticNets.Generator.Runtime;
#else
namespace StaticNets;
#endif

/// <summary>Padding choices of <see cref="Conv2DAttribute"/> besides a number of zero rows and columns.</summary>
public static class Padding
{
    /// <summary>(kernel − 1)/2 on every side: the output keeps the input's height and width (stride 1, odd kernels).</summary>
    public const int Same = -1;
}

/// <summary>
/// A 2-D convolution over an image (channels × height × width, NCHW): <c>[Conv2D(32, 3, padding: Padding.Same)]</c>.
/// Weights are [filters, in channels, kernel rows, kernel columns] (PyTorch's Conv2d layout, dilation 1, groups 1).
/// For a non-square kernel, stride or padding set <see cref="KernelWidth"/>, <see cref="StrideWidth"/>,
/// <see cref="PaddingWidth"/> (or the Height ones): <c>[Conv2D(16, 3, KernelWidth = 5, PaddingWidth = 2)]</c>.
/// An activation attribute right after it is fused into its loop; a [BatchNorm] right after it is folded into its
/// weights at inference.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class Conv2DAttribute : Attribute
{
    /// <param name="filters">Output channels.</param>
    /// <param name="kernel">Kernel rows and columns.</param>
    /// <param name="stride">Step between windows, rows and columns.</param>
    /// <param name="padding">Zero rows and columns added on each side, or <see cref="Padding.Same"/>.</param>
    public Conv2DAttribute(int filters, int kernel, int stride = 1, int padding = 0)
    {
        Filters = filters;
        KernelHeight = KernelWidth = kernel;
        StrideHeight = StrideWidth = stride;
        PaddingHeight = PaddingWidth = padding;
    }

    /// <summary>Output channels.</summary>
    public int Filters { get; }

    /// <summary>Kernel rows.</summary>
    public int KernelHeight { get; set; }

    /// <summary>Kernel columns.</summary>
    public int KernelWidth { get; set; }

    /// <summary>Step between windows, in rows.</summary>
    public int StrideHeight { get; set; }

    /// <summary>Step between windows, in columns.</summary>
    public int StrideWidth { get; set; }

    /// <summary>Zero rows added above and below, or <see cref="Padding.Same"/>.</summary>
    public int PaddingHeight { get; set; }

    /// <summary>Zero columns added left and right, or <see cref="Padding.Same"/>.</summary>
    public int PaddingWidth { get; set; }

    /// <summary>Weight initializer; <see cref="StaticNets.Init.Default"/> picks one from the following activation (fan-in = in channels × kernel area).</summary>
    public Init Init { get; set; } = Init.Default;

    /// <summary>The initializer's scale where it takes one (see <see cref="DenseAttribute.InitScale"/>).</summary>
    public double InitScale { get; set; } = double.NaN;

    /// <summary>Whether the layer has a bias (one per filter).</summary>
    public bool Bias { get; set; } = true;

    /// <summary>Initial value of every bias.</summary>
    public double BiasInit { get; set; }
}

/// <summary>Max pooling over windows of <c>size × size</c> values per channel, moved by <c>stride</c> (default: the size). No padding.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxPool2DAttribute : Attribute
{
    /// <summary>Windows of <paramref name="size"/> × <paramref name="size"/>, not overlapping.</summary>
    public MaxPool2DAttribute(int size) : this(size, size) { }

    /// <summary>Windows of <paramref name="size"/> × <paramref name="size"/>, <paramref name="stride"/> apart.</summary>
    public MaxPool2DAttribute(int size, int stride) => (Size, Stride) = (size, stride);

    /// <summary>Window rows and columns.</summary>
    public int Size { get; }

    /// <summary>Step between windows.</summary>
    public int Stride { get; }
}

/// <summary>Average pooling over windows of <c>size × size</c> values per channel, moved by <c>stride</c> (default: the size). No padding.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AvgPool2DAttribute : Attribute
{
    /// <summary>Windows of <paramref name="size"/> × <paramref name="size"/>, not overlapping.</summary>
    public AvgPool2DAttribute(int size) : this(size, size) { }

    /// <summary>Windows of <paramref name="size"/> × <paramref name="size"/>, <paramref name="stride"/> apart.</summary>
    public AvgPool2DAttribute(int size, int stride) => (Size, Stride) = (size, stride);

    /// <summary>Window rows and columns.</summary>
    public int Size { get; }

    /// <summary>Step between windows.</summary>
    public int Stride { get; }
}

/// <summary>The mean of each channel over its plane: an image of C channels becomes a vector of C features.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GlobalAvgPoolAttribute : Attribute;

/// <summary>An image's values as one vector (NCHW order, as PyTorch's Flatten), so a [Dense] can follow. Copies nothing.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class FlattenAttribute : Attribute;
