using System.Collections.Generic;
using System.Linq;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;

namespace StaticNets.Generator.Emitting;

/// <summary>
/// Inference: dense products read weights packed for the inference kernel, and BatchNorm uses running
/// statistics, folded into the Dense before it (or applied as scale and shift). Everything inference reads comes
/// from the inference copy (<c>StaticNets.InferenceCopy</c>), rebuilt from the parameters and state when they may
/// have changed and published whole, so a prediction reads one complete parameter state even while other threads
/// train or load: each entry point reads in a loop that repeats when a rebuild replaced its copy meanwhile. Dropout
/// is the identity, unless Monte-Carlo prediction keeps it on.
/// </summary>
internal static class InferenceEmitter
{
    public static void Emit(CodeWriter w, WorkspaceLayout layout)
    {
        EmitPredict(w, layout);
        EmitPredictBatch(w, layout);
        if (layout.HasDropout) EmitMonteCarlo(w, layout);
        EmitForwardInference(w, layout);
        EmitRefreshInference(w, layout);
        EmitWriteInference(w, layout);
    }

    /// <summary>
    /// The read loop around inference code: <paramref name="body"/> reads the copy through `f` and runs again while a
    /// rebuild replaced the copy under it, from attempt <paramref name="firstAttempt"/> on.
    /// </summary>
    public static void EmitReadLoop(CodeWriter w, System.Action body, int firstAttempt = 0)
    {
        w.Line("bool complete = false;");
        w.Open($"for (int attempt = {firstAttempt}; !complete; attempt++)");
        w.Line("global::StaticNets.InferenceRead read = _inference.BeginRead(_guard, this, attempt);");
        w.Open("try");
        w.Line($"{Names.ReadOnlySpan} f = read.Values;");
        body();
        w.Close();
        w.Open("finally");
        w.Line("complete = global::StaticNets.InferenceCopy.EndRead(read, _guard); // releases a read that held rebuilds off");
        w.Close();
        w.Close();
    }

    private static void EmitPredict(CodeWriter w, WorkspaceLayout layout)
    {
        NetworkPlan plan = layout.Plan;
        bool link = plan.Loss is LossKind.SoftmaxCrossEntropy or LossKind.SigmoidBinaryCrossEntropy;
        string contract = layout.PredictOnStack
            ? "/// Allocates nothing (intermediate values live on the stack). Safe to call from many threads at once, also while"
            : "/// Allocates nothing after a thread's first call (intermediate values live in a buffer per thread). Safe to call from many threads at once, also while";

        w.Line("/// <summary>");
        w.Line("/// One sample in inference mode: <paramref name=\"input\"/> holds InputSize values, <paramref name=\"output\"/> receives OutputSize.");
        w.Line(plan.Loss switch
        {
            LossKind.SoftmaxCrossEntropy => "/// Outputs are class probabilities (softmax of the logits; <see cref=\"PredictLogits\"/> gives the logits).",
            LossKind.SigmoidBinaryCrossEntropy => "/// The output is the probability of the positive class (sigmoid of the logit; <see cref=\"PredictLogits\"/> gives the logit).",
            _ => "/// Outputs are the last layer's values.",
        });
        if (layout.HasBatchNorm) w.Line("/// BatchNorm uses its running statistics, folded into the preceding Dense.");
        if (layout.HasDropout) w.Line("/// Dropout is off (see PredictMonteCarlo to keep it on).");
        w.Line(contract);
        w.Line("/// another thread trains or loads: each result comes from one complete parameter state.");
        w.Line("/// Throws ArgumentException for wrong lengths or a NaN/infinite input.");
        w.Line("/// </summary>");
        w.Open($"public void Predict({Names.ReadOnlySpan} input, {Names.Span} output)");
        EmitSampleForward(w, layout, "output");
        EmitLink(w, plan, "output", "1");
        w.Close();
        w.Line();

        w.Line("/// <summary>");
        w.Line(link
            ? "/// One sample in inference mode, as <see cref=\"Predict\"/> but without the loss's output function: the logits."
            : "/// One sample in inference mode: the last layer's values, as <see cref=\"Predict\"/> gives them.");
        w.Line(contract);
        w.Line("/// another thread trains or loads.");
        w.Line("/// </summary>");
        w.Open($"public void PredictLogits({Names.ReadOnlySpan} input, {Names.Span} logits)");
        EmitSampleForward(w, layout, "logits");
        w.Close();
        w.Line();

        w.Line("// A rebuild replaced the inference copy while a one-sample prediction read it: read again.");
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]");
        w.Open($"private void PredictAgain({Names.ReadOnlySpan} input, {Names.Span} output)");
        EmitReadLoop(w, () => w.Line("ForwardSample(input, output, f);"), firstAttempt: 1);
        w.Close();
        w.Line();

