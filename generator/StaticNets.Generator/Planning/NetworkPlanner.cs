using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using StaticNets.Generator.Diagnostics;
using StaticNets.Generator.Layers;
using StaticNets.Generator.Model;
using StaticNets.Generator.Runtime;

namespace StaticNets.Generator.Planning;

/// <summary>
/// Turns a spec into a plan: reads every layer attribute through its kind (checks, shapes, fused activations), checks
/// sizes and the loss, then lets each op lay itself out in the parameter, state and inference blocks. Every problem
/// becomes a diagnostic at its attribute.
/// </summary>
internal static class NetworkPlanner
{
    /// <summary>Keeps every offset and workspace size comfortably inside int.</summary>
    public const long MaxValues = 1L << 28;

    public static PlanResult Plan(ParseResult parsed)
    {
        if (parsed.Spec is null)
            return new PlanResult(null, parsed.Diagnostics);

        NetworkSpec spec = parsed.Spec;
        var diagnostics = new List<DiagnosticInfo>(parsed.Diagnostics);
        var layers = spec.Layers.Items;

        int inputIndex = -1;
        for (int i = 0; i < layers.Length && inputIndex < 0; i++)
            if (layers[i].Kind == InputKind.Name) inputIndex = i;
        if (inputIndex < 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingInput, spec.Location, spec.ClassName));
            return Failed(diagnostics);
        }
        for (int i = 0; i < inputIndex; i++)
            diagnostics.Add(OutOfPlace(layers[i], "layers come after [Input], which must be the first layer attribute"));
        LayerSpec input = layers[inputIndex];
        Shape inputShape = InputKind.ShapeOf(input, spec.ClassName, diagnostics);

        var reader = new LayerReader(inputShape, diagnostics);
        for (int i = inputIndex + 1; i < layers.Length; i++)
        {
            reader.Position = i - inputIndex - 1;
            reader.IsLast = i == layers.Length - 1;
            LayerKinds.Get(layers[i].Kind).Read(layers[i], reader);
        }

        if (reader.Ops.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoLayers, input.Location, spec.ClassName));
            return Failed(diagnostics);
        }
        var ops = reader.Ops;
        HashSet<int> saved = reader.SavedOutputs;
        bool heads = reader.HeadsAt >= 0;
        if (heads && diagnostics.Count == 0)
            Heads.Replicate(reader, ops, saved, diagnostics);
        if (diagnostics.Count == 0)
            CheckSizes(spec, ops, diagnostics);
        if (diagnostics.Count == 0)
            CheckLoss(spec, ops[ops.Count - 1], diagnostics);
        if (diagnostics.Count > 0)
            return Failed(diagnostics);
        if (heads) ops.Add(Heads.Combine(reader, ops, spec.Loss));

        var context = new PlanContext(ops, saved, diagnostics);
        for (int i = 0; i < ops.Count; i++)
        {
            ops[i] = ops[i].Plan(context);
            if (context.InferenceTotal > MaxValues)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NetworkTooLarge, ops[i].Location, spec.ClassName, context.InferenceTotal, "values in its inference copy", MaxValues));
                return Failed(diagnostics);
            }
        }

        // Maxout, skip connections and heads have no torch.nn module: such networks get no nn.Sequential name map.
        bool sequential = !layers.Any(l => l.Kind is "Maxout" or "SaveAs" or "Add" or "Heads");
        var network = new NetworkPlan(spec.Namespace, spec.ClassName, spec.ContainingTypes, spec.Loss, inputShape, ops[ops.Count - 1].Output.Size,
            (int)context.ParameterTotal, (int)context.StateTotal, (int)context.InferenceTotal, Architecture(inputShape, reader.Tokens, spec.Loss),
            ops.ToEquatableArray(), sequential, spec.Members, spec.Location);
        return new PlanResult(network, diagnostics.ToEquatableArray());
    }

    private static PlanResult Failed(List<DiagnosticInfo> diagnostics) => new(null, diagnostics.ToEquatableArray());

    // Sizes in arbitrary precision before any op is laid out, so no product of attribute values can overflow: the values
    // per sample of every op, and the parameters of the whole network (reported whole, at the layer that crosses).
    private static void CheckSizes(NetworkSpec spec, List<OpPlan> ops, List<DiagnosticInfo> diagnostics)
    {
        BigInteger total = 0;
        LocationInfo? crossing = null;
        foreach (OpPlan op in ops)
        {
            BigInteger width = BigInteger.Max(op.ActivationValues, op.Output.LongSize);
            if (width > MaxValues)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NetworkTooLarge, op.Location, spec.ClassName, width, "values per sample in this layer", MaxValues));
                return;
            }
            total += op.ParameterCount;
            if (total > MaxValues && crossing is null) crossing = op.Location;
        }
        if (crossing is not null)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NetworkTooLarge, crossing, spec.ClassName, total, "parameters", MaxValues));
    }

    private static void CheckLoss(NetworkSpec spec, OpPlan last, List<DiagnosticInfo> diagnostics)
    {
        // The activation ending the network: fused into the last op, or a PReLU of its own.
        string? activation = !last.Activation.IsIdentity ? last.Activation.Attribute : last is PReLUOp ? "PReLU" : null;
        LocationInfo? where = last.Activation.IsIdentity ? last.Location : last.Activation.Location;
        int outputs = last.Output.Size;
        string? problem = null;
        bool crossEntropy = spec.Loss is Loss.SoftmaxCrossEntropy or Loss.SigmoidBinaryCrossEntropy;
        if (crossEntropy && activation is not null)
        {
            problem = spec.Loss == Loss.SoftmaxCrossEntropy
                ? $"remove [{activation}] after the last layer: the loss applies softmax to its logits itself (fused and stable), and Predict returns probabilities"
                : $"remove [{activation}] after the last layer: the loss applies the sigmoid to its logit itself (fused and stable), and Predict returns the probability";
        }
        else if (spec.Loss == Loss.SoftmaxCrossEntropy && outputs < 2)
            problem = $"the last layer has {outputs} output; softmax cross-entropy needs one output per class (at least 2); for a yes/no output use Loss.SigmoidBinaryCrossEntropy";
        else if (spec.Loss == Loss.SigmoidBinaryCrossEntropy && outputs != 1)
            problem = $"the last layer has {outputs} outputs; binary cross-entropy takes one output (the probability of the positive class); for {outputs} classes use Loss.SoftmaxCrossEntropy";
        else if (spec.Loss is not (Loss.None or Loss.MeanSquaredError or Loss.SoftmaxCrossEntropy or Loss.SigmoidBinaryCrossEntropy))
        {
            problem = "it is not a member of StaticNets.Loss";
            where = spec.Location;
        }
        if (problem is not null)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LossDoesNotFitOutput, where, spec.Loss, problem));
    }

    private static string Architecture(Shape input, List<string> tokens, Loss loss)
    {
        string text = InputKind.Token(input) + " " + string.Join(" ", tokens);
        return loss == Loss.None ? text : text + " -> " + loss;
    }

    internal static DiagnosticInfo OutOfPlace(LayerSpec layer, string why) =>
        DiagnosticInfo.Create(DiagnosticDescriptors.LayerOutOfPlace, layer.Location, layer.Kind, why);

    internal static DiagnosticInfo Invalid(LayerSpec layer, string argument, object value, string why) =>
        DiagnosticInfo.Create(DiagnosticDescriptors.InvalidArgument, layer.Location, layer.Kind, argument, value is double d ? Format.Float((float)d) : value is float f ? Format.Float(f) : value, why);
}
