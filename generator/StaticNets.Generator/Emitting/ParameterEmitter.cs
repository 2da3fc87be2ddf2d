using System.Linq;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;

namespace StaticNets.Generator.Emitting;

/// <summary>Sizes, the parameter and gradient blocks with named views, the workspace, and the constructor.</summary>
internal static class ParameterEmitter
{
    public static void Emit(CodeWriter w, NetworkPlan plan, WorkspaceLayout layout)
    {
        w.Line("/// <summary>Features per input sample.</summary>");
        w.Line($"public const int InputSize = {plan.InputSize};");
        w.Line("/// <summary>Values per output sample.</summary>");
        w.Line($"public const int OutputSize = {plan.OutputSize};");
        w.Line("/// <summary>Learnable parameters in <see cref=\"Parameters\"/>.</summary>");
        w.Line($"public const int ParameterCount = {plan.ParameterCount};");
        w.Line("/// <summary>Layer kinds and sizes; part of the weights-file fingerprint.</summary>");
        w.Line($"public const string Architecture = \"{plan.Architecture}\";");
        w.Line();
        w.Line("private static readonly global::StaticNets.ParameterTensor[] s_parameterTensors =");
        w.Line("[");
        foreach (StagePlan s in plan.Stages)
        {
            w.Line($"    new(\"dense{s.Number}.weight\", {s.WeightOffset}, {s.Rows}, {s.InputSize}, global::StaticNets.ParameterKind.Weight),");
            if (s.HasBias)
                w.Line($"    new(\"dense{s.Number}.bias\", {s.BiasOffset}, {s.Rows}, 1, global::StaticNets.ParameterKind.Bias),");
        }
        w.Line("];");
        w.Line();
        w.Line("private readonly float[] _parameters = new float[ParameterCount];");
        if (layout.Trainable) w.Line("private readonly float[] _gradients = new float[ParameterCount];");
        foreach (StagePlan s in plan.Stages)
        {
            if (layout.NeedsZ(s)) w.Line($"private readonly float[] _z{s.Number};");
            w.Line($"private readonly float[] _a{s.Number};");
        }
        if (layout.Trainable)
        {
            w.Line("private readonly float[] _delta0, _delta1;");
            if (layout.DzWidth > 0) w.Line("private readonly float[] _dz;");
        }
        if (!layout.PredictOnStack) w.Line("private readonly float[] _predictScratch;");
        w.Line("private int _lastBatch;");
        w.Line();

        w.Line("/// <summary>The largest batch the workspace holds (set at construction).</summary>");
        w.Line("public int MaxBatchSize { get; }");
        w.Line("/// <summary>All learnable parameters, one contiguous block (layout in <see cref=\"ParameterTensors\"/>).</summary>");
        w.Line("public global::System.Span<float> Parameters => _parameters;");
        if (layout.Trainable)
        {
            w.Line("/// <summary>Gradients of the last <c>ComputeGradients</c> call, laid out as <see cref=\"Parameters\"/>.</summary>");
            w.Line("public global::System.Span<float> Gradients => _gradients;");
        }
        w.Line("/// <summary>The last layer's raw values (logits for cross-entropy) from the most recent batched forward pass.</summary>");
        w.Line($"public global::System.ReadOnlySpan<float> BatchOutputs => {Names.Span($"_a{plan.Stages.Count}", "_lastBatch * OutputSize")};");
        w.Line("/// <summary>Name, offset and shape of every parameter tensor.</summary>");
        w.Line("public global::System.ReadOnlySpan<global::StaticNets.ParameterTensor> ParameterTensors => s_parameterTensors;");
        foreach (StagePlan s in plan.Stages)
        {
            w.Line($"/// <summary>dense{s.Number}.weight, [{s.Rows}, {s.InputSize}] row-major.</summary>");
            w.Line($"public global::System.Span<float> {Names.Dense(s)}Weights => new global::System.Span<float>(_parameters, {s.WeightOffset}, {s.WeightCount});");
            if (s.HasBias)
            {
                w.Line($"/// <summary>dense{s.Number}.bias, [{s.Rows}].</summary>");
                w.Line($"public global::System.Span<float> {Names.Dense(s)}Bias => new global::System.Span<float>(_parameters, {s.BiasOffset}, {s.Rows});");
            }
        }
        w.Line("int global::StaticNets.INetwork.InputSize => InputSize;");
        w.Line("int global::StaticNets.INetwork.OutputSize => OutputSize;");
        w.Line("string global::StaticNets.INetwork.Architecture => Architecture;");
        w.Line($"global::StaticNets.Loss global::StaticNets.INetwork.Loss => {Names.Loss(plan.Loss)};");
        w.Line();

        EmitConstructor(w, plan, layout);
    }

    private static void EmitConstructor(CodeWriter w, NetworkPlan plan, WorkspaceLayout layout)
    {
        w.Line("/// <summary>Creates the network with freshly initialized parameters.</summary>");
        w.Line("/// <param name=\"seed\">Fixes the initial parameters (and everything else random in the network).</param>");
        w.Line("/// <param name=\"maxBatchSize\">The largest batch that <c>PredictBatch</c> and training will be given.</param>");
        w.Open($"public {plan.ClassName}(int seed = 0, int maxBatchSize = 256)");
        w.Line($"if (maxBatchSize < 1 || (long)maxBatchSize * {layout.MaxWidth} > global::System.Array.MaxLength)");
        w.Line($"    throw new global::System.ArgumentOutOfRangeException(nameof(maxBatchSize), maxBatchSize, \"maxBatchSize must be at least 1 and small enough for maxBatchSize × {layout.MaxWidth} floats to fit in an array.\");");
        w.Line("MaxBatchSize = maxBatchSize;");
        foreach (StagePlan s in plan.Stages)
        {
            if (layout.NeedsZ(s)) w.Line($"_z{s.Number} = new float[maxBatchSize * {s.Rows}];");
            w.Line($"_a{s.Number} = new float[maxBatchSize * {s.Units}];");
        }
        if (layout.Trainable)
        {
            w.Line($"_delta0 = new float[maxBatchSize * {layout.DeltaWidth}];");
            w.Line($"_delta1 = new float[maxBatchSize * {layout.DeltaWidth}];");
            if (layout.DzWidth > 0) w.Line($"_dz = new float[maxBatchSize * {layout.DzWidth}];");
        }
        if (!layout.PredictOnStack) w.Line($"_predictScratch = new float[{layout.PredictScratch}];");
        w.Line("var rng = new global::StaticNets.Rng(unchecked((ulong)seed));");
        foreach (StagePlan s in plan.Stages)
        {
            w.Line($"global::StaticNets.Initializers.Fill({Names.Dense(s)}Weights, {s.InputSize}, {s.Rows}, global::StaticNets.Init.{s.Init}, {Format.FloatLiteral(s.InitScale)}, rng, {Format.FloatLiteral(s.NegativeSlope)});");
            if (s.HasBias && s.BiasInit != 0f)
                w.Line($"{Names.Dense(s)}Bias.Fill({Format.FloatLiteral(s.BiasInit)});");
        }
        w.Close();
        w.Line();
    }
}
