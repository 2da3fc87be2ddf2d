using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;

namespace StaticNets.Generator.Emitting;

/// <summary>Names and expressions shared by the emitters, so each is spelled in one place.</summary>
internal static class Names
{
    public const string Kernels = "global::StaticNets.Kernels";
    public const string Guard = "global::StaticNets.Guard";

    /// <summary>The first <paramref name="count"/> floats of workspace array <paramref name="field"/>.</summary>
    public static string Span(string field, string count) => $"new global::System.Span<float>({field}, 0, {count})";

    public static string Dense(StagePlan s) => "Dense" + s.Number;

    /// <summary>The weights of stage s as a slice of span <paramref name="block"/>.</summary>
    public static string Weights(StagePlan s, string block) => $"{block}.Slice({s.WeightOffset}, {s.WeightCount})";

    /// <summary>The bias of stage s, or <c>default</c> when it has none.</summary>
    public static string Bias(StagePlan s, string block) => s.HasBias ? $"{block}.Slice({s.BiasOffset}, {s.Rows})" : "default";

    /// <summary>An expression creating the activation struct the kernels are generic over.</summary>
    public static string Activation(StagePlan s) => s.Activation switch
    {
        ActivationKind.LeakyReLU => $"new {Kernels}.LeakyReLU({Format.FloatLiteral(s.ActivationValue)})",
        ActivationKind.ELU => $"new {Kernels}.ELU({Format.FloatLiteral(s.ActivationValue)})",
        ActivationKind.Swish => $"new {Kernels}.Swish({Format.FloatLiteral(s.ActivationValue)})",
        ActivationKind.Softplus => $"new {Kernels}.Softplus({Format.FloatLiteral(s.ActivationValue)})",
        ActivationKind.Maxout or ActivationKind.Softmax or ActivationKind.Identity => $"default({Kernels}.Identity)",
        _ => $"default({Kernels}.{s.Activation})",
    };

    public static string Loss(LossKind loss) => "global::StaticNets.Loss." + loss;
}
