using System.Globalization;
using System.Linq;
using StaticNets.Generator.Layers;
using StaticNets.Generator.Planning;
using StaticNets.Generator.Runtime;

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
    public static void Emit(CodeWriter w, NetworkLayout layout)
    {
        EmitPredict(w, layout);
        EmitPredictBatch(w, layout);
        if (layout.Stochastic) EmitMonteCarlo(w, layout);
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

    private static void EmitPredict(CodeWriter w, NetworkLayout layout)
    {
        NetworkPlan plan = layout.Plan;
        bool link = plan.Loss is Loss.SoftmaxCrossEntropy or Loss.SigmoidBinaryCrossEntropy;
        string contract = layout.PredictOnStack
            ? "/// Allocates nothing (intermediate values live on the stack). Safe to call from many threads at once, also while"
            : "/// Allocates nothing after a thread's first call (intermediate values live in a buffer per thread). Safe to call from many threads at once, also while";

        w.Line("/// <summary>");
        w.Line("/// One sample in inference mode: <paramref name=\"input\"/> holds InputSize values, <paramref name=\"output\"/> receives OutputSize.");
        w.Line(plan.Loss switch
        {
            Loss.SoftmaxCrossEntropy => "/// Outputs are class probabilities (softmax of the logits; <see cref=\"PredictLogits\"/> gives the logits).",
            Loss.SigmoidBinaryCrossEntropy => "/// The output is the probability of the positive class (sigmoid of the logit; <see cref=\"PredictLogits\"/> gives the logit).",
            _ => "/// Outputs are the last layer's values.",
        });
        if (layout.Ops.Any(o => o is BatchNormOp)) w.Line("/// BatchNorm uses its running statistics, folded into the layer before it where it can be.");
        if (layout.Stochastic) w.Line("/// Dropout is off (see PredictMonteCarlo to keep it on).");
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
        w.Line($"[{Names.MethodImpl}({Names.MethodImplOptions}.NoInlining)]");
        w.Open($"private void PredictAgain({Names.ReadOnlySpan} input, {Names.Span} output)");
        EmitReadLoop(w, () => w.Line("ForwardSample(input, output, f);"), firstAttempt: 1);
        w.Close();
        w.Line();

        EmitForwardSample(w, layout);
    }

    /// <summary>The checks and one sample's forward into `<paramref name="output"/>` (the last layer's values).</summary>
    private static void EmitSampleForward(CodeWriter w, NetworkLayout layout, string output)
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
    private static void EmitForwardSample(CodeWriter w, NetworkLayout layout)
    {
        w.Line("// One sample forward in inference mode into `output` (the last layer's values), reading the inference copy `f`;");
        w.Line("// intermediate values on the stack" + (layout.PredictOnStack ? "." : " would not fit: in a buffer per thread."));
        w.Line($"[{Names.MethodImpl}(");
        w.Line($"    {Names.MethodImplOptions}.NoInlining");
        w.Line($"    | {Names.MethodImplOptions}.AggressiveOptimization)]");
        w.Open($"private static void ForwardSample({Names.ReadOnlySpan} x, {Names.Span} output, {Names.ReadOnlySpan} f)");
        if (layout.PredictScratchSize > 0)
        {
            string size = layout.PredictScratchSize.ToString(CultureInfo.InvariantCulture);
            if (layout.PredictOnStack)
                w.Line($"{Names.Span} scratch = stackalloc float[{size}];");
            else
            {
                w.Line("if (t_predictScratch.Array is null)");
                w.Line($"    t_predictScratch = {Names.NewBlock(size)};");
                w.Line($"{Names.Span} scratch = t_predictScratch;");
            }
        }
        EmitOps(w, layout, EmitMode.InferenceOne);
        w.Close();
        w.Line();
    }

    /// <summary>Every op's inference code, with the locals it uses declared once at the top.</summary>
    private static void EmitOps(CodeWriter w, NetworkLayout layout, EmitMode mode)
    {
        var c = new EmitContext(layout, mode, w.Indent);
        foreach (OpPlan op in layout.Ops)
        {
            if (op.SkippedAtInference) continue;
            c.Line("// " + op.Describe);
            op.EmitInference(c);
        }
        c.Flush(w);
    }

    private static void EmitPredictBatch(CodeWriter w, NetworkLayout layout)
    {
        w.Line("/// <summary>");
        w.Line("/// <paramref name=\"batchSize\"/> samples, row after row, in inference mode (outputs as in <see cref=\"Predict\"/>).");
        w.Line("/// Allocates nothing; uses the network's workspace, so calls on one instance must not overlap.");
        w.Line("/// </summary>");
        w.Open($"public void PredictBatch({Names.ReadOnlySpan} inputs, {Names.Span} outputs, int batchSize)");
        EmitBatchChecks(w, layout.Plan, "inputs");
        w.Line($"{Names.Guard}.Length(outputs.Length, batchSize * OutputSize, nameof(outputs), \"batchSize × OutputSize\");");
        EmitReadLoop(w, () => w.Line("ForwardInference(inputs, batchSize, dropout: false, f);"));
        w.Line($"{layout.LastOutputs("batchSize")}.CopyTo(outputs);");
        EmitLink(w, layout.Plan, "outputs", "batchSize");
        w.Close();
        w.Line();
    }

    private static void EmitMonteCarlo(CodeWriter w, NetworkLayout layout)
    {
        NetworkPlan plan = layout.Plan;
        w.Line("/// <summary>");
        w.Line("/// Monte-Carlo dropout: predicts <paramref name=\"samples\"/> times with dropout kept on (BatchNorm stays in");
        w.Line("/// inference mode) and returns each output's mean and sample standard deviation, a measure of the model's");
        w.Line("/// uncertainty. Uses the network's workspace and random generator; allocates nothing.");
        w.Line("/// </summary>");
        w.OpenWrapped("public void PredictMonteCarlo", [$"{Names.ReadOnlySpan} input", $"{Names.Span} mean", $"{Names.Span} standardDeviation", "int samples"]);
        EmitSampleChecks(w, plan, "mean", "standardDeviation");
        w.Line("if (samples < 2)");
        w.Line("    throw new global::System.ArgumentOutOfRangeException(nameof(samples), samples,");
        w.Line("        \"Monte-Carlo prediction needs at least 2 samples for a standard deviation.\");");
        w.Line("global::System.Span<double> sums = _monteCarloSums;");
        w.Line("int rows = global::System.Math.Min(MaxBatchSize, samples);");
        w.Line($"for (int r = 0; r < rows; r++) input.CopyTo({Names.AsSpan}(_monteCarloInputs, r * InputSize, InputSize));");
        w.Line("// Every sample reads the same copy: one parameter state for the whole estimate.");
        EmitReadLoop(w, () =>
        {
            w.Line("sums.Clear();");
            w.Open("for (int done = 0; done < samples;)");
            w.Line("int n = global::System.Math.Min(rows, samples - done);");
            w.Line($"ForwardInference({Names.AsSpan}(_monteCarloInputs, 0, n * InputSize), n, dropout: true, f);");
            w.Line($"{Names.Span} y = {layout.LastOutputs("n")};");
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

    private static void EmitForwardInference(CodeWriter w, NetworkLayout layout)
    {
        w.Line("// Inference forward into the workspace outputs, reading the inference copy `f`; `dropout` keeps dropout on (Monte-Carlo prediction).");
        w.Open($"private void ForwardInference({Names.ReadOnlySpan} x, int batch, bool dropout, {Names.ReadOnlySpan} f)");
        w.Line("_lastBatch = batch;");
        EmitOps(w, layout, EmitMode.Inference);
        w.Close();
        w.Line();
    }

    private static void EmitRefreshInference(CodeWriter w, NetworkLayout layout)
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
    private static void EmitWriteInference(CodeWriter w, NetworkLayout layout)
    {
        w.Line("// Writes the inference copy from the parameters and state (the runtime calls it while no write is in progress).");
        w.Open($"void global::StaticNets.IInferenceSource.WriteInference({Names.Span} f)");
        w.Line($"{Names.ReadOnlySpan} p = _parameters;");
        if (layout.HasState) w.Line($"{Names.ReadOnlySpan} s = _state;");
        var c = new EmitContext(layout, EmitMode.WriteInference, w.Indent);
        foreach (OpPlan op in layout.Ops) op.EmitWriteInference(c);
        c.Flush(w);
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
        if (plan.Loss == Loss.SoftmaxCrossEntropy)
            w.Line($"{Names.Kernels}.OutputKernels.Softmax({outputs}, {outputs}, {batch}, OutputSize);");
        else if (plan.Loss == Loss.SigmoidBinaryCrossEntropy)
            w.Line($"{Names.Kernels}.OutputKernels.Sigmoid({outputs}, {outputs});");
    }
}
