using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using StaticNets.Generator.Diagnostics;
using StaticNets.Generator.Emitting;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;
using StaticNets.Generator.Runtime;

namespace StaticNets.Generator.Layers;

/// <summary>[Dense(units)]: a fully connected layer over a vector of features.</summary>
internal sealed class DenseKind : ILayerKind
{
    public Type AttributeType => typeof(DenseAttribute);

    public void Read(LayerSpec layer, LayerReader reader)
    {
        var a = layer.As<DenseAttribute>();
        if (a.Units < 1) reader.TooSmall(layer, a.Units, "units", 1);
        WeightInit.Check(layer, reader, a.Init, a.InitScale, a.Bias, a.BiasInit);
        if (!reader.RequireFlat(layer)) return;
        reader.AddOp(new DenseOp
        {
            Output = Shape.Flat(a.Units),
            Units = a.Units,
            HasBias = a.Bias,
            Init = a.Init,
            InitScale = (float)a.InitScale,
            BiasInit = (float)a.BiasInit,
        }, layer);
    }
}

/// <summary>
/// y = W x + b, W [Rows, In] row-major (PyTorch's layout); Rows = Units × maxout pieces. Training runs the batched
/// kernel (in tiles of samples) or, for at most <see cref="UnrollRows"/> rows, a generated method with every output
/// written out. At inference a larger Dense reads a copy packed in panels from the inference block at
/// <see cref="PackedOffset"/> (weights, then the padded bias), a small one runs unrolled from a plain copy at
/// <see cref="CopyOffset"/> (weights, then bias); a BatchNorm right after it folds into either.
/// </summary>
/// <remarks>
/// <see cref="BiasCancelled"/>: a BatchNorm follows directly and nothing else reads the product, so in training the bias
/// is subtracted again with the batch mean: its gradient is exactly 0, and backward writes 0 instead of the rounding
/// noise of a sum that cancels.
/// </remarks>
internal sealed record DenseOp : OpPlan, IFoldsBatchNorm
{
    /// <summary>Products with at most this many rows are fully unrolled, in training and (unpacked) at inference.</summary>
    public const int UnrollRows = 16;

    /// <summary>Up to this many inputs an unrolled row is a sum of products; above it a SIMD dot call.</summary>
    public const int ScalarDotInputs = 16;

    public int Units { get; init; }
    public bool HasBias { get; init; }
    public Init Init { get; init; }
    public float InitScale { get; init; }
    public float BiasInit { get; init; }
    public float NegativeSlope { get; init; }
    public int WeightOffset { get; init; }
    public int BiasOffset { get; init; } = -1;
    public int PackedOffset { get; init; } = -1;
    public int CopyOffset { get; init; } = -1;
    public bool BiasCancelled { get; init; }

    /// <summary>
    /// [DropConnect(rate)] after it, or 0: each training step draws one mask over the weights (0, or 1/(1 − rate) where
    /// kept), computes with the dropped weights and passes the weight gradient back through the same mask.
    /// </summary>
    public float DropConnectRate { get; init; }

    /// <summary>The BatchNorm folded into it at inference (its index), or −1.</summary>
    public int FoldedBy { get; init; } = -1;

    public override string Prefix => "dense";
    public override string Title => "Dense";
    public override bool AcceptsActivation => true;
    public override string Token => HasBias ? $"Dense({Units})" : $"Dense({Units},bias=false)";
    public override BigInteger ParameterCount => ActivationValues * Input.LongSize + (HasBias ? ActivationValues : 0);
    public override BigInteger ActivationValues => (BigInteger)Units * Activation.Pieces;
    public override long Flops => (2L * In + (HasBias ? 1 : 0)) * Rows;
    public override string Describe => $"{Name}: {Input.Size} -> {Rows}{(Activation.IsIdentity ? "" : ", " + Activation.Kind)}";

    public int In => Input.Size;
    public int Rows => Units * Activation.Pieces;
    public int WeightCount => Rows * In;
    public bool Packed => PackedOffset >= 0;
    public int PaddedRows => (Rows + SharedLayout.MaxPanelWidth - 1) / SharedLayout.MaxPanelWidth * SharedLayout.MaxPanelWidth;
    public int PackedWeightCount => In * PaddedRows;

    /// <summary>Products of more rows read packed panels at inference; a few dot products beat a mostly padded panel.</summary>
    public static bool PacksForInference(int rows) => rows > UnrollRows;

    private TensorPlan WeightTensor => new($"{Name}.weight", View + "Weights", WeightOffset, new[] { Rows, In }.ToEquatableArray(), "Weight", false, "Weights");
    private TensorPlan BiasTensor => new($"{Name}.bias", View + "Bias", BiasOffset, new[] { Rows }.ToEquatableArray(), "Bias", false, "Bias");

