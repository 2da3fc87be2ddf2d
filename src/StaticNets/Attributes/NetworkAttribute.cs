// Compiled into the runtime and, linked as source, into the generator, so every default is written once.
#if STATICNETS_GENERATOR
using System;

namespace StaticNets.Generator.Runtime;
#else
namespace StaticNets;
#endif

/// <summary>
/// Marks a <c>partial class</c> as a network. The layer attributes on the same declaration,
/// read top to bottom, describe it; the generator emits its forward, backward and
/// inference code at build time.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>The training loss. <see cref="StaticNets.Loss.None"/> makes an inference-only network.</summary>
    public Loss Loss { get; set; } = Loss.None;
}

/// <summary>The loss a network trains with; it also decides what <c>Predict</c> returns.</summary>
public enum Loss
{
    /// <summary>No training code is generated; <c>Predict</c> returns the last layer's output.</summary>
    None = 0,

    /// <summary>Mean over all outputs of (y - t)²; float targets; <c>Predict</c> returns y.</summary>
    MeanSquaredError = 1,

    /// <summary>
    /// Softmax fused with cross-entropy over integer class labels (log-sum-exp stable). The last
    /// layer must be linear; <c>Predict</c> returns class probabilities.
    /// </summary>
    SoftmaxCrossEntropy = 2,

    /// <summary>
    /// Sigmoid fused with binary cross-entropy over float targets in [0, 1], mean over all outputs
    /// (stable for any logit). The last layer must be linear; <c>Predict</c> returns probabilities.
    /// </summary>
    SigmoidBinaryCrossEntropy = 3,
}
