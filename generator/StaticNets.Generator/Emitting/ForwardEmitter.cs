using System.Collections.Generic;
using System.Linq;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;

namespace StaticNets.Generator.Emitting;

/// <summary>
/// Inference and the batched forward pass. Each stage is one call with literal sizes: a SIMD kernel
/// generic over the activation, or, for stages of at most <see cref="UnrollRows"/> rows, a generated
/// method with every output written out.
/// </summary>
internal static class ForwardEmitter
{
    /// <summary>Stages with at most this many rows are fully unrolled.</summary>
    public const int UnrollRows = 16;

    /// <summary>Below this many inputs an unrolled row is a sum of products; above it a SIMD dot call.</summary>
    public const int ScalarDotInputs = 16;

    public static void Emit(CodeWriter w, NetworkPlan plan, WorkspaceLayout layout)
    {
        EmitPredict(w, plan, layout);
        EmitPredictBatch(w, plan);
        EmitForward(w, plan, layout);
        foreach (StagePlan s in plan.Stages.Where(s => s.Rows <= UnrollRows))
            EmitUnrolledStage(w, s);
    }

    private static void EmitPredict(CodeWriter w, NetworkPlan plan, WorkspaceLayout layout)
    {
        w.Line("/// <summary>");
        w.Line("/// One sample: <paramref name=\"input\"/> holds InputSize values, <paramref name=\"output\"/> receives OutputSize.");
        w.Line(plan.Loss switch
        {
            LossKind.SoftmaxCrossEntropy => "/// Outputs are class probabilities (softmax of the logits).",
            LossKind.SigmoidBinaryCrossEntropy => "/// The output is the probability of the positive class (sigmoid of the logit).",
            _ => "/// Outputs are the last layer's values.",
        });
        w.Line(layout.PredictOnStack
            ? "/// Allocates nothing and keeps intermediate values on the stack, so concurrent calls are safe."
            : "/// Allocates nothing; intermediate values use an instance buffer, so calls must not overlap.");
        w.Line("/// Throws ArgumentException for wrong lengths or a NaN/infinite input.");
        w.Line("/// </summary>");
        w.Open("public void Predict(global::System.ReadOnlySpan<float> input, global::System.Span<float> output)");
        w.Line($"{Names.Guard}.Length(input.Length, InputSize, nameof(input), \"InputSize of {plan.ClassName}\");");
        w.Line($"{Names.Guard}.Length(output.Length, OutputSize, nameof(output), \"OutputSize of {plan.ClassName}\");");
        w.Line($"{Names.Guard}.Finite(input, nameof(input));");
        w.Line("global::System.ReadOnlySpan<float> p = _parameters;");
        if (layout.PredictScratch > 0)
        {
            w.Line(layout.PredictOnStack
                ? $"global::System.Span<float> scratch = stackalloc float[{layout.PredictScratch}];"
                : "global::System.Span<float> scratch = _predictScratch;");
        }
        int offset = 0;
        string input = "input";
        foreach (StagePlan s in plan.Stages)
        {
            bool last = s.Number == plan.Stages.Count;
            string a = last ? "output" : $"a{s.Number}";
            if (!last)
            {
                w.Line($"global::System.Span<float> a{s.Number} = scratch.Slice({offset}, {s.Units});");
                offset += s.Units;
            }
            string? z = null;
            if (s.Activation == ActivationKind.Maxout)
            {
                z = $"z{s.Number}";
                w.Line($"global::System.Span<float> {z} = scratch.Slice({offset}, {s.Rows});");
                offset += s.Rows;
            }
            EmitStage(w, s, input, keptZ: null, maxoutZ: z, a, "1");
            input = a;
        }
        EmitLink(w, plan, "output", "1");
        w.Close();
        w.Line();
    }

    private static void EmitPredictBatch(CodeWriter w, NetworkPlan plan)
    {
        w.Line("/// <summary>");
        w.Line("/// <paramref name=\"batchSize\"/> samples, row after row (outputs as in <see cref=\"Predict\"/>). Allocates nothing;");
        w.Line("/// uses the network's workspace, so calls on one instance must not overlap.");
        w.Line("/// </summary>");
        w.Open("public void PredictBatch(global::System.ReadOnlySpan<float> inputs, global::System.Span<float> outputs, int batchSize)");
        EmitBatchChecks(w, plan, "inputs");
        w.Line($"{Names.Guard}.Length(outputs.Length, batchSize * OutputSize, nameof(outputs), \"batchSize × OutputSize\");");
        w.Line("Forward(inputs, batchSize);");
        w.Line($"{Names.Span($"_a{plan.Stages.Count}", "batchSize * OutputSize")}.CopyTo(outputs);");
        EmitLink(w, plan, "outputs", "batchSize");
        w.Close();
        w.Line();
    }

    /// <summary>The checks every batched entry point starts with.</summary>
    public static void EmitBatchChecks(CodeWriter w, NetworkPlan plan, string inputs)
    {
        w.Line($"{Names.Guard}.BatchSize(batchSize, MaxBatchSize, \"{plan.ClassName}\");");
        w.Line($"{Names.Guard}.Length({inputs}.Length, batchSize * InputSize, nameof({inputs}), \"batchSize × InputSize\");");
        w.Line($"{Names.Guard}.Finite({inputs}, nameof({inputs}));");
    }

