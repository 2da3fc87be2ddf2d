using StaticNets.Generator.Model;

namespace StaticNets.Generator.Planning;

/// <summary>The activation fused into a dense stage. Maxout and Softmax are not elementwise.</summary>
internal enum ActivationKind { Identity, ReLU, LeakyReLU, ELU, SELU, Sigmoid, Tanh, GeluErf, GeluTanh, Swish, Softplus, Maxout, Softmax }

/// <summary>
/// One Dense layer with the activation that follows it. Its weights are [Rows, InputSize] row-major at
/// <see cref="WeightOffset"/>; Rows = Units × Pieces (Pieces &gt; 1 only for maxout).
/// </summary>
internal sealed record StagePlan(
    int Number,
    int InputSize,
    int Units,
    int Pieces,
    ActivationKind Activation,
    float ActivationValue,
    bool HasBias,
    int WeightOffset,
    int BiasOffset,
    InitKind Init,
    float InitScale,
    float BiasInit,
    float NegativeSlope)
{
    public int Rows => Units * Pieces;
    public int WeightCount => Rows * InputSize;
    public bool IsElementwise => Activation is not (ActivationKind.Maxout or ActivationKind.Softmax);
}

/// <summary>A validated network with its parameter layout: all the emitters read.</summary>
internal sealed record NetworkPlan(
    string? Namespace,
    string ClassName,
    EquatableArray<ContainingType> ContainingTypes,
    LossKind Loss,
    int InputSize,
    int OutputSize,
    int ParameterCount,
    string Architecture,
    EquatableArray<StagePlan> Stages);

/// <summary>What the plan stage hands on: a plan when the network is valid, and diagnostics.</summary>
internal sealed record PlanResult(NetworkPlan? Plan, EquatableArray<DiagnosticInfo> Diagnostics);