    public override IEnumerable<TensorPlan> Tensors => HasBias ? [WeightTensor, BiasTensor] : [WeightTensor];

    public override OpPlan Plan(PlanContext context)
    {
        WeightPlan w = WeightInit.Plan(this, context, (long)Rows * In, Rows, HasBias, Init, $"Dense({Units})");
        int packed = -1, copy = -1;
        if (PacksForInference(Rows))
            packed = context.TakeInference((long)In * PaddedRows + PaddedRows);
        else if (!w.Folded)
            copy = context.TakeInference((long)Rows * In + (HasBias ? Rows : 0));
        return this with
        {
            WeightOffset = w.WeightOffset,
            BiasOffset = w.BiasOffset,
            Init = w.Init,
            NegativeSlope = w.NegativeSlope,
            PackedOffset = packed,
            CopyOffset = copy,
            BiasCancelled = w.BiasCancelled,
            FoldedBy = w.Folded ? Index + 1 : -1,
        };
    }

    public override void EmitInitialize(CodeWriter w, string rng)
    {
        WeightInit.Initialize(w, WeightTensor.View, $"{Rows}, {In}", Init, InitScale, NegativeSlope, HasBias ? BiasTensor.View : null, BiasInit, rng);
    }

    public override IEnumerable<BufferPlan> Buffers(bool trainable)
    {
        if (trainable && Rows > UnrollRows)
            yield return new BufferPlan("tile", 0, $"{Names.Kernels}.DenseKernels.TileLength({In}, {Rows})");
        if (trainable && DropConnectRate > 0f)
        {
            string weights = WeightCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
            yield return new BufferPlan(Name + "WeightMask", 0, weights);
            yield return new BufferPlan(Name + "DroppedWeights", 0, weights);
        }
    }

    // The weights training computes with: the parameters, or this step's dropped copy under DropConnect.
    private string TrainingWeights(EmitContext c) => DropConnectRate > 0f ? c.Whole(Name + "DroppedWeights") : c.Parameter(WeightTensor);

    public override int InferenceScratch => Activation.Kind == ActivationKind.Maxout ? Rows : 0;

    public override bool SkippedAtInference => FoldedBy >= 0;

    private string Bias(EmitContext c) => HasBias ? c.Parameter(BiasTensor) : "default";

    public override void EmitForward(EmitContext c)
    {
        bool maxout = Activation.Kind == ActivationKind.Maxout;
        string? z = c.Z(this);
        string target = maxout ? z! : c.Out(this);
        string keptZ = maxout ? "default" : z ?? "default";
        if (DropConnectRate > 0f)
            c.Call($"{Names.Kernels}.ElementwiseKernels.DropoutForward", c.Parameter(WeightTensor), c.Whole(Name + "WeightMask"), TrainingWeights(c),
                DropConnectRate, "_rng");
        if (Rows <= UnrollRows)
            c.Call(UnrolledName(c.Layout, Activation, HasBias), c.In(this), TrainingWeights(c), Bias(c), keptZ, target, c.Batch);
        else
            c.Call($"{Names.Kernels}.DenseKernels.Forward", c.In(this), TrainingWeights(c), Bias(c), keptZ, target, c.Batch, In, Rows,
                Activation.Expression, c.Whole("tile"));
        Activation.EmitEpilogue(c, z, c.Out(this), Units);
    }

    public override void EmitBackward(EmitContext c, string dz, string target)
    {
        WeightInit.EmitParameterGradients(c, HasBias ? BiasTensor : null, BiasCancelled, biasGradient =>
            c.Call($"{Names.Kernels}.DenseKernels.BackwardParameters", dz, c.In(this), c.Gradient(WeightTensor), biasGradient, c.Batch, In, Rows, "accumulate: false"));
        if (DropConnectRate > 0f) // d(loss)/dW = d(loss)/dW′ ⊙ mask, W′ = W ⊙ mask
            c.Call($"{Names.Kernels}.ElementwiseKernels.DropoutBackward", c.Gradient(WeightTensor), c.Whole(Name + "WeightMask"), c.Gradient(WeightTensor));
        c.InputGradient(target, () => c.Call($"{Names.Kernels}.DenseKernels.BackwardInput", dz, TrainingWeights(c), target, c.Batch, In, Rows));
    }