        EmitForwardSample(w, layout);
    }

    /// <summary>The checks and one sample's forward into `<paramref name="output"/>` (the last layer's values).</summary>
    private static void EmitSampleForward(CodeWriter w, WorkspaceLayout layout, string output)
    {
        EmitSampleChecks(w, layout.Plan, output);
        // The first attempt straight through: a loop around the forward, or values kept alive across it for a retry, cost
        // the tiny networks a fifth of their time.
        w.Line("global::StaticNets.InferenceRead read = _inference.BeginRead(_guard, this);");
        w.Line($"ForwardSample(input, {output}, read.Values);");
        w.Line($"if (!read.IsCurrent) PredictAgain(input, {output});");
    }

    // One sample through the inference copy `f`, intermediate values in `scratch`. A method of its own, never inlined and
    // compiled once fully optimized: the kernels it inlines get the JIT's whole inlining budget (exhausted, it leaves calls
    // and unpromoted structs behind), nothing of its callers stays live across its loops, and its code does not depend
    // on the profiles that other callers of those kernels left under tiering.
    private static void EmitForwardSample(CodeWriter w, WorkspaceLayout layout)
    {
        var outputs = layout.PredictOutputs;
        w.Line("// One sample forward in inference mode into `output` (the last layer's values), reading the inference copy `f`;");
        w.Line("// intermediate values on the stack" + (layout.PredictOnStack ? "." : " would not fit: in a buffer per thread."));
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining | global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        w.Open($"private static void ForwardSample({Names.ReadOnlySpan} input, {Names.Span} output, {Names.ReadOnlySpan} f)");
        if (layout.PredictScratchSize > 0)
        {
            if (layout.PredictOnStack)
                w.Line($"{Names.Span} scratch = stackalloc float[{layout.PredictScratchSize}];");
            else
            {
                w.Line("if (t_predictScratch.Array is null)");
                w.Line($"    t_predictScratch = {Names.NewBlock(layout.PredictScratchSize.ToString(System.Globalization.CultureInfo.InvariantCulture))};");
                w.Line($"{Names.Span} scratch = t_predictScratch;");
            }
        }
        int offset = 0;
        foreach (var (name, size) in layout.PredictScratch)
        {
            w.Line($"{Names.Span} {name} = scratch.Slice({offset}, {size});");
            offset += size;
        }
        foreach (OpPlan op in layout.Ops)
        {
            if (layout.IsFoldedAway(op)) continue;
            if (op is DropoutOp)
            {
                if (op == layout.Last) w.Line($"{outputs[op.Index - 1]}.CopyTo(output);");
                continue;
            }
            string? maxoutZ = op.Activation.Kind == ActivationKind.Maxout ? $"z{op.Index}" : null;
            EmitOp(w, layout, op, k => outputs[k], maxoutZ, "1");
        }
        w.Close();
        w.Line();
    }

    private static void EmitPredictBatch(CodeWriter w, WorkspaceLayout layout)
    {
        w.Line("/// <summary>");
        w.Line("/// <paramref name=\"batchSize\"/> samples, row after row, in inference mode (outputs as in <see cref=\"Predict\"/>).");
        w.Line("/// Allocates nothing; uses the network's workspace, so calls on one instance must not overlap.");
        w.Line("/// </summary>");
        w.Open($"public void PredictBatch({Names.ReadOnlySpan} inputs, {Names.Span} outputs, int batchSize)");
        EmitBatchChecks(w, layout.Plan, "inputs");
        w.Line($"{Names.Guard}.Length(outputs.Length, batchSize * OutputSize, nameof(outputs), \"batchSize × OutputSize\");");
        EmitReadLoop(w, () => w.Line("ForwardInference(inputs, batchSize, dropout: false, f);"));
        w.Line($"{Names.Output(layout.Last, "batchSize")}.CopyTo(outputs);");
        EmitLink(w, layout.Plan, "outputs", "batchSize");
        w.Close();
        w.Line();
    }

    private static void EmitMonteCarlo(CodeWriter w, WorkspaceLayout layout)
    {
        NetworkPlan plan = layout.Plan;
        w.Line("/// <summary>");
        w.Line("/// Monte-Carlo dropout: predicts <paramref name=\"samples\"/> times with dropout kept on (BatchNorm stays in");
        w.Line("/// inference mode) and returns each output's mean and sample standard deviation, a measure of the model's");
        w.Line("/// uncertainty. Uses the network's workspace and random generator; allocates nothing.");
        w.Line("/// </summary>");
        w.Open($"public void PredictMonteCarlo({Names.ReadOnlySpan} input, {Names.Span} mean, {Names.Span} standardDeviation, int samples)");
        EmitSampleChecks(w, plan, "mean", "standardDeviation");
        w.Line("if (samples < 2) throw new global::System.ArgumentOutOfRangeException(nameof(samples), samples, \"Monte-Carlo prediction needs at least 2 samples for a standard deviation.\");");
        w.Line("global::System.Span<double> sums = _monteCarloSums;");
        w.Line("int rows = global::System.Math.Min(MaxBatchSize, samples);");
        w.Line($"for (int r = 0; r < rows; r++) input.CopyTo({Names.RowsFrom("_monteCarloInputs", "r * InputSize", "InputSize")});");
        w.Line("// Every sample reads the same copy: one parameter state for the whole estimate.");
        EmitReadLoop(w, () =>
        {
            w.Line("sums.Clear();");
            w.Open("for (int done = 0; done < samples;)");
            w.Line("int n = global::System.Math.Min(rows, samples - done);");
            w.Line($"ForwardInference({Names.Rows("_monteCarloInputs", "n * InputSize")}, n, dropout: true, f);");
            w.Line($"{Names.Span} y = {Names.Output(layout.Last, "n")};");
            EmitLink(w, plan, "y", "n");
            w.Open("for (int i = 0; i < y.Length; i++)");
            w.Line("int k = i % OutputSize;");
            w.Line("sums[k] += y[i];");
            w.Line("sums[OutputSize + k] += (double)y[i] * y[i];");
            w.Close();
            w.Line("done += n;");
            w.Close();
        });
        w.Open("for (int k = 0; k < OutputSize; k++)");
        w.Line("double m = sums[k] / samples;");
        w.Line("mean[k] = (float)m;");
        w.Line("standardDeviation[k] = (float)global::System.Math.Sqrt(global::System.Math.Max(0.0, (sums[OutputSize + k] - samples * m * m) / (samples - 1)));");
        w.Close();
        w.Close();
        w.Line();
    }

    private static void EmitForwardInference(CodeWriter w, WorkspaceLayout layout)
    {
        w.Line("// Inference forward into the workspace outputs a{k}, reading the inference copy `f`; `dropout` keeps dropout on (Monte-Carlo prediction).");
        w.Open($"private void ForwardInference({Names.ReadOnlySpan} x, int batch, bool dropout, {Names.ReadOnlySpan} f)");
        w.Line("_lastBatch = batch;");
        foreach (OpPlan op in layout.Ops)
        {
            if (layout.IsFoldedAway(op)) continue;
            string? maxoutZ = op.Activation.Kind == ActivationKind.Maxout ? Names.Rows($"_z{op.Index}", $"batch * {((DenseOp)op).Rows}") : null;
            EmitOp(w, layout, op, k => k == 0 ? "x" : Names.Output(layout.Op(k)), maxoutZ, "batch");
        }
        w.Close();
        w.Line();
    }

    /// <summary>One op at inference, reading the output of the op before it (or before the Dense a BatchNorm folds into).</summary>
    private static void EmitOp(CodeWriter w, WorkspaceLayout layout, OpPlan op, System.Func<int, string> output, string? maxoutZ, string batch)
    {
        // A BatchNorm folded into its Dense reads the Dense's input; the Dense's own output never exists.
        string input = output(op is BatchNormOp { FoldsIntoDense: true } ? op.Index - 2 : op.Index - 1), result = output(op.Index);
        int n = op.OutputSize;
        w.Line("// " + Names.Describe(op));
        switch (op)
        {
            case DenseOp { Packed: true } d:
                DenseEmitter.EmitPacked(w, d, d.Activation, input, maxoutZ, result, batch);
                break;
            case DenseOp d:
                DenseEmitter.Emit(w, new DenseEmitter.Call(d, false, d.Activation, Names.Slice("f", d.CopyOffset, d.WeightCount),
                    d.HasBias ? Names.Slice("f", d.CopyOffset + d.WeightCount, d.Rows) : "default", input, null, maxoutZ, result, batch));
                break;
            case BatchNormOp { FoldsIntoDense: true } b:
                var dense = (DenseOp)layout.Op(b.Index - 1);
                w.Line("// (folded into " + Names.Describe(dense) + ")");
                if (dense.Packed)
                    DenseEmitter.EmitPacked(w, dense, b.Activation, input, null, result, batch);
                else
                    DenseEmitter.Emit(w, new DenseEmitter.Call(dense, true, b.Activation, Names.Slice("f", b.InferenceOffset, dense.WeightCount),
                        Names.Slice("f", b.InferenceOffset + dense.WeightCount, dense.Rows), input, null, null, result, batch));
                break;
            case BatchNormOp b:
                w.Line($"{Names.Kernels}.NormalizationKernels.AffineForward({input}, {Names.Slice("f", b.InferenceOffset, n)}, {Names.Slice("f", b.InferenceOffset + n, n)}, {result}, {batch}, {n}, {Names.Activation(b.Activation)});");
                DenseEmitter.EmitEpilogue(w, b.Activation, null, result, batch, n);
                break;
            case LayerNormOp l:
                w.Line($"{Names.Kernels}.NormalizationKernels.LayerNorm({input}, {Names.Slice("f", l.InferenceOffset, n)}, {Names.Slice("f", l.InferenceOffset + n, n)}, default, default, default, {result}, {batch}, {n}, {Format.FloatLiteral(l.Epsilon)}, {Names.Activation(l.Activation)});");
                DenseEmitter.EmitEpilogue(w, l.Activation, null, result, batch, n);
                break;
            case PReLUOp pr:
                w.Line($"{Names.Kernels}.ElementwiseKernels.PReLUForward({input}, {Names.Slice("f", pr.InferenceOffset, n)}, {result}, {batch}, {n});");
                break;
            case DropoutOp dr:
                w.Line($"if (dropout) {Names.Kernels}.ElementwiseKernels.DropoutForward({input}, {Names.Rows($"_mask{dr.Index}", $"{batch} * {n}")}, {result}, {Format.FloatLiteral(dr.Rate)}, _rng);");
                w.Line($"else {input}.CopyTo({result});");
                break;
            case AddOp a:
                w.Line($"{Names.Kernels}.ElementwiseKernels.AddForward({input}, {output(a.Source)}, default, {result}, {Names.Activation(a.Activation)});");
                DenseEmitter.EmitEpilogue(w, a.Activation, null, result, batch, n);
                break;
        }
    }

    private static void EmitRefreshInference(CodeWriter w, WorkspaceLayout layout)
    {
        w.Line("/// <summary>");
        w.Line("/// Rebuilds the inference copy of the weights (packed for the inference kernels, eval-mode BatchNorm folded in) now.");
        w.Line("/// Inference rebuilds it by itself whenever the parameters or state were handed out, loaded, trained or written in a");
        w.Line("/// <see cref=\"BeginWrite\"/> scope; call it only after writing through a span obtained before the last prediction.");
        w.Line("/// </summary>");
        w.Line("public void RefreshInference() => _inference.Rebuild(_guard, this);");
        w.Line();
    }

    /// <summary>The copy every inference entry point reads: what the parameters and state give at inference, laid out as the kernels read it.</summary>
    private static void EmitWriteInference(CodeWriter w, WorkspaceLayout layout)
    {
        w.Line("// Writes the inference copy from the parameters and state (the runtime calls it while no write is in progress).");
        w.Open($"void global::StaticNets.IInferenceSource.WriteInference({Names.Span} f)");
        w.Line($"{Names.ReadOnlySpan} p = _parameters;");
        if (layout.HasBatchNorm) w.Line($"{Names.ReadOnlySpan} s = _state;");
        foreach (OpPlan op in layout.Ops)
        {
            switch (op)
            {
                case BatchNormOp b:
                {
                    int n = b.Size;
                    string stats = $"{Names.Slice("p", b.GammaOffset, n)}, {Names.Slice("p", b.BetaOffset, n)}, {Names.Slice("s", b.MeanOffset, n)}, {Names.Slice("s", b.VarianceOffset, n)}, {Format.FloatLiteral(b.Epsilon)}";
                    if (b.FoldsIntoDense && layout.Op(b.Index - 1) is DenseOp { Packed: false } d)
                        w.Line($"{Names.Kernels}.NormalizationKernels.FoldIntoDense({Names.Weights(d, "p")}, {Names.Bias(d, "p")}, {stats}, {Names.Slice("f", b.InferenceOffset, d.WeightCount)}, {Names.Slice("f", b.InferenceOffset + d.WeightCount, n)}, {d.InputSize});");
                    else
                        w.Line($"{Names.Kernels}.NormalizationKernels.BatchNormAffine({stats}, {Names.Slice("f", b.InferenceOffset, n)}, {Names.Slice("f", b.InferenceOffset + n, n)});");
                    break;
                }
                case DenseOp { Packed: false, CopyOffset: >= 0 } d:
                    w.Line($"{Names.Weights(d, "p")}.CopyTo({Names.Slice("f", d.CopyOffset, d.WeightCount)});");
                    if (d.HasBias) w.Line($"{Names.Bias(d, "p")}.CopyTo({Names.Slice("f", d.CopyOffset + d.WeightCount, d.Rows)});");
                    break;
                case LayerNormOp l:
                    w.Line($"{Names.Slice("p", l.GammaOffset, l.Size)}.CopyTo({Names.Slice("f", l.InferenceOffset, l.Size)});");
                    w.Line($"{Names.Slice("p", l.BetaOffset, l.Size)}.CopyTo({Names.Slice("f", l.InferenceOffset + l.Size, l.Size)});");
                    break;
                case PReLUOp pr:
                    w.Line($"{Names.Slice("p", pr.SlopeOffset, pr.Size)}.CopyTo({Names.Slice("f", pr.InferenceOffset, pr.Size)});");
                    break;
            }
        }
        foreach (DenseOp d in layout.Ops.OfType<DenseOp>().Where(d => d.Packed))
        {
            // A folded BatchNorm's scale and shift (computed above) go into the packed copy.
            string scale = "default", shift = "default";
            if (layout.IsFoldedAway(d))
            {
                var b = (BatchNormOp)layout.Op(d.Index + 1);
                scale = Names.Slice("f", b.InferenceOffset, b.Size);
                shift = Names.Slice("f", b.InferenceOffset + b.Size, b.Size);
            }
            w.Line($"{Names.Kernels}.PackedDenseKernels.Pack({Names.Weights(d, "p")}, {(d.HasBias ? Names.Bias(d, "p") : "default")}, {scale}, {shift}, {Names.Slice("f", d.PackedOffset, d.PackedWeightCount)}, {Names.Slice("f", d.PackedOffset + d.PackedWeightCount, d.PaddedRows)}, {d.InputSize}, {d.Rows});");
        }
        w.Close();
        w.Line();
    }

    /// <summary>The checks every single-sample entry point starts with: lengths of `input` and the outputs, finite input.</summary>
    private static void EmitSampleChecks(CodeWriter w, NetworkPlan plan, params string[] outputs)
    {
        w.Line($"{Names.Guard}.Length(input.Length, InputSize, nameof(input), \"InputSize of {plan.ClassName}\");");
        foreach (string output in outputs)
            w.Line($"{Names.Guard}.Length({output}.Length, OutputSize, nameof({output}), \"OutputSize of {plan.ClassName}\");");
        w.Line($"{Names.Guard}.Finite(input, nameof(input));");
    }

    /// <summary>The checks every batched entry point starts with.</summary>
    public static void EmitBatchChecks(CodeWriter w, NetworkPlan plan, string inputs)
    {
        w.Line($"{Names.Guard}.BatchSize(batchSize, MaxBatchSize, \"{plan.ClassName}\");");
        w.Line($"{Names.Guard}.Length({inputs}.Length, batchSize * InputSize, nameof({inputs}), \"batchSize × InputSize\");");
        w.Line($"{Names.Guard}.Finite({inputs}, nameof({inputs}));");
    }

    /// <summary>The loss's output link: what turns logits into the probabilities Predict returns.</summary>
    public static void EmitLink(CodeWriter w, NetworkPlan plan, string outputs, string batch)
    {
        if (plan.Loss == LossKind.SoftmaxCrossEntropy)
            w.Line($"{Names.Kernels}.OutputKernels.Softmax({outputs}, {outputs}, {batch}, OutputSize);");
        else if (plan.Loss == LossKind.SigmoidBinaryCrossEntropy)
            w.Line($"{Names.Kernels}.OutputKernels.Sigmoid({outputs}, {outputs});");
    }
}
