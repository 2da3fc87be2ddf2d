using StaticNets.Generator.Layers;
using StaticNets.Generator.Model;
using StaticNets.Generator.Runtime;

namespace StaticNets.Generator.Planning;

/// <summary>A validated network with its parameter, state and inference-block layouts: all the emitters read.</summary>
/// <param name="HasSequentialNames">Whether every layer is a torch.nn module, so a map to nn.Sequential names exists.</param>
internal sealed record NetworkPlan(
    string? Namespace,
    string ClassName,
    EquatableArray<ContainingType> ContainingTypes,
    Loss Loss,
    Shape Input,
    int OutputSize,
    int ParameterCount,
    int StateCount,
    int InferenceCount,
    string Architecture,
    EquatableArray<OpPlan> Ops,
    bool HasSequentialNames,
    EquatableArray<MemberSignature> Members,
    LocationInfo? Location)
{
    /// <summary>The class's name as code writes it (keywords escaped with '@').</summary>
    public string ClassIdentifier => Parsing.NetworkParser.Identifier(ClassName);

    public bool Trainable => Loss != Loss.None;
}

/// <summary>What the plan stage hands on: a plan when the network is valid, and diagnostics.</summary>
internal sealed record PlanResult(NetworkPlan? Plan, EquatableArray<DiagnosticInfo> Diagnostics);
