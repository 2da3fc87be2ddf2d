using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;

namespace StaticNets.Generator.Emitting;

/// <summary>
/// Training mode: the forward pass keeping what backward needs (BatchNorm on batch statistics,
/// updating its running ones; dropout on), the loss with its gradient, then backward op by op from
/// the output. The overload taking the other kind of target is an explicit interface member that
/// explains the mismatch.
/// </summary>
internal static class TrainingEmitter
{
    public static void Emit(CodeWriter w, WorkspaceLayout layout)
    {
        NetworkPlan plan = layout.Plan;
        bool labels = plan.Loss == LossKind.SoftmaxCrossEntropy;
        string targetType = labels ? "int" : "float", targetName = labels ? "labels" : "targets", otherType = labels ? "float" : "int";
        string lossCall = plan.Loss switch
        {
            LossKind.SoftmaxCrossEntropy => "SoftmaxCrossEntropy",
            LossKind.SigmoidBinaryCrossEntropy => "SigmoidBinaryCrossEntropy",
            _ => "MeanSquaredError",
        };
        string logits = Names.Output(layout.Last, "batchSize");

        w.Line("/// <summary>");
        w.Line("/// Training step, forward and backward over <paramref name=\"batchSize\"/> samples in training mode");
        w.Line($"/// (BatchNorm on batch statistics, dropout on): overwrites <see cref=\"Gradients\"/> with the gradient of the mean");
        w.Line($"/// {plan.Loss} loss and returns that loss. When <paramref name=\"inputGradients\"/> is not empty it receives");
        w.Line("/// d(loss)/d(inputs). Checks lengths, batch size, finite inputs and target range. Allocates nothing.");
        w.Line("/// </summary>");
        w.Open($"public float ComputeGradients({Names.ReadOnlySpan} inputs, global::System.ReadOnlySpan<{targetType}> {targetName}, int batchSize, {Names.Span} inputGradients = default)");
        EmitTargetChecks(w, plan, labels, targetName);
        if (layout.HasBatchNorm)
            w.Line($"{Names.Guard}.BatchNormBatchSize(batchSize, \"{plan.ClassName}\");");
        w.Line("if (!inputGradients.IsEmpty)");
        w.Line($"    {Names.Guard}.Length(inputGradients.Length, batchSize * InputSize, nameof(inputGradients), \"batchSize × InputSize, or empty\");");
        if (layout.HasBatchNorm)
            w.Line("using global::StaticNets.ParameterWrite write = BeginWrite(); // the running statistics change");
        w.Line("ForwardTraining(inputs, batchSize);");
        w.Line($"float loss = {Names.Kernels}.LossKernels.{lossCall}({logits}, {targetName}, {Names.Rows($"_d{layout.Last.Index}", "batchSize * OutputSize")}, batchSize, OutputSize);");
        w.Line("Backward(inputs, batchSize, inputGradients);");
        w.Line("return loss;");
        w.Close();
        w.Line();

        w.Line("/// <summary>Mean loss over <paramref name=\"batchSize\"/> samples in inference mode, forward only. Allocates nothing.</summary>");
        w.Open($"public float ComputeLoss({Names.ReadOnlySpan} inputs, global::System.ReadOnlySpan<{targetType}> {targetName}, int batchSize)");
        EmitTargetChecks(w, plan, labels, targetName);
        InferenceEmitter.EmitReadLoop(w, () => w.Line("ForwardInference(inputs, batchSize, dropout: false, f);"));
        w.Line($"return {Names.Kernels}.LossKernels.{lossCall}({logits}, {targetName}, default, batchSize, OutputSize);");
        w.Close();
        w.Line();

        string mismatch = labels
            ? $"{plan.ClassName} trains with SoftmaxCrossEntropy, which takes integer class labels (ReadOnlySpan<int>), not float targets."
            : $"{plan.ClassName} trains with {plan.Loss}, which takes float targets (ReadOnlySpan<float>), not integer labels.";
        w.Line($"float global::StaticNets.ITrainableNetwork.ComputeGradients({Names.ReadOnlySpan} inputs, global::System.ReadOnlySpan<{otherType}> targets, int batchSize, {Names.Span} inputGradients) =>");
        w.Line($"    throw new global::System.InvalidOperationException(\"{mismatch}\");");
        w.Line($"float global::StaticNets.ITrainableNetwork.ComputeLoss({Names.ReadOnlySpan} inputs, global::System.ReadOnlySpan<{otherType}> targets, int batchSize) =>");
        w.Line($"    throw new global::System.InvalidOperationException(\"{mismatch}\");");
        w.Line();

        EmitForwardTraining(w, layout);
        EmitBackward(w, layout);
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
            if (plan.Loss == LossKind.SigmoidBinaryCrossEntropy)
                w.Line($"{Names.Guard}.Probabilities({targetName}, nameof({targetName}));");
        }
    }

    private static void EmitForwardTraining(CodeWriter w, WorkspaceLayout layout)
    {
        w.Line("// Training forward: fills a{k} and whatever backward needs for the first `batch` rows.");
        w.Open($"private void ForwardTraining({Names.ReadOnlySpan} x, int batch)");
        w.Line($"{Names.ReadOnlySpan} p = _parameters;");
        if (layout.HasBatchNorm) w.Line($"{Names.Span} s = _state;");
        w.Line("_lastBatch = batch;");
        foreach (OpPlan op in layout.Ops)
        {
            int k = op.Index, n = op.OutputSize;
            string input = Input(op), a = Names.Output(op);
            string? z = layout.KeepsZ(op) ? Names.Rows($"_z{k}", $"batch * {WorkspaceLayout.ActivationWidth(op)}") : null;
            w.Line("// " + Names.Describe(op));
            switch (op)
            {
                case DenseOp d:
                    bool maxout = d.Activation.Kind == ActivationKind.Maxout;
                    DenseEmitter.Emit(w, new DenseEmitter.Call(d, false, d.Activation, Names.Weights(d, "p"), Names.Bias(d, "p"), input, maxout ? null : z, maxout ? z : null, a, "batch",
                        Tile: "global::System.MemoryExtensions.AsSpan(_tile)"));
                    break;
                case BatchNormOp b:
                    w.Line($"{Names.Kernels}.NormalizationKernels.BatchNormTrain({input}, {Names.Slice("p", b.GammaOffset, n)}, {Names.Slice("p", b.BetaOffset, n)}, " +
                        $"{Names.Slice("s", b.MeanOffset, n)}, {Names.Slice("s", b.VarianceOffset, n)}, {Names.Rows($"_xhat{k}", $"batch * {n}")}, _invStd{k}, " +
                        $"{z ?? "default"}, {a}, batch, {n}, {Format.FloatLiteral(b.Momentum)}, {Format.FloatLiteral(b.Epsilon)}, {Names.Activation(b.Activation)});");
                    DenseEmitter.EmitEpilogue(w, b.Activation, null, a, "batch", n);
                    break;
                case LayerNormOp l:
                    w.Line($"{Names.Kernels}.NormalizationKernels.LayerNorm({input}, {Names.Slice("p", l.GammaOffset, n)}, {Names.Slice("p", l.BetaOffset, n)}, " +
                        $"{Names.Rows($"_xhat{k}", $"batch * {n}")}, {Names.Rows($"_invStd{k}", "batch")}, {z ?? "default"}, {a}, batch, {n}, {Format.FloatLiteral(l.Epsilon)}, {Names.Activation(l.Activation)});");
                    DenseEmitter.EmitEpilogue(w, l.Activation, null, a, "batch", n);
                    break;
                case PReLUOp pr:
                    w.Line($"{Names.Kernels}.ElementwiseKernels.PReLUForward({input}, {Names.Slice("p", pr.SlopeOffset, n)}, {a}, batch, {n});");
                    break;
                case DropoutOp dr:
                    w.Line($"{Names.Kernels}.ElementwiseKernels.DropoutForward({input}, {Names.Rows($"_mask{k}", $"batch * {n}")}, {a}, {Format.FloatLiteral(dr.Rate)}, _rng);");
                    break;
                case AddOp ad:
                    w.Line($"{Names.Kernels}.ElementwiseKernels.AddForward({input}, {(ad.Source == 0 ? "x" : Names.Output(layout.Op(ad.Source)))}, {z ?? "default"}, {a}, {Names.Activation(ad.Activation)});");
                    DenseEmitter.EmitEpilogue(w, ad.Activation, null, a, "batch", n);
                    break;
            }
        }
        w.Close();
        w.Line();
    }

    private static void EmitBackward(CodeWriter w, WorkspaceLayout layout)
    {
        w.Line("// Backward from d{last} (the loss gradient): each op turns d(loss)/d(its output) into gradients of its");
        w.Line("// parameters and d(loss)/d(its input); a skip connection also adds its gradient to the saved output's.");
        w.Open($"private void Backward({Names.ReadOnlySpan} x, int batch, {Names.Span} inputGradients)");
        w.Line($"{Names.ReadOnlySpan} p = _parameters;");
        w.Line($"{Names.Span} g = _gradients;");
        foreach (int source in layout.SkipSources)
            w.Line($"{Names.Rows($"_skip{source}", $"batch * {SourceWidth(layout, source)}")}.Clear();");
        for (int i = layout.Ops.Count - 1; i >= 0; i--)
        {
            OpPlan op = layout.Ops[i];
            int k = op.Index, n = op.OutputSize;
            w.Line("// " + Names.Describe(op));
            string d = $"d{k}";
            w.Line($"{Names.Span} {d} = {Names.Rows($"_d{k}", $"batch * {n}")};");
            string dz = EmitActivationBackward(w, layout, op, d);
            bool first = k == 1;
            string target = first ? "inputGradients" : Names.Rows($"_d{k - 1}", $"batch * {op.InputSize}");
            if (first && op is not DenseOp) w.Open("if (!inputGradients.IsEmpty)");
            switch (op)
            {
                case DenseOp dense:
                    w.Line($"{Names.Kernels}.DenseKernels.BackwardParameters({dz}, {Input(op)}, {Names.Weights(dense, "g")}, {(dense.BiasCancelled ? "default" : Names.Bias(dense, "g"))}, batch, {dense.InputSize}, {dense.Rows}, accumulate: false);");
                    if (dense.BiasCancelled)
                        w.Line($"{Names.Bias(dense, "g")}.Clear(); // the BatchNorm after it subtracts the bias again: its gradient is exactly 0");
                    if (first) w.Open("if (!inputGradients.IsEmpty)");
                    w.Line($"{Names.Kernels}.DenseKernels.BackwardInput({dz}, {Names.Weights(dense, "p")}, {target}, batch, {dense.InputSize}, {dense.Rows});");
                    break;
                case BatchNormOp b:
                    EmitClear(w, b.GammaOffset, n, b.BetaOffset);
                    w.Line($"{Names.Kernels}.NormalizationKernels.BatchNormBackward({dz}, {Names.Rows($"_xhat{k}", $"batch * {n}")}, _invStd{k}, {Names.Slice("p", b.GammaOffset, n)}, " +
                        $"{Names.Slice("g", b.GammaOffset, n)}, {Names.Slice("g", b.BetaOffset, n)}, {target}, batch, {n});");
                    break;
                case LayerNormOp l:
                    EmitClear(w, l.GammaOffset, n, l.BetaOffset);
                    w.Line($"{Names.Kernels}.NormalizationKernels.LayerNormBackward({dz}, {Names.Rows($"_xhat{k}", $"batch * {n}")}, {Names.Rows($"_invStd{k}", "batch")}, {Names.Slice("p", l.GammaOffset, n)}, " +
                        $"{Names.Slice("g", l.GammaOffset, n)}, {Names.Slice("g", l.BetaOffset, n)}, {target}, batch, {n});");
                    break;
                case PReLUOp pr:
                    EmitClear(w, pr.SlopeOffset, n);
                    w.Line($"{Names.Kernels}.ElementwiseKernels.PReLUBackward({Input(op)}, {Names.Slice("p", pr.SlopeOffset, n)}, {d}, {target}, {Names.Slice("g", pr.SlopeOffset, n)}, batch, {n});");
                    break;
                case DropoutOp:
                    w.Line($"{Names.Kernels}.ElementwiseKernels.DropoutBackward({d}, {Names.Rows($"_mask{k}", $"batch * {n}")}, {target});");
                    break;
                case AddOp ad:
                    w.Line($"{dz}.CopyTo({target});");
                    w.Line($"{Names.Kernels}.ElementwiseKernels.AddInPlace({dz}, {Names.Rows($"_skip{ad.Source}", $"batch * {n}")});");
                    break;
            }
            if (layout.SkipSources.Contains(k - 1))
                w.Line($"{Names.Kernels}.ElementwiseKernels.AddInPlace({Names.Rows($"_skip{k - 1}", $"batch * {op.InputSize}")}, {target});");
            if (first) w.Close();
        }
        w.Close();
        w.Line();
    }

    // The normalization and PReLU kernels add into their parameter gradients: clear those slices first. (Dense
    // products write theirs, so the gradient block as a whole is never cleared.)
    private static void EmitClear(CodeWriter w, int offset, int n, int secondOffset = -1)
    {
        if (secondOffset == offset + n) w.Line($"{Names.Slice("g", offset, 2 * n)}.Clear();");
        else
        {
            w.Line($"{Names.Slice("g", offset, n)}.Clear();");
            if (secondOffset >= 0) w.Line($"{Names.Slice("g", secondOffset, n)}.Clear();");
        }
    }

    /// <summary>Emits dz = da ⊙ f'(z) (or the maxout/softmax form) where op k has an activation; returns the span holding dz.</summary>
    private static string EmitActivationBackward(CodeWriter w, WorkspaceLayout layout, OpPlan op, string d)
    {
        ActivationPlan activation = op.Activation;
        if (activation.IsIdentity) return d;
        int k = op.Index, width = WorkspaceLayout.ActivationWidth(op);
        string dz = $"dz{k}";
        w.Line($"{Names.Span} {dz} = {Names.Rows("_dz", $"batch * {width}")};");
        string z = Names.Rows($"_z{k}", $"batch * {width}"), a = Names.Output(op);
        if (activation.Kind == ActivationKind.Maxout)
            w.Line($"{Names.Kernels}.OutputKernels.MaxoutBackward({z}, {d}, {dz}, batch, {op.OutputSize}, {activation.Pieces});");
        else if (activation.Kind == ActivationKind.Softmax)
            w.Line($"{Names.Kernels}.OutputKernels.SoftmaxBackward({a}, {d}, {dz}, batch, {op.OutputSize});");
        else
            w.Line($"{Names.Kernels}.DenseKernels.ActivationBackward({z}, {a}, {d}, {dz}, {Names.Activation(activation)});");
        return dz;
    }

    private static string Input(OpPlan op) =>
        op.Index == 1 ? "x" : Names.Rows($"_a{op.Index - 1}", $"batch * {op.InputSize}");

    public static int SourceWidth(WorkspaceLayout layout, int source) => source == 0 ? layout.Plan.InputSize : layout.Op(source).OutputSize;
}
