using System.Collections.Generic;
using System.Linq;
using StaticNets.Generator.Planning;

namespace StaticNets.Generator.Emitting;

/// <summary>
/// A dense product with its activation fused, as one call with literal sizes: a SIMD kernel generic
/// over the activation, or for at most <see cref="DenseShapes.UnrollRows"/> rows a generated method with
/// every output written out. Training uses the parameters' [out, in] layout; inference uses the packed
/// panels of the inference block (<see cref="EmitPacked"/>), except for products small enough to stay
/// unrolled, which read the parameters (or, under a folded BatchNorm, the folded copy).
/// </summary>
internal static class DenseEmitter
{
    /// <summary>One use of a dense product: which weights, which activation, which buffers.</summary>
    /// <param name="Tile">The scratch tile for the batched kernel (training), or null for its dot-product form.</param>
    public sealed record Call(DenseOp Dense, bool Folded, ActivationPlan Activation, string Weights, string Bias, string Input, string? KeptZ, string? MaxoutZ, string Output, string Batch,
        string? Tile = null)
    {
        public string UnrolledName => $"Dense{Dense.Number}{(Folded ? "Folded" : "")}Forward";
        public bool HasBias => Folded || Dense.HasBias;
    }

    public static void Emit(CodeWriter w, Call c)
    {
        DenseOp d = c.Dense;
        string target = c.MaxoutZ ?? c.Output;
        string z = c.KeptZ ?? "default";
        if (d.Rows <= DenseShapes.UnrollRows)
            w.Line($"{c.UnrolledName}({c.Input}, {c.Weights}, {c.Bias}, {z}, {target}, {c.Batch});");
        else
            w.Line($"{Names.Kernels}.DenseKernels.Forward({c.Input}, {c.Weights}, {c.Bias}, {z}, {target}, {c.Batch}, {d.InputSize}, {d.Rows}, {Names.Activation(c.Activation)}{(c.Tile is null ? "" : ", " + c.Tile)});");
        EmitEpilogue(w, c.Activation, c.MaxoutZ, c.Output, c.Batch, d.Units);
    }

    /// <summary>
    /// Inference over the packed copy in the inference block `f`; <paramref name="activation"/> is the Dense's own
    /// or, when a BatchNorm folds in, the BatchNorm's.
    /// </summary>
    public static void EmitPacked(CodeWriter w, DenseOp d, ActivationPlan activation, string input, string? maxoutZ, string output, string batch)
    {
        string weights = Names.Slice("f", d.PackedOffset, d.PackedWeightCount), bias = Names.Slice("f", d.PackedOffset + d.PackedWeightCount, d.PaddedRows);
        string target = maxoutZ ?? output, act = Names.Activation(activation);
        if (batch == "1") // Predict: the one-sample kernels only (see ForwardOne)
            w.Line($"{Names.Kernels}.PackedDenseKernels.ForwardOne({input}, {weights}, {bias}, {target}, {d.InputSize}, {d.Rows}, {act});");
        else
            w.Line($"{Names.Kernels}.PackedDenseKernels.Forward({input}, {weights}, {bias}, {target}, {batch}, {d.InputSize}, {d.Rows}, {act});");
        EmitEpilogue(w, activation, maxoutZ, output, batch, d.Units);
    }

    /// <summary>Maxout and softmax run after the producing loop (they are not elementwise).</summary>
    public static void EmitEpilogue(CodeWriter w, ActivationPlan activation, string? maxoutZ, string output, string batch, int units)
    {
        if (activation.Kind == ActivationKind.Maxout)
            w.Line($"{Names.Kernels}.OutputKernels.MaxoutForward({maxoutZ}, {output}, {batch}, {units}, {activation.Pieces});");
        else if (activation.Kind == ActivationKind.Softmax)
            w.Line($"{Names.Kernels}.OutputKernels.Softmax({output}, {output}, {batch}, {units});");
    }

    /// <summary>
    /// The unrolled methods small dense products need (such products are never packed): plain for training and
    /// inference, folded where a BatchNorm folds in.
    /// </summary>
    public static void EmitUnrolledMethods(CodeWriter w, WorkspaceLayout layout)
    {
        foreach (OpPlan op in layout.Ops)
        {
            if (op is DenseOp d && d.Rows <= DenseShapes.UnrollRows)
            {
                EmitUnrolled(w, d, folded: false, d.Activation, d.HasBias);
                if (layout.IsFoldedAway(d))
                    EmitUnrolled(w, d, folded: true, layout.Op(d.Index + 1).Activation, hasBias: true);
            }
        }
    }

    private static void EmitUnrolled(CodeWriter w, DenseOp d, bool folded, ActivationPlan activation, bool hasBias)
    {
        int n = d.InputSize, rows = d.Rows;
        bool identity = !activation.IsElementwise || activation.IsIdentity;
        string name = $"Dense{d.Number}{(folded ? "Folded" : "")}Forward";
        w.Line($"// dense{d.Number}{(folded ? " with batchnorm folded in" : "")}, unrolled: {rows} outputs of {n} inputs each{(identity ? "" : ", " + activation.Kind + " inlined")}.");
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
        w.Open($"private static void {name}({Names.ReadOnlySpan} x, {Names.ReadOnlySpan} w, {Names.ReadOnlySpan} b, {Names.Span} z, {Names.Span} a, int batch)");
        if (!identity) w.Line($"var f = {Names.Activation(activation)};");
        w.Open("for (int r = 0; r < batch; r++)");
        w.Line($"{Names.ReadOnlySpan} xr = x.Slice(r * {n}, {n});");
        w.Line($"{Names.Span} ar = a.Slice(r * {rows}, {rows});");
        for (int o = 0; o < rows; o++)
        {
            string dot = n <= DenseShapes.ScalarDotInputs
                ? SumTree(Enumerable.Range(0, n).Select(i => $"w[{o * n + i}] * xr[{i}]").ToList())
                : $"{Names.Kernels}.DenseKernels.Dot(xr, w.Slice({o * n}, {n}))";
            w.Line($"float s{o} = {(hasBias ? $"b[{o}] + " : "")}{dot};");
        }
        if (!identity)
        {
            w.Open("if (!z.IsEmpty)");
            w.Line($"{Names.Span} zr = z.Slice(r * {rows}, {rows});");
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
        return $"({SumTree(terms.Take(half).ToList())} + {SumTree(terms.Skip(half).ToList())})";
    }
}