    private static void EmitForward(CodeWriter w, NetworkPlan plan, WorkspaceLayout layout)
    {
        w.Line("// Fills a{n} (and z{n} where kept) for the first `batch` rows of the workspace.");
        w.Open("private void Forward(global::System.ReadOnlySpan<float> x, int batch)");
        w.Line("global::System.ReadOnlySpan<float> p = _parameters;");
        w.Line("_lastBatch = batch;");
        string input = "x";
        foreach (StagePlan s in plan.Stages)
        {
            string a = Names.Span($"_a{s.Number}", $"batch * {s.Units}");
            string? z = layout.NeedsZ(s) ? Names.Span($"_z{s.Number}", $"batch * {s.Rows}") : null;
            EmitStage(w, s, input, keptZ: s.Activation == ActivationKind.Maxout ? null : z,
                maxoutZ: s.Activation == ActivationKind.Maxout ? z : null, a, "batch");
            input = a;
        }
        w.Close();
        w.Line();
    }

    /// <summary>
    /// One stage: the dense product with its activation fused, then maxout or softmax where present.
    /// <paramref name="keptZ"/> receives pre-activations for backward; <paramref name="maxoutZ"/> the
    /// maxout pieces.
    /// </summary>
    private static void EmitStage(CodeWriter w, StagePlan s, string input, string? keptZ, string? maxoutZ, string a, string batch)
    {
        string denseOut = maxoutZ ?? a;
        string z = keptZ ?? "default";
        w.Line($"// dense{s.Number}: {s.InputSize} -> {s.Rows}{(s.Activation == ActivationKind.Identity ? "" : ", " + s.Activation)}");
        if (s.Rows <= UnrollRows)
            w.Line($"{Names.Dense(s)}Forward({input}, p, {z}, {denseOut}, {batch});");
        else
            w.Line($"{Names.Kernels}.DenseKernels.Forward({input}, {Names.Weights(s, "p")}, {Names.Bias(s, "p")}, {z}, {denseOut}, {batch}, {s.InputSize}, {s.Rows}, {Names.Activation(s)});");
        if (s.Activation == ActivationKind.Maxout)
            w.Line($"{Names.Kernels}.OutputKernels.MaxoutForward({maxoutZ}, {a}, {batch}, {s.Units}, {s.Pieces});");
        else if (s.Activation == ActivationKind.Softmax)
            w.Line($"{Names.Kernels}.OutputKernels.Softmax({a}, {a}, {batch}, {s.Units});");
    }

    /// <summary>The loss's output link: what turns logits into the probabilities Predict returns.</summary>
    private static void EmitLink(CodeWriter w, NetworkPlan plan, string outputs, string batch)
    {
        if (plan.Loss == LossKind.SoftmaxCrossEntropy)
            w.Line($"{Names.Kernels}.OutputKernels.Softmax({outputs}, {outputs}, {batch}, OutputSize);");
        else if (plan.Loss == LossKind.SigmoidBinaryCrossEntropy)
            w.Line($"{Names.Kernels}.OutputKernels.Sigmoid({outputs}, {outputs});");
    }

    private static void EmitUnrolledStage(CodeWriter w, StagePlan s)
    {
        int n = s.InputSize, rows = s.Rows;
        bool identity = !s.IsElementwise || s.Activation == ActivationKind.Identity;
        w.Line($"// dense{s.Number} unrolled: {rows} outputs of {n} inputs each, activation inlined.");
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
        w.Open($"private static void {Names.Dense(s)}Forward(global::System.ReadOnlySpan<float> x, global::System.ReadOnlySpan<float> p, global::System.Span<float> z, global::System.Span<float> a, int batch)");
        w.Line($"global::System.ReadOnlySpan<float> w = {Names.Weights(s, "p")};");
        if (s.HasBias) w.Line($"global::System.ReadOnlySpan<float> b = {Names.Bias(s, "p")};");
        if (!identity) w.Line($"var f = {Names.Activation(s)};");
        w.Open("for (int r = 0; r < batch; r++)");
        w.Line($"global::System.ReadOnlySpan<float> xr = x.Slice(r * {n}, {n});");
        w.Line($"global::System.Span<float> ar = a.Slice(r * {rows}, {rows});");
        for (int o = 0; o < rows; o++)
        {
            string dot = n <= ScalarDotInputs
                ? SumTree(Enumerable.Range(0, n).Select(i => $"w[{o * n + i}] * xr[{i}]").ToList())
                : $"{Names.Kernels}.DenseKernels.Dot(xr, w.Slice({o * n}, {n}))";
            w.Line($"float s{o} = {(s.HasBias ? $"b[{o}] + " : "")}{dot};");
        }
        if (!identity)
        {
            w.Open("if (!z.IsEmpty)");
            w.Line($"global::System.Span<float> zr = z.Slice(r * {rows}, {rows});");
            for (int o = 0; o < rows; o++) w.Line($"zr[{o}] = s{o};");
            w.Close();
        }
        for (int o = 0; o < rows; o++)
            w.Line(identity ? $"ar[{o}] = s{o};" : $"ar[{o}] = f.Forward(s{o});");
        w.Close();
        w.Close();
        w.Line();
    }

    // A balanced sum keeps the dependency chain log2(n) long instead of n.
    private static string SumTree(IList<string> terms)
    {
        if (terms.Count == 1) return terms[0];
        int half = terms.Count / 2;
        string left = SumTree(terms.Take(half).ToList()), right = SumTree(terms.Skip(half).ToList());
        return $"({left} + {right})";
    }
}