    public override void EmitInference(EmitContext c)
    {
        // Maxout's pieces: the workspace in batches, Predict's scratch for one sample.
        string? pieces = Activation.Kind != ActivationKind.Maxout ? null : c.IsOneSample ? c.InferenceScratch(this) : c.Z(this);
        if (Packed)
            EmitPacked(c, Activation, pieces, c.Out(this));
        else
            EmitUnrolled(c, Activation, c.Copy(this, "Weights", CopyOffset, WeightCount),
                HasBias ? c.Copy(this, "Bias", CopyOffset + WeightCount, Rows) : "default", HasBias, pieces, c.Out(this));
    }

    public override void EmitWriteInference(EmitContext c)
    {
        if (FoldedBy >= 0) return; // the BatchNorm writes the folded copy
        if (Packed)
            EmitPack(c, "default", "default");
        else
        {
            c.Line($"{c.Parameter(WeightTensor)}.CopyTo({c.Copy(this, "Weights", CopyOffset, WeightCount)});");
            if (HasBias) c.Line($"{c.Parameter(BiasTensor)}.CopyTo({c.Copy(this, "Bias", CopyOffset + WeightCount, Rows)});");
        }
    }

    // ---- a BatchNorm folded in ----

    public long FoldedCopyLength(BatchNormOp bn) => Packed ? 0 : (long)Rows * In + Rows;

    public void EmitFolded(EmitContext c, BatchNormOp bn)
    {
        if (Packed)
            EmitPacked(c, bn.Activation, null, c.Out(bn));
        else
            EmitUnrolled(c, bn.Activation, c.Copy(bn, "FoldedWeights", bn.InferenceOffset, WeightCount),
                c.Copy(bn, "FoldedBias", bn.InferenceOffset + WeightCount, Rows), true, null, c.Out(bn));
    }

    public void EmitWriteFolded(EmitContext c, BatchNormOp bn)
    {
        if (Packed)
        {
            EmitPack(c, bn.ScaleCopy(c), bn.ShiftCopy(c));
            return;
        }
        var arguments = new List<object> { c.Parameter(WeightTensor), Bias(c) };
        arguments.AddRange(bn.Statistics(c));
        arguments.AddRange([c.Copy(bn, "FoldedWeights", bn.InferenceOffset, WeightCount), c.Copy(bn, "FoldedBias", bn.InferenceOffset + WeightCount, Rows), In]);
        c.Call($"{Names.Kernels}.NormalizationKernels.FoldIntoDense", arguments.ToArray());
    }

    private void EmitPack(EmitContext c, string scale, string shift) =>
        c.Call($"{Names.Kernels}.PackedDenseKernels.Pack", c.Parameter(WeightTensor), Bias(c), scale, shift,
            c.Copy(this, "PackedWeights", PackedOffset, PackedWeightCount), c.Copy(this, "PackedBias", PackedOffset + PackedWeightCount, PaddedRows), In, Rows);

    // Inference over the packed copy; one sample takes the one-sample kernels only (see PackedDenseKernels.ForwardOne).
    private void EmitPacked(EmitContext c, ActivationPlan activation, string? pieces, string output)
    {
        string weights = c.Copy(this, "PackedWeights", PackedOffset, PackedWeightCount), bias = c.Copy(this, "PackedBias", PackedOffset + PackedWeightCount, PaddedRows);
        string target = pieces ?? output;
        if (c.IsOneSample)
            c.Call($"{Names.Kernels}.PackedDenseKernels.ForwardOne", c.In(this), weights, bias, target, In, Rows, activation.Expression);
        else
            c.Call($"{Names.Kernels}.PackedDenseKernels.Forward", c.In(this), weights, bias, target, c.Batch, In, Rows, activation.Expression);
        activation.EmitEpilogue(c, pieces, output, Units);
    }

    private void EmitUnrolled(EmitContext c, ActivationPlan activation, string weights, string bias, bool hasBias, string? pieces, string output)
    {
        c.Call(UnrolledName(c.Layout, activation, hasBias), c.In(this), weights, bias, "default", pieces ?? output, c.Batch);
        activation.EmitEpilogue(c, pieces, output, Units);
    }

    // ---- unrolled products ----

    /// <summary>
    /// The generated method computing this product with <paramref name="activation"/> fused, named after the first
    /// Dense that needs that exact method (same sizes, activation and bias), so equal methods are written once.
    /// </summary>
    private string UnrolledName(NetworkLayout layout, ActivationPlan activation, bool hasBias)
    {
        var key = (Rows, In, activation, hasBias);
        foreach (var (dense, folded, act, bias) in UnrolledUses(layout))
            if ((dense.Rows, dense.In, act, bias) == key)
                return $"Dense{dense.Number}{(folded ? "Folded" : "")}Forward";
        throw new InvalidOperationException("no unrolled method for " + Name);
    }

