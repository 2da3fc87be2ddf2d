using System.Linq;
using StaticNets.Generator.Layers;
using StaticNets.Generator.Planning;
using StaticNets.Generator.Runtime;

namespace StaticNets.Generator.Emitting;

/// <summary>
/// Training mode: the forward pass keeping what backward needs (BatchNorm on batch statistics,
/// updating its running ones; dropout on), the loss with its gradient, then backward op by op from
/// the output. The overload taking the other kind of target is an explicit interface member that
/// explains the mismatch.
/// </summary>
internal static class TrainingEmitter
{
    public static void Emit(CodeWriter w, NetworkLayout layout)
    {
        NetworkPlan plan = layout.Plan;
        bool labels = plan.Loss == Loss.SoftmaxCrossEntropy;
        string targetType = labels ? "int" : "float", targetName = labels ? "labels" : "targets", otherType = labels ? "float" : "int";
        string lossCall = plan.Loss switch
        {
            Loss.SoftmaxCrossEntropy => "SoftmaxCrossEntropy",
            Loss.SigmoidBinaryCrossEntropy => "SigmoidBinaryCrossEntropy",
            _ => "MeanSquaredError",
        };

        w.Line("/// <summary>");
        w.Line("/// Training step, forward and backward over <paramref name=\"batchSize\"/> samples in training mode");
        w.Line($"/// (BatchNorm on batch statistics, dropout on): overwrites <see cref=\"Gradients\"/> with the gradient of the mean");
        w.Line($"/// {plan.Loss} loss and returns that loss. When <paramref name=\"inputGradients\"/> is not empty it receives");
        w.Line("/// d(loss)/d(inputs). Checks lengths, batch size, finite inputs and target range. Allocates nothing.");
        w.Line("/// </summary>");
        w.OpenWrapped("public float ComputeGradients",
            [$"{Names.ReadOnlySpan} inputs", $"global::System.ReadOnlySpan<{targetType}> {targetName}", "int batchSize", $"{Names.Span} inputGradients = default"]);
        EmitTargetChecks(w, plan, labels, targetName);
        if (layout.MinBatchSize > 1)
            w.Line($"{Names.Guard}.BatchNormBatchSize(batchSize, \"{plan.ClassName}\");");
        w.Line("if (!inputGradients.IsEmpty)");
        w.Line($"    {Names.Guard}.Length(inputGradients.Length, batchSize * InputSize, nameof(inputGradients), \"batchSize × InputSize, or empty\");");
        if (layout.HasState)
            w.Line("using global::StaticNets.ParameterWrite write = BeginWrite(); // the running statistics change");
        w.Line("ForwardTraining(inputs, batchSize);");
        EmitLoss(w, layout, lossCall, targetName, gradients: true);
        w.Line("Backward(inputs, batchSize, inputGradients);");
        w.Line("return loss;");
        w.Close();
        w.Line();

        w.Line("/// <summary>Mean loss over <paramref name=\"batchSize\"/> samples in inference mode, forward only. Allocates nothing.</summary>");
        w.Open($"public float ComputeLoss({Names.ReadOnlySpan} inputs, global::System.ReadOnlySpan<{targetType}> {targetName}, int batchSize)");
        EmitTargetChecks(w, plan, labels, targetName);
        InferenceEmitter.EmitReadLoop(w, () => w.Line("ForwardInference(inputs, batchSize, dropout: false, f);"));
        EmitLoss(w, layout, lossCall, targetName, gradients: false);
        w.Line("return loss;");
        w.Close();
        w.Line();

        string mismatch = labels
            ? $"{plan.ClassName} trains with SoftmaxCrossEntropy, which takes integer class labels (ReadOnlySpan<int>), not float targets."
            : $"{plan.ClassName} trains with {plan.Loss}, which takes float targets (ReadOnlySpan<float>), not integer labels.";
        string other = $"global::System.ReadOnlySpan<{otherType}> targets";
        w.OpenWrapped("float global::StaticNets.ITrainableNetwork.ComputeGradients",
            [$"{Names.ReadOnlySpan} inputs", other, "int batchSize", $"{Names.Span} inputGradients"]);
        w.StringLine("throw new global::System.InvalidOperationException(", mismatch, ");");
        w.Close();
        w.OpenWrapped("float global::StaticNets.ITrainableNetwork.ComputeLoss", [$"{Names.ReadOnlySpan} inputs", other, "int batchSize"]);
        w.StringLine("throw new global::System.InvalidOperationException(", mismatch, ");");
        w.Close();
        w.Line();

        EmitForwardTraining(w, layout);
        EmitBackward(w, layout);
    }

    /// <summary>
    /// `float loss` from the outputs in the workspace, and with <paramref name="gradients"/> d(loss)/d(outputs) into the
    /// gradient buffers. A multi-head network's loss is the mean of its heads' losses, each head's gradient scaled by
    /// 1/heads.
    /// </summary>
    private static void EmitLoss(CodeWriter w, NetworkLayout layout, string lossCall, string targetName, bool gradients)
    {
        string Gradient(OpPlan op) => gradients ? $"{Names.AsSpan}(_{op.Name}Grad, 0, batchSize * OutputSize)" : "default";
        if (layout.Heads is not HeadsOp heads)
        {
            w.Wrapped($"float loss = {Names.Kernels}.LossKernels.{lossCall}", [layout.LastOutputs("batchSize"), targetName, Gradient(layout.Last), "batchSize", "OutputSize"]);
            return;
        }
        w.Line("float loss = 0f;");
        foreach (int source in heads.Sources)
        {
            OpPlan head = layout.Op(source);
            w.Wrapped($"loss += {Names.Kernels}.LossKernels.{lossCall}",
                [$"{Names.AsSpan}(_{head.Name}Out, 0, batchSize * OutputSize)", targetName, Gradient(head), "batchSize", "OutputSize"]);
            if (gradients) w.Line($"{Names.Kernels}.HeadKernels.ShareGradient({Gradient(head)}, {heads.Count});");
        }
        w.Line($"loss /= {heads.Count};");
    }

