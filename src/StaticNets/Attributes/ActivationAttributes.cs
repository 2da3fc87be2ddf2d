// Compiled into the runtime and, linked as source, into the generator, so every default is written once.
#if STATICNETS_GENERATOR
using System;

namespace StaticNets.Generator.Runtime;
#else
namespace StaticNets;
#endif

/// <summary>max(0, x).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ReLUAttribute : Attribute;

/// <summary>x for x &gt; 0, alpha·x otherwise.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LeakyReLUAttribute(double alpha = 0.01) : Attribute
{
    /// <summary>Slope for negative inputs, in [0, 1).</summary>
    public double Alpha { get; } = alpha;
}

/// <summary>x for x &gt; 0, alpha·(eˣ − 1) otherwise.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class ELUAttribute(double alpha = 1) : Attribute
{
    /// <summary>Saturation value for negative inputs (positive).</summary>
    public double Alpha { get; } = alpha;
}

/// <summary>Self-normalizing ELU: λ·ELU(x, α) with the paper's λ ≈ 1.0507 and α ≈ 1.6733.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SELUAttribute : Attribute;

/// <summary>1 / (1 + e⁻ˣ).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SigmoidAttribute : Attribute;

/// <summary>tanh(x).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class TanhAttribute : Attribute;

/// <summary>x·Φ(x) with the exact erf form, or the tanh approximation when <see cref="Approximate"/> is set (as PyTorch's approximate='tanh').</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GELUAttribute : Attribute
{
    /// <summary>Use 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) instead of the erf form.</summary>
    public bool Approximate { get; set; }
}

/// <summary>x·sigmoid(beta·x); with beta = 1 this is SiLU.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SwishAttribute(double beta = 1) : Attribute
{
    /// <summary>Sharpness (positive); 1 gives SiLU.</summary>
    public double Beta { get; } = beta;
}

/// <summary>log(1 + e^(beta·x)) / beta, computed without overflow.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SoftplusAttribute(double beta = 1) : Attribute
{
    /// <summary>Sharpness (positive).</summary>
    public double Beta { get; } = beta;
}

/// <summary>
/// Maxout over <paramref name="pieces"/> linear pieces: the Dense before it computes units·pieces
/// values and each unit outputs the largest of its pieces. Must directly follow a Dense.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class MaxoutAttribute(int pieces) : Attribute
{
    /// <summary>Linear pieces per unit (at least 2).</summary>
    public int Pieces { get; } = pieces;
}

/// <summary>
/// Softmax over the features of the output layer. Only as the last layer; with
/// <see cref="Loss.SoftmaxCrossEntropy"/> leave it out (the loss applies it, fused and stable).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SoftmaxAttribute : Attribute;
