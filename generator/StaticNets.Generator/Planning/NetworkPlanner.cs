using System.Collections.Generic;
using System.Linq;
using System.Text;
using StaticNets.Generator.Diagnostics;
using StaticNets.Generator.Model;

namespace StaticNets.Generator.Planning;

/// <summary>
/// Turns a spec into a plan: checks layer order and arguments, infers shapes, resolves default
/// initializers and lays out the parameter block. Every problem becomes a diagnostic at its attribute.
/// </summary>
internal static class NetworkPlanner
{
    // Keeps every offset and workspace size comfortably inside int.
    private const long MaxParameters = 1L << 28;

    public static PlanResult Plan(ParseResult parsed)
    {
        if (parsed.Spec is null)
            return new PlanResult(null, parsed.Diagnostics);

        NetworkSpec spec = parsed.Spec;
        var diagnostics = new List<DiagnosticInfo>(parsed.Diagnostics);
        var layers = spec.Layers.Items;

        int inputIndex = -1;
        for (int i = 0; i < layers.Length && inputIndex < 0; i++)
            if (layers[i].Kind == LayerKind.Input) inputIndex = i;
        if (inputIndex < 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingInput, spec.Location, spec.ClassName));
            return new PlanResult(null, diagnostics.ToEquatableArray());
        }
        for (int i = 0; i < inputIndex; i++)
            diagnostics.Add(OutOfPlace(layers[i], "layers come after [Input], which must be the first layer attribute"));

        int inputSize = layers[inputIndex].Size;
        if (inputSize < 1)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonPositiveSize, layers[inputIndex].Location, "Input", inputSize, "features", 1));

        var stages = new List<StageBuilder>();
        for (int i = inputIndex + 1; i < layers.Length; i++)
        {
            LayerSpec layer = layers[i];
            switch (layer.Kind)
            {
                case LayerKind.Input:
                    diagnostics.Add(OutOfPlace(layer, "a network has exactly one [Input]"));
                    break;
                case LayerKind.Dense:
                    if (layer.Size < 1)
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonPositiveSize, layer.Location, "Dense", layer.Size, "units", 1));
                    CheckDenseArguments(layer, diagnostics);
                    stages.Add(new StageBuilder(layer));
                    break;
                default:
                    StageBuilder? current = stages.Count > 0 ? stages[stages.Count - 1] : null;
                    if (current is null || current.ActivationLayer is not null)
                    {
                        diagnostics.Add(OutOfPlace(layer, "an activation must directly follow a [Dense] (one activation per Dense)"));
                        break;
                    }
                    if (layer.Kind == LayerKind.Softmax && i != layers.Length - 1)
                        diagnostics.Add(OutOfPlace(layer, "Softmax is only allowed as the last layer"));
                    CheckActivationArguments(layer, diagnostics);
                    current.ActivationLayer = layer;
                    break;
            }
        }

        if (stages.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoLayers, layers[inputIndex].Location, spec.ClassName));
            return new PlanResult(null, diagnostics.ToEquatableArray());
        }
        if (diagnostics.Count > 0)
            return new PlanResult(null, diagnostics.ToEquatableArray());

        CheckLoss(spec, stages[stages.Count - 1], diagnostics);
        if (diagnostics.Count > 0)
            return new PlanResult(null, diagnostics.ToEquatableArray());

        var plans = new List<StagePlan>();
        long offset = 0;
        int previous = inputSize;
        foreach (StageBuilder stage in stages)
        {
            StagePlan plan = stage.Build(plans.Count + 1, previous, checked((int)offset));
            offset += (long)plan.WeightCount + (plan.HasBias ? plan.Rows : 0);
            if (offset > MaxParameters)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NetworkTooLarge, stage.Dense.Location, spec.ClassName, "more than " + MaxParameters, "parameters", MaxParameters));
                return new PlanResult(null, diagnostics.ToEquatableArray());
            }
            plans.Add(plan);
            previous = plan.Units;
        }

        var network = new NetworkPlan(spec.Namespace, spec.ClassName, spec.ContainingTypes, spec.Loss, inputSize, previous,
            (int)offset, Architecture(inputSize, plans, spec.Loss), plans.ToEquatableArray());
        return new PlanResult(network, diagnostics.ToEquatableArray());
    }

    private static void CheckDenseArguments(LayerSpec dense, List<DiagnosticInfo> diagnostics)
    {
        if (!System.Enum.IsDefined(typeof(InitKind), dense.Init))
        {
            diagnostics.Add(Invalid(dense, "Init", (int)dense.Init, "use a member of StaticNets.Init"));
            return;
        }
        bool scaleSet = !float.IsNaN(dense.InitScale);
        switch (dense.Init)
        {
            case InitKind.Constant when !IsFinite(dense.InitScale):
                diagnostics.Add(Invalid(dense, "InitScale", dense.InitScale, "Init.Constant needs InitScale set to the (finite) value"));
                break;
            case InitKind.Normal or InitKind.Uniform when !(IsFinite(dense.InitScale) && dense.InitScale > 0):
                diagnostics.Add(Invalid(dense, "InitScale", dense.InitScale, $"Init.{dense.Init} needs InitScale set to a positive {(dense.Init == InitKind.Normal ? "standard deviation" : "bound")}"));
                break;
            case InitKind.Orthogonal when scaleSet && !(IsFinite(dense.InitScale) && dense.InitScale > 0):
                diagnostics.Add(Invalid(dense, "InitScale", dense.InitScale, "the orthogonal gain must be positive"));
                break;
            case not (InitKind.Constant or InitKind.Normal or InitKind.Uniform or InitKind.Orthogonal) when scaleSet:
                diagnostics.Add(Invalid(dense, "InitScale", dense.InitScale, $"Init.{dense.Init} takes no scale; remove InitScale or pick Init.Normal/Uniform/Constant/Orthogonal"));
                break;
        }
        if (!IsFinite(dense.BiasInit))
            diagnostics.Add(Invalid(dense, "BiasInit", dense.BiasInit, "the initial bias must be finite"));
        if (!dense.Bias && dense.BiasInit != 0f)
            diagnostics.Add(Invalid(dense, "BiasInit", dense.BiasInit, "the layer has Bias = false, so BiasInit does not apply"));
    }

    private static void CheckActivationArguments(LayerSpec layer, List<DiagnosticInfo> diagnostics)
    {
        switch (layer.Kind)
        {
            case LayerKind.LeakyReLU when !(IsFinite(layer.Value) && layer.Value >= 0):
                diagnostics.Add(Invalid(layer, "alpha", layer.Value, "the negative slope must be finite and non-negative"));
                break;
            case LayerKind.ELU when !(IsFinite(layer.Value) && layer.Value > 0):
                diagnostics.Add(Invalid(layer, "alpha", layer.Value, "alpha must be finite and positive"));
                break;
            case LayerKind.Swish or LayerKind.Softplus when !(IsFinite(layer.Value) && layer.Value > 0):
                diagnostics.Add(Invalid(layer, "beta", layer.Value, "beta must be finite and positive"));
                break;
            case LayerKind.Maxout when layer.Size < 2:
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonPositiveSize, layer.Location, "Maxout", layer.Size, "pieces", 2));
                break;
        }
    }

    private static void CheckLoss(NetworkSpec spec, StageBuilder last, List<DiagnosticInfo> diagnostics)
    {
        LocationInfo? where = (last.ActivationLayer ?? last.Dense).Location;
        string? problem = null;
        switch (spec.Loss)
        {
            case LossKind.None or LossKind.MeanSquaredError:
                break;
            case LossKind.SoftmaxCrossEntropy when last.ActivationLayer is not null:
                problem = $"remove [{last.ActivationLayer.Kind}] after the last Dense: the loss applies softmax to its logits itself (fused and stable), and Predict returns probabilities";
                break;
            case LossKind.SoftmaxCrossEntropy when last.Dense.Size < 2:
                problem = $"the last Dense has {last.Dense.Size} unit; softmax cross-entropy needs one unit per class (at least 2); for a yes/no output use Loss.SigmoidBinaryCrossEntropy";
                break;
            case LossKind.SigmoidBinaryCrossEntropy when last.ActivationLayer is not null:
                problem = $"remove [{last.ActivationLayer.Kind}] after the last Dense: the loss applies the sigmoid to its logit itself (fused and stable), and Predict returns the probability";
                break;
            case LossKind.SigmoidBinaryCrossEntropy when last.Dense.Size != 1:
                problem = $"the last Dense has {last.Dense.Size} units; binary cross-entropy takes one output (the probability of the positive class); for {last.Dense.Size} classes use Loss.SoftmaxCrossEntropy";
                break;
            case LossKind.None or LossKind.MeanSquaredError or LossKind.SoftmaxCrossEntropy or LossKind.SigmoidBinaryCrossEntropy:
                break;
            default:
                problem = "it is not a member of StaticNets.Loss";
                where = spec.Location;
                break;
        }
        if (problem is not null)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LossDoesNotFitOutput, where, spec.Loss, problem));
    }

    private static string Architecture(int inputSize, List<StagePlan> stages, LossKind loss)
    {
        var text = new StringBuilder().Append("Input(").Append(inputSize).Append(')');
        foreach (StagePlan s in stages)
        {
            text.Append(" Dense(").Append(s.Units).Append(s.HasBias ? ")" : ", Bias=false)");
            string? activation = s.Activation switch
            {
                ActivationKind.Identity => null,
                ActivationKind.LeakyReLU or ActivationKind.ELU or ActivationKind.Swish or ActivationKind.Softplus =>
                    $"{s.Activation}({Format.Float(s.ActivationValue)})",
                ActivationKind.GeluErf => "GELU",
                ActivationKind.GeluTanh => "GELU(tanh)",
                ActivationKind.Maxout => $"Maxout({s.Pieces})",
                _ => s.Activation.ToString(),
            };
            if (activation is not null) text.Append(' ').Append(activation);
        }
        if (loss != LossKind.None) text.Append(" -> ").Append(loss);
        return text.ToString();
    }

    private static DiagnosticInfo OutOfPlace(LayerSpec layer, string why) =>
        DiagnosticInfo.Create(DiagnosticDescriptors.LayerOutOfPlace, layer.Location, layer.Kind, why);

    private static DiagnosticInfo Invalid(LayerSpec layer, string argument, object value, string why) =>
        DiagnosticInfo.Create(DiagnosticDescriptors.InvalidArgument, layer.Location, layer.Kind, argument, value is float f ? Format.Float(f) : value, why);

    private static bool IsFinite(float value) => !float.IsNaN(value) && !float.IsInfinity(value);

    /// <summary>A Dense attribute and the activation attribute after it, while they are being read.</summary>
    private sealed class StageBuilder(LayerSpec dense)
    {
        public LayerSpec Dense { get; } = dense;
        public LayerSpec? ActivationLayer { get; set; }

        public StagePlan Build(int number, int inputSize, int offset)
        {
            LayerSpec? a = ActivationLayer;
            ActivationKind activation = a?.Kind switch
            {
                null => ActivationKind.Identity,
                LayerKind.GELU => a.Flag ? ActivationKind.GeluTanh : ActivationKind.GeluErf,
                LayerKind kind => (ActivationKind)System.Enum.Parse(typeof(ActivationKind), kind.ToString()),
            };
            int pieces = activation == ActivationKind.Maxout ? a!.Size : 1;
            float value = a is not null && !float.IsNaN(a.Value) ? a.Value : 0f;
            float slope = activation == ActivationKind.LeakyReLU ? value : 0f;
            int rows = Dense.Size * pieces;
            int weightCount = rows * inputSize;
            return new StagePlan(number, inputSize, Dense.Size, pieces, activation, value, Dense.Bias,
                offset, Dense.Bias ? offset + weightCount : -1, ResolveInit(Dense.Init, activation), Dense.InitScale, Dense.BiasInit, slope);
        }

        // The defaults of He et al. (2015) for rectifiers, LeCun for SELU, Glorot otherwise.
        private static InitKind ResolveInit(InitKind init, ActivationKind activation) => init != InitKind.Default ? init : activation switch
        {
            ActivationKind.ReLU or ActivationKind.LeakyReLU or ActivationKind.ELU or ActivationKind.GeluErf or ActivationKind.GeluTanh
                or ActivationKind.Swish or ActivationKind.Softplus or ActivationKind.Maxout => InitKind.HeNormal,
            ActivationKind.SELU => InitKind.LeCunNormal,
            _ => InitKind.XavierUniform,
        };
    }
}