    // Every unrolled product the network runs: each small Dense with its own activation, and with a folded BatchNorm's.
    private static IEnumerable<(DenseOp Dense, bool Folded, ActivationPlan Activation, bool HasBias)> UnrolledUses(NetworkLayout layout)
    {
        foreach (DenseOp d in layout.Ops.OfType<DenseOp>().Where(d => d.Rows <= UnrollRows))
        {
            yield return (d, false, d.Activation, d.HasBias);
            if (d.FoldedBy >= 0) yield return (d, true, layout.Op(d.FoldedBy).Activation, true);
        }
    }

    /// <summary>The unrolled methods small products need, each once.</summary>
    public static void EmitUnrolledMethods(CodeWriter w, NetworkLayout layout)
    {
        var written = new HashSet<(int, int, ActivationPlan, bool)>();
        foreach (var (dense, folded, activation, hasBias) in UnrolledUses(layout))
            if (written.Add((dense.Rows, dense.In, activation, hasBias)))
                dense.EmitUnrolledMethod(w, folded, activation, hasBias);
    }

    private void EmitUnrolledMethod(CodeWriter w, bool folded, ActivationPlan activation, bool hasBias)
    {
        int n = In, rows = Rows;
        bool identity = !activation.IsElementwise || activation.IsIdentity;
        string name = $"Dense{Number}{(folded ? "Folded" : "")}Forward";
        w.Line($"// {Name}{(folded ? " with batchnorm folded in" : "")}, unrolled: {rows} outputs of {n} inputs each{(identity ? "" : ", " + activation.Kind + " inlined")}.");
        w.Line($"[{Names.MethodImpl}({Names.MethodImplOptions}.AggressiveInlining)]");
        w.OpenWrapped($"private static void {name}",
            [$"{Names.ReadOnlySpan} x", $"{Names.ReadOnlySpan} w", $"{Names.ReadOnlySpan} b", $"{Names.Span} z", $"{Names.Span} a", "int batch"]);
        if (!identity) w.Line($"var f = {activation.Expression};");
        w.Open("for (int r = 0; r < batch; r++)");
        w.Line($"{Names.ReadOnlySpan} xr = x.Slice(r * {n}, {n});");
        w.Line($"{Names.Span} ar = a.Slice(r * {rows}, {rows});");
        for (int o = 0; o < rows; o++)
        {
            string head = $"float s{o} = {(hasBias ? $"b[{o}] + " : "")}";
            if (n > ScalarDotInputs)
                w.Line($"{head}{Names.Kernels}.DenseKernels.Dot(xr, w.Slice({o * n}, {n}));");
            else
                SumTree.Write(w, head, Enumerable.Range(0, n).Select(i => $"w[{o * n + i}] * xr[{i}]").ToList());
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
}

/// <summary>A sum written as a balanced tree (its dependency chain log2(n) long instead of n), across lines when long.</summary>
internal static class SumTree
{
    public static void Write(CodeWriter w, string head, IList<string> terms)
    {
        string single = Render(terms);
        if (w.Indent * 4 + head.Length + single.Length + 1 <= CodeWriter.MaxLine)
        {
            w.Line(head + single + ";");
            return;
        }
        // The same tree, its top-level halves (recursively, while too long) on lines of their own.
        var lines = new List<string>();
        Split(terms, lines, w.Indent * 4 + head.Length + 4);
        w.Line(head + lines[0] + (lines.Count == 1 ? ";" : ""));
        for (int i = 1; i < lines.Count; i++) w.Line("    " + lines[i] + (i == lines.Count - 1 ? ";" : ""));
    }

    private static string Render(IList<string> terms)
    {
        if (terms.Count == 1) return terms[0];
        int half = terms.Count / 2;
        return $"({Render(terms.Take(half).ToList())} + {Render(terms.Skip(half).ToList())})";
    }

    // "(" + left + " + " + right + ")" as lines: the opening parenthesis starts the first, the closing one ends the last.
    private static void Split(IList<string> terms, List<string> lines, int room)
    {
        string rendered = Render(terms);
        if (terms.Count == 1 || rendered.Length + room <= CodeWriter.MaxLine)
        {
            lines.Add(rendered);
            return;
        }
        int half = terms.Count / 2;
        var left = new List<string>();
        var right = new List<string>();
        Split(terms.Take(half).ToList(), left, room + 1);
        Split(terms.Skip(half).ToList(), right, room + 3);
        left[0] = "(" + left[0];
        right[0] = "+ " + right[0];
        right[right.Count - 1] += ")";
        lines.AddRange(left);
        lines.AddRange(right);
    }
}
