using System;
using System.Collections.Generic;
using System.Numerics;
using StaticNets.Generator.Diagnostics;
using StaticNets.Generator.Emitting;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;
using StaticNets.Generator.Runtime;

namespace StaticNets.Generator.Layers;

/// <summary>[Conv2D(filters, kernel, stride, padding)]: a 2-D convolution over an image.</summary>
internal sealed class Conv2DKind : ILayerKind
{
    public Type AttributeType => typeof(Conv2DAttribute);

    public void Read(LayerSpec layer, LayerReader reader)
    {
        var a = layer.As<Conv2DAttribute>();
        bool valid = true;
        foreach (var (value, what) in new[] { (a.Filters, "filters"), (a.KernelHeight, "kernel rows"), (a.KernelWidth, "kernel columns"), (a.StrideHeight, "stride rows"), (a.StrideWidth, "stride columns") })
        {
            if (value >= 1) continue;
            reader.TooSmall(layer, value, what, 1);
            valid = false;
        }
        // A square setting is one argument as written (padding: …): its problems are reported once.
        bool square = a.PaddingHeight == a.PaddingWidth && a.KernelHeight == a.KernelWidth && a.StrideHeight == a.StrideWidth;
        foreach (var (value, name) in square ? new[] { (a.PaddingHeight, "padding") } : new[] { (a.PaddingHeight, "PaddingHeight"), (a.PaddingWidth, "PaddingWidth") })
        {
            if (value >= 0 || value == Padding.Same) continue;
            reader.Invalid(layer, name, value, "the padding must be a number of zero rows or columns (0 or more), or Padding.Same");
            valid = false;
        }
        WeightInit.Check(layer, reader, a.Init, a.InitScale, a.Bias, a.BiasInit);
        if (!reader.RequireImage(layer) || !valid) return;

        Shape input = reader.Current;
        int padH = Resolve(layer, reader, a.PaddingHeight, a.KernelHeight, a.StrideHeight, "rows");
        int padW = square ? padH : Resolve(layer, reader, a.PaddingWidth, a.KernelWidth, a.StrideWidth, "columns");
        if (padH < 0 || padW < 0) return;
        string? problem = null;
        if (a.KernelHeight > input.Height + 2L * padH)
            problem = $"a kernel of {a.KernelHeight} rows is taller than the input's {input.Height} rows{(padH > 0 ? $" with {padH} rows of padding on each side" : "")}";
        else if (a.KernelWidth > input.Width + 2L * padW)
            problem = $"a kernel of {a.KernelWidth} columns is wider than the input's {input.Width} columns{(padW > 0 ? $" with {padW} columns of padding on each side" : "")}";
        if (problem is not null)
        {
            reader.Report(DiagnosticInfo.Create(DiagnosticDescriptors.DoesNotFitInput, layer.Location, layer.Kind, $"shape {input}", problem + "; use a smaller kernel, padding, or fewer pooling layers before it"));
            return;
        }
        int outH = (int)((input.Height + 2L * padH - a.KernelHeight) / a.StrideHeight + 1);
        int outW = (int)((input.Width + 2L * padW - a.KernelWidth) / a.StrideWidth + 1);
        reader.AddOp(new Conv2DOp
        {
            Output = new Shape(a.Filters, outH, outW),
            KernelHeight = a.KernelHeight, KernelWidth = a.KernelWidth,
            StrideHeight = a.StrideHeight, StrideWidth = a.StrideWidth,
            PaddingHeight = padH, PaddingWidth = padW,
            HasBias = a.Bias, Init = a.Init, InitScale = (float)a.InitScale, BiasInit = (float)a.BiasInit,
        }, layer);
    }

    // Padding.Same keeps the size: (k − 1)/2 on each side, for stride 1 and an odd kernel (PyTorch's 'same' refuses strides too).
    private static int Resolve(LayerSpec layer, LayerReader reader, int padding, int kernel, int stride, string what)
    {
        if (padding != Padding.Same) return padding;
        if (stride != 1)
            reader.Invalid(layer, "padding", "Padding.Same", $"'same' padding keeps the size only with stride 1 ({what} stride is {stride}); give the padding as a number");
        else if (kernel % 2 == 0)
            reader.Invalid(layer, "padding", "Padding.Same", $"'same' padding needs an odd kernel to pad both sides alike ({what}: {kernel}); give the padding as a number");
        else
            return (kernel - 1) / 2;
        return -1;
    }
}

