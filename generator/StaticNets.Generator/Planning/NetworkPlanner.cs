using System.Collections.Generic;
using System.Linq;
using StaticNets.Generator.Diagnostics;
using StaticNets.Generator.Model;

namespace StaticNets.Generator.Planning;

/// <summary>
/// Turns a spec into a plan: checks layer order and arguments, infers shapes, resolves default
/// initializers, decides fusions (activations into their producer, BatchNorm into the Dense before
/// it at inference) and lays out the parameter, state and folded blocks. Every problem becomes a
/// diagnostic at its attribute.
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

        var reader = new LayerReader(inputSize, diagnostics);
        for (int i = inputIndex + 1; i < layers.Length; i++)
            reader.Read(layers[i], isLast: i == layers.Length - 1);

        if (reader.Ops.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoLayers, layers[inputIndex].Location, spec.ClassName));
            return new PlanResult(null, diagnostics.ToEquatableArray());
        }
        if (diagnostics.Count == 0)
            CheckSizes(spec, layers[inputIndex], reader.Ops, diagnostics);
        if (diagnostics.Count == 0)
            CheckLoss(spec, reader.Ops[reader.Ops.Count - 1], diagnostics);
        if (diagnostics.Count > 0)
            return new PlanResult(null, diagnostics.ToEquatableArray());

        var layout = new Layout();
        var ops = new List<OpPlan>();
        for (int i = 0; i < reader.Ops.Count; i++)
        {
            OpBuilder builder = reader.Ops[i];
            ops.Add(builder.Build(i + 1, reader.Ops, reader.SavedSources, layout));
            if (layout.Inference > MaxParameters)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NetworkTooLarge, builder.Layer.Location, spec.ClassName, layout.Inference, "values in its inference copy", MaxParameters));
                return new PlanResult(null, diagnostics.ToEquatableArray());
            }
        }

        foreach (DenseOp dense in ops.OfType<DenseOp>().Where(d => d.BiasCancelled))
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.BiasBeforeBatchNorm, reader.Ops[dense.Index - 1].Layer.Location, OpBuilder.AttributeText(reader.Ops[dense.Index - 1].Layer)));
        var network = new NetworkPlan(spec.Namespace, spec.ClassName, spec.ContainingTypes, spec.Loss, inputSize, ops[ops.Count - 1].OutputSize,
            (int)layout.Parameters, (int)layout.State, (int)layout.Inference, Architecture(inputSize, reader.Tokens, spec.Loss), ops.ToEquatableArray(),
            SequentialModules(layers, inputIndex, reader.Ops), spec.Members, spec.Location);
        return new PlanResult(network, diagnostics.ToEquatableArray());
    }

    // Each op's position among the layer attributes after [Input]: its module index in the nn.Sequential a PyTorch user
    // writes for the same network. Maxout and SaveAs/Add have no torch.nn module, so such networks get no map.
    private static EquatableArray<int> SequentialModules(System.Collections.Immutable.ImmutableArray<LayerSpec> layers, int inputIndex, List<OpBuilder> ops)
    {
        var modules = new List<int>();
        if (layers.Any(l => l.Kind is LayerKind.Maxout or LayerKind.SaveAs or LayerKind.Add))
            return modules.ToEquatableArray();
        foreach (OpBuilder op in ops)
        {
            int at = inputIndex + 1;
            while (!ReferenceEquals(layers[at], op.Layer)) at++;
            modules.Add(at - inputIndex - 1);
        }
        return modules.ToEquatableArray();
    }

    // Sizes in arbitrary precision before any op is built, so no product of attribute values can overflow: the values
    // per sample of every layer, and the parameters of the whole network (reported whole, at the layer that crosses).
    private static void CheckSizes(NetworkSpec spec, LayerSpec input, List<OpBuilder> ops, List<DiagnosticInfo> diagnostics)
    {
        System.Numerics.BigInteger total = 0;
        LocationInfo? crossing = null;
        if (input.Size > MaxParameters)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NetworkTooLarge, input.Location, spec.ClassName, input.Size, "input values per sample", MaxParameters));
            return;
        }
        foreach (OpBuilder op in ops)
        {
            System.Numerics.BigInteger width = op.Layer.Kind == LayerKind.Dense ? (System.Numerics.BigInteger)op.Layer.Size * op.Activation().Pieces : op.InputWidth;
            if (width > MaxParameters)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NetworkTooLarge, op.Layer.Location, spec.ClassName, width, "values per sample in this layer", MaxParameters));
                return;
            }
            total += op.Layer.Kind switch
            {
                LayerKind.Dense => width * op.InputWidth + (op.Layer.Bias ? width : 0),
                LayerKind.BatchNorm or LayerKind.LayerNorm => 2 * width,
                LayerKind.PReLU => width,
                _ => 0,
            };
            if (total > MaxParameters && crossing is null) crossing = op.Layer.Location;
        }
        if (crossing is not null)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NetworkTooLarge, crossing, spec.ClassName, total, "parameters", MaxParameters));
    }

    private static void CheckLoss(NetworkSpec spec, OpBuilder last, List<DiagnosticInfo> diagnostics)
    {
        LayerSpec? activation = last.ActivationLayer ?? (last.Layer.Kind == LayerKind.PReLU ? last.Layer : null);
        LocationInfo? where = (activation ?? last.Layer).Location;
        string? problem = null;
        bool crossEntropy = spec.Loss is LossKind.SoftmaxCrossEntropy or LossKind.SigmoidBinaryCrossEntropy;
        if (crossEntropy && activation is not null)
        {
            problem = spec.Loss == LossKind.SoftmaxCrossEntropy
                ? $"remove [{activation.Kind}] after the last layer: the loss applies softmax to its logits itself (fused and stable), and Predict returns probabilities"
                : $"remove [{activation.Kind}] after the last layer: the loss applies the sigmoid to its logit itself (fused and stable), and Predict returns the probability";
        }
        else if (spec.Loss == LossKind.SoftmaxCrossEntropy && last.Width < 2)
            problem = $"the last layer has {last.Width} output; softmax cross-entropy needs one output per class (at least 2); for a yes/no output use Loss.SigmoidBinaryCrossEntropy";
        else if (spec.Loss == LossKind.SigmoidBinaryCrossEntropy && last.Width != 1)
            problem = $"the last layer has {last.Width} outputs; binary cross-entropy takes one output (the probability of the positive class); for {last.Width} classes use Loss.SoftmaxCrossEntropy";
        else if (spec.Loss is not (LossKind.None or LossKind.MeanSquaredError or LossKind.SoftmaxCrossEntropy or LossKind.SigmoidBinaryCrossEntropy))
        {
            problem = "it is not a member of StaticNets.Loss";
            where = spec.Location;
        }
        if (problem is not null)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LossDoesNotFitOutput, where, spec.Loss, problem));
    }

    private static string Architecture(int inputSize, List<string> tokens, LossKind loss)
    {
        string text = $"Input({inputSize}) " + string.Join(" ", tokens);
        return loss == LossKind.None ? text : text + " -> " + loss;
    }

    internal static DiagnosticInfo OutOfPlace(LayerSpec layer, string why) =>
        DiagnosticInfo.Create(DiagnosticDescriptors.LayerOutOfPlace, layer.Location, layer.Kind, why);

    internal static DiagnosticInfo Invalid(LayerSpec layer, string argument, object value, string why) =>
        DiagnosticInfo.Create(DiagnosticDescriptors.InvalidArgument, layer.Location, layer.Kind, argument, value is float f ? Format.Float(f) : value, why);

    internal static bool IsFinite(float value) => !float.IsNaN(value) && !float.IsInfinity(value);

    /// <summary>Running totals of the three blocks while ops are laid out.</summary>
    internal sealed class Layout
    {
        public long Parameters, State, Inference;

        public int TakeParameters(long count) => Take(ref Parameters, count);
        public int TakeState(long count) => Take(ref State, count);
        /// <summary>Inference slices start on 64-byte boundaries (the block itself is aligned), so no vector load splits a cache line.</summary>
        public int TakeInference(long count)
        {
            Inference = (Inference + FloatsPerLine - 1) / FloatsPerLine * FloatsPerLine;
            return Take(ref Inference, count);
        }

        /// <summary>Floats per 64-byte cache line, as AlignedArrays.FloatsPerLine in the runtime.</summary>
        private const int FloatsPerLine = 16;

        private static int Take(ref long total, long count)
        {
            long start = total;
            total += count;
            return (int)System.Math.Min(start, int.MaxValue);
        }
    }
}