    private static void EmitTargetChecks(CodeWriter w, NetworkPlan plan, bool labels, string targetName)
    {
        InferenceEmitter.EmitBatchChecks(w, plan, "inputs");
        if (labels)
        {
            w.Line($"{Names.Guard}.Length({targetName}.Length, batchSize, nameof({targetName}), \"one class label per sample\");");
            w.Line($"{Names.Guard}.Labels({targetName}, OutputSize, nameof({targetName}));");
        }
        else
        {
            w.Line($"{Names.Guard}.Length({targetName}.Length, batchSize * OutputSize, nameof({targetName}), \"batchSize × OutputSize\");");
            w.Line($"{Names.Guard}.Finite({targetName}, nameof({targetName}));");
            if (plan.Loss == Loss.SigmoidBinaryCrossEntropy)
                w.Line($"{Names.Guard}.Probabilities({targetName}, nameof({targetName}));");
        }
    }

    private static void EmitForwardTraining(CodeWriter w, NetworkLayout layout)
    {
        w.Line("// Training forward: fills every op's output and whatever backward needs, for the first `batch` rows.");
        w.Open($"private void ForwardTraining({Names.ReadOnlySpan} x, int batch)");
        w.Line($"{Names.ReadOnlySpan} p = _parameters;");
        if (layout.HasState) w.Line($"{Names.Span} s = _state;");
        w.Line("_lastBatch = batch;");
        var c = new EmitContext(layout, EmitMode.Training, w.Indent);
        foreach (OpPlan op in layout.Ops)
        {
            c.Line("// " + op.Describe);
            op.EmitForward(c);
        }
        c.Flush(w);
        w.Close();
        w.Line();
    }

    private static void EmitBackward(CodeWriter w, NetworkLayout layout)
    {
        w.Line("// Backward from the loss gradient at the last output: each op turns d(loss)/d(its output) into gradients of its");
        w.Line("// parameters and d(loss)/d(its input); a skip connection (or a later head) also adds its gradient to the saved output's.");
        w.Open($"private void Backward({Names.ReadOnlySpan} x, int batch, {Names.Span} inputGradients)");
        w.Line($"{Names.ReadOnlySpan} p = _parameters;");
        w.Line($"{Names.Span} g = _gradients;");
        var c = new EmitContext(layout, EmitMode.Backward, w.Indent);
        foreach (int source in layout.SkipSources)
            c.Line($"{AddOp.SkipGradient(c, source)}.Clear();");
        for (int i = layout.Ops.Count - 1; i >= 0; i--)
        {
            OpPlan op = layout.Ops[i];
            if (op is HeadsOp) continue; // the loss reads each head
            c.Line("// " + op.Describe);
            string dz = EmitActivationBackward(c, op);
            if (layout.StartsLaterHead(op))
            {
                string part = c.Rows(NetworkLayout.HeadInputGradient, layout.SourceShape(op.From).Size);
                op.EmitBackward(c, dz, part);
                c.Call($"{Names.Kernels}.ElementwiseKernels.AddInPlace", part, AddOp.SkipGradient(c, op.From));
                continue;
            }
            string target = c.GradOf(op.From);
            op.EmitBackward(c, dz, target);
            if (layout.SkipSources.Contains(op.From))
                c.InputGradient(target, () => c.Call($"{Names.Kernels}.ElementwiseKernels.AddInPlace", AddOp.SkipGradient(c, op.From), target));
        }
        c.Flush(w);
        w.Close();
        w.Line();
    }

    /// <summary>dz = da ⊙ f'(z) (or the maxout or softmax form) where the op has an activation; returns the span holding dz.</summary>
    private static string EmitActivationBackward(EmitContext c, OpPlan op)
    {
        string d = c.Grad(op);
        ActivationPlan activation = op.Activation;
        if (activation.IsIdentity) return d;
        int width = op.ActivationWidth;
        // One shared buffer; each op's local is its own length of it.
        string dz = c.Local(op.Name + "Dz", () => $"{Names.AsSpan}(_dz, 0, batch * {width})");
        if (activation.Kind == ActivationKind.Maxout)
            c.Call($"{Names.Kernels}.OutputKernels.MaxoutBackward", c.Z(op)!, d, dz, "batch", op.Output.Size, activation.Pieces);
        else if (activation.Kind == ActivationKind.Softmax)
            c.Call($"{Names.Kernels}.OutputKernels.SoftmaxBackward", c.Out(op), d, dz, "batch", op.Output.Size);
        else
            c.Call($"{Names.Kernels}.DenseKernels.ActivationBackward", c.Z(op)!, c.Out(op), d, dz, activation.Expression);
        return dz;
    }
}