/// <summary>
/// Y = W ∗ x + b per sample, W [Filters, In channels, Kh, Kw] (PyTorch's layout), through ConvolutionKernels (im2col and
/// the matrix-multiply core). Inference reads a copy of W and b at <see cref="CopyOffset"/>; a BatchNorm right after it
/// folds into that copy, per output channel, as into a Dense's rows.
/// </summary>
internal sealed record Conv2DOp : OpPlan, IFoldsBatchNorm
{
    public int KernelHeight { get; init; }
    public int KernelWidth { get; init; }
    public int StrideHeight { get; init; }
    public int StrideWidth { get; init; }
    public int PaddingHeight { get; init; }
    public int PaddingWidth { get; init; }
    public bool HasBias { get; init; }
    public Init Init { get; init; }
    public float InitScale { get; init; }
    public float BiasInit { get; init; }
    public float NegativeSlope { get; init; }
    public int WeightOffset { get; init; }
    public int BiasOffset { get; init; } = -1;
    public int CopyOffset { get; init; } = -1;
    public bool BiasCancelled { get; init; }

    /// <summary>The BatchNorm folded into it at inference (its index), or −1.</summary>
    public int FoldedBy { get; init; } = -1;

    public override string Prefix => "conv";
    public override string Title => "Conv";
    public override bool AcceptsActivation => true;

    public override string Token =>
        $"Conv2D({Filters},{KernelHeight}x{KernelWidth},stride={StrideHeight}x{StrideWidth},padding={PaddingHeight}x{PaddingWidth}{(HasBias ? "" : ",bias=false")})";

    public override BigInteger ParameterCount => (BigInteger)Filters * Patch + (HasBias ? Filters : 0);
    public override long Flops => (2L * Patch + (HasBias ? 1 : 0)) * Output.LongSize;

    public override string Describe =>
        $"{Name}: {Input} -> {Output}, {KernelHeight}×{KernelWidth} kernel, stride {StrideHeight}, padding {PaddingHeight}{(Activation.IsIdentity ? "" : ", " + Activation.Kind)}";

    public int Filters => Output.Channels;
    public int Patch => Input.Channels * KernelHeight * KernelWidth;
    public int WeightCount => Filters * Patch;
    private bool Pointwise => KernelHeight == 1 && KernelWidth == 1 && StrideHeight == 1 && StrideWidth == 1 && PaddingHeight == 0 && PaddingWidth == 0;
    private int ColumnLength => Patch * Output.Plane;

    private TensorPlan WeightTensor => new($"{Name}.weight", View + "Weights", WeightOffset,
        new[] { Filters, Input.Channels, KernelHeight, KernelWidth }.ToEquatableArray(), "Weight", false, "Weights");

    private TensorPlan BiasTensor => new($"{Name}.bias", View + "Bias", BiasOffset, new[] { Filters }.ToEquatableArray(), "Bias", false, "Bias");

    public override IEnumerable<TensorPlan> Tensors => HasBias ? [WeightTensor, BiasTensor] : [WeightTensor];

    /// <summary>The ConvolutionShape the kernels take, as an expression.</summary>
    private string ShapeExpression =>
        $"new {Names.Kernels}.ConvolutionShape({Input.Channels}, {Input.Height}, {Input.Width}, {Filters}, {KernelHeight}, {KernelWidth}, " +
        $"{StrideHeight}, {StrideWidth}, {PaddingHeight}, {PaddingWidth})";

    public override OpPlan Plan(PlanContext context)
    {
        WeightPlan w = WeightInit.Plan(this, context, WeightCount, Filters, HasBias, Init, $"Conv2D({Filters}, {KernelHeight})");
        return this with
        {
            WeightOffset = w.WeightOffset,
            BiasOffset = w.BiasOffset,
            Init = w.Init,
            NegativeSlope = w.NegativeSlope,
            CopyOffset = w.Folded ? -1 : context.TakeInference((long)WeightCount + (HasBias ? Filters : 0)),
            BiasCancelled = w.BiasCancelled,
            FoldedBy = w.Folded ? Index + 1 : -1,
        };
    }

    public override void EmitInitialize(CodeWriter w, string rng)
    {
        WeightInit.Initialize(w, WeightTensor.View, $"{Filters}, {Input.Channels}, {KernelHeight}, {KernelWidth}", Init, InitScale, NegativeSlope,
            HasBias ? BiasTensor.View : null, BiasInit, rng);
    }

