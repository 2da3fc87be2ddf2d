// Compiled into the runtime and, linked as source, into the generator, so every default is written once.
#if STATICNETS_GENERATOR
using System;

namespace StaticNets.Generator.Runtime;
#else
namespace StaticNets;
#endif

/// <summary>
/// Batch normalization over the features of the layer before it. Training normalizes with the
/// mini-batch mean and biased variance and updates running statistics
/// (r ← (1 − Momentum)·r + Momentum·batch value, unbiased variance, as PyTorch does); inference uses
/// the running statistics, folded into the Dense before it when there is one. γ starts at 1, β at 0.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class BatchNormAttribute : Attribute
{
    /// <summary>Weight of the newest batch in the running statistics (PyTorch's default 0.1).</summary>
    public double Momentum { get; set; } = 0.1;

    /// <summary>Added to the variance before the square root.</summary>
    public double Epsilon { get; set; } = 1e-5;
}

/// <summary>
/// Layer normalization: each sample normalized over its own features, then scaled by γ (init 1)
/// and shifted by β (init 0). The same at training and inference.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class LayerNormAttribute : Attribute
{
    /// <summary>Added to the variance before the square root.</summary>
    public double Epsilon { get; set; } = 1e-5;
}

/// <summary>
/// Group normalization (Wu and He, 2018): each sample's channels split into <paramref name="groups"/> groups of
/// consecutive channels, each group normalized over its channels and their planes, then scaled by γ and shifted by β
/// per channel (γ starts at 1, β at 0; PyTorch's GroupNorm). The same at training and inference, and independent of
/// the batch size. One group is LayerNorm with per-channel γ and β; one channel per group is InstanceNorm.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class GroupNormAttribute(int groups) : Attribute
{
    /// <summary>Groups the channels split into; it must divide the channels.</summary>
    public int Groups { get; } = groups;

    /// <summary>Added to the variance before the square root.</summary>
    public double Epsilon { get; set; } = 1e-5;
}

/// <summary>
/// Instance normalization (Ulyanov et al., 2016): each channel of each sample normalized over its own plane, then scaled
/// by γ and shifted by β per channel (γ starts at 1, β at 0): PyTorch's InstanceNorm2d(affine=True) without running
/// statistics, so the same at training and inference. It is GroupNorm with one channel per group.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class InstanceNormAttribute : Attribute
{
    /// <summary>Added to the variance before the square root.</summary>
    public double Epsilon { get; set; } = 1e-5;
}

/// <summary>
/// Inverted dropout: in training each value is zeroed with probability <paramref name="rate"/> and the
/// rest scaled by 1/(1 − rate); at inference it is the identity (unless Monte-Carlo prediction asks for it).
/// Masks come from the network's seeded generator, so runs are reproducible.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DropoutAttribute(double rate) : Attribute
{
    /// <summary>Probability of dropping a value, in [0, 1).</summary>
    public double Rate { get; } = rate;
}

/// <summary>
/// DropConnect (Wan et al., 2013) on the [Dense] it follows, before that layer's activation: in training each weight is
/// zeroed with probability <paramref name="rate"/> and the rest scaled by 1/(1 − rate), one mask per training step (the
/// whole batch shares it, as most implementations do); at inference the weights are used whole. Masks come from the
/// network's seeded generator, so runs are reproducible.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class DropConnectAttribute(double rate) : Attribute
{
    /// <summary>Probability of dropping a weight, in [0, 1).</summary>
    public double Rate { get; } = rate;
}

/// <summary>
/// Channel dropout for images (PyTorch's Dropout2d): in training each channel of each sample is zeroed whole with
/// probability <paramref name="rate"/> and the rest scaled by 1/(1 − rate) (neighbouring pixels are correlated, so
/// dropping single values barely regularizes a convolution); at inference it is the identity.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SpatialDropoutAttribute(double rate) : Attribute
{
    /// <summary>Probability of dropping a channel, in [0, 1).</summary>
    public double Rate { get; } = rate;
}

/// <summary>Parametric ReLU: x for x &gt; 0, α·x otherwise, with one learnable α per feature.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class PReLUAttribute : Attribute
{
    /// <summary>Initial slope of every feature (PyTorch's default 0.25).</summary>
    public double InitialSlope { get; set; } = 0.25;
}

/// <summary>
/// Names the current output (after the layer and activation above it) so a later <see cref="AddAttribute"/>
/// can add it back: a skip connection.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SaveAsAttribute(string name) : Attribute
{
    /// <summary>The name a later [Add] refers to.</summary>
    public string Name { get; } = name;
}

/// <summary>
/// Adds the output saved by <c>[SaveAs(name)]</c> to the current output (same width, checked at compile
/// time): a(l) = f(z(l)) + a(l − k). An activation after it applies to the sum. Gradients flow through both paths.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class AddAttribute(string name) : Attribute
{
    /// <summary>The [SaveAs] name to add.</summary>
    public string Name { get; } = name;
}

/// <summary>
/// A multi-head ensemble: the layers after it are one head, and the network holds <paramref name="count"/> copies of it,
/// each with its own parameters (initialized apart), all reading the output of the shared trunk above. Training adds
/// one loss term per head: the loss is the mean of the heads' losses, so each head learns as if alone and the trunk
/// from all of them. At inference the heads are averaged: Predict returns the mean of the heads' probabilities
/// (softmax or sigmoid; the mean of their outputs for other losses), and PredictLogits the logits of that mean
/// (log of the mean probabilities). Head k's layers are numbered after head k − 1's (with dense1 and dense2 in the
/// trunk and three one-layer heads: dense3, dense4, dense5).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class HeadsAttribute(int count) : Attribute
{
    /// <summary>How many heads (at least 2).</summary>
    public int Count { get; } = count;
}