    /// <summary>
    /// Every convolution shares one scratch, as large as the largest needs: its size is the kernels' own
    /// (ConvolutionShape.ScratchLength in training, BatchScratchLength for batched inference).
    /// </summary>
    public override IEnumerable<BufferPlan> Buffers(bool trainable)
    {
        yield return new BufferPlan("convolutionScratch", 0, $"{ShapeExpression}.{(trainable ? "ScratchLength" : "BatchScratchLength")}");
    }

    public override int InferenceScratch => Pointwise ? 0 : ColumnLength;

    public override string InferenceScratchName => "convolutionScratch";

    public override bool SkippedAtInference => FoldedBy >= 0;

    private string Scratch(EmitContext c) =>
        c.IsOneSample ? (InferenceScratch > 0 ? c.InferenceScratch(this) : "default") : c.Whole("convolutionScratch");

    private string Bias(EmitContext c) => HasBias ? c.Parameter(BiasTensor) : "default";

    public override void EmitForward(EmitContext c)
    {
        c.Call($"{Names.Kernels}.ConvolutionKernels.Forward", c.In(this), c.Parameter(WeightTensor), Bias(c), c.Z(this) ?? "default", c.Out(this),
            Scratch(c), c.Batch, ShapeExpression, Activation.Expression);
        Activation.EmitEpilogue(c, null, c.Out(this), Output.Size);
    }

    public override void EmitBackward(EmitContext c, string dz, string target)
    {
        WeightInit.EmitParameterGradients(c, HasBias ? BiasTensor : null, BiasCancelled, biasGradient =>
            c.Call($"{Names.Kernels}.ConvolutionKernels.BackwardParameters", dz, c.In(this), c.Gradient(WeightTensor), biasGradient, Scratch(c), c.Batch, ShapeExpression));
        c.InputGradient(target, () =>
            c.Call($"{Names.Kernels}.ConvolutionKernels.BackwardInput", dz, c.Parameter(WeightTensor), target, Scratch(c), c.Batch, ShapeExpression));
    }

    public override void EmitInference(EmitContext c) =>
        Emit(c, c.Copy(this, "Weights", CopyOffset, WeightCount), HasBias ? c.Copy(this, "Bias", CopyOffset + WeightCount, Filters) : "default", Activation, c.Out(this));

    private void Emit(EmitContext c, string weights, string bias, ActivationPlan activation, string output)
    {
        c.Call($"{Names.Kernels}.ConvolutionKernels.Forward", c.In(this), weights, bias, "default", output, Scratch(c), c.Batch, ShapeExpression, activation.Expression);
        activation.EmitEpilogue(c, null, output, Output.Size);
    }

    public override void EmitWriteInference(EmitContext c)
    {
        if (FoldedBy >= 0) return; // the BatchNorm writes the folded copy
        c.Line($"{c.Parameter(WeightTensor)}.CopyTo({c.Copy(this, "Weights", CopyOffset, WeightCount)});");
        if (HasBias) c.Line($"{c.Parameter(BiasTensor)}.CopyTo({c.Copy(this, "Bias", CopyOffset + WeightCount, Filters)});");
    }

    // ---- a BatchNorm folded in: per output channel, its weights scaled and its bias shifted ----

    public long FoldedCopyLength(BatchNormOp bn) => (long)WeightCount + Filters;

    public void EmitFolded(EmitContext c, BatchNormOp bn) =>
        Emit(c, c.Copy(bn, "FoldedWeights", bn.InferenceOffset, WeightCount), c.Copy(bn, "FoldedBias", bn.InferenceOffset + WeightCount, Filters), bn.Activation, c.Out(bn));

    public void EmitWriteFolded(EmitContext c, BatchNormOp bn)
    {
        var arguments = new List<object> { c.Parameter(WeightTensor), Bias(c) };
        arguments.AddRange(bn.Statistics(c));
        arguments.AddRange([c.Copy(bn, "FoldedWeights", bn.InferenceOffset, WeightCount), c.Copy(bn, "FoldedBias", bn.InferenceOffset + WeightCount, Filters), Patch]);
        c.Call($"{Names.Kernels}.NormalizationKernels.FoldIntoDense", arguments.ToArray());
    }
}
