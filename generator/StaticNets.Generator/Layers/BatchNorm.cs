using System;
using System.Collections.Generic;
using System.Numerics;
using StaticNets.Generator.Emitting;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;
using StaticNets.Generator.Runtime;

namespace StaticNets.Generator.Layers;

/// <summary>[BatchNorm]: batch normalization per feature of a vector, or per channel of an image (over batch, rows and columns).</summary>
internal sealed class BatchNormKind : ILayerKind
{
    public Type AttributeType => typeof(BatchNormAttribute);

    public void Read(LayerSpec layer, LayerReader reader)
    {
        if (!reader.RequireBetweenLayers(layer)) return;
        var a = layer.As<BatchNormAttribute>();
        if (!(a.Momentum >= 0 && a.Momentum <= 1))
            reader.Invalid(layer, "Momentum", a.Momentum, "the momentum of the running statistics must be in [0, 1] (PyTorch's default is 0.1)");
        if (!(LayerReader.IsFinite(a.Epsilon) && a.Epsilon > 0))
            reader.Invalid(layer, "Epsilon", a.Epsilon, "epsilon must be finite and positive");
        reader.AddOp(new BatchNormOp { Output = reader.Current, Momentum = (float)a.Momentum, Epsilon = (float)a.Epsilon }, layer);
    }
}

/// <summary>
/// A layer a BatchNorm right after it folds into at inference (it scales its outputs and shifts them), so the two run
/// as one: Dense and Conv2D.
/// </summary>
internal interface IFoldsBatchNorm
{
    /// <summary>
    /// Floats of the inference block the folded result takes in the BatchNorm's slot; 0 when the BatchNorm keeps its
    /// scale and shift there and the layer reads them while writing its own copy.
    /// </summary>
    long FoldedCopyLength(BatchNormOp bn);

    /// <summary>Writes the folded copy (the BatchNorm's scale and shift are written first, when it keeps them).</summary>
    void EmitWriteFolded(EmitContext c, BatchNormOp bn);

    /// <summary>Inference of the layer with the BatchNorm folded in: from the layer's input to the BatchNorm's output, with its activation.</summary>
    void EmitFolded(EmitContext c, BatchNormOp bn);
}

/// <summary>
/// BatchNorm over <see cref="Channels"/> (the features of a vector, or an image's channels, each over its plane): γ, β in
/// the parameters, running mean and unbiased variance in the state, updated as PyTorch does. At inference it is folded
/// into the Dense or Conv2D before it (when that has no activation of its own and nothing else reads its output), else
/// applied as a scale and shift kept at <see cref="InferenceOffset"/>.
/// </summary>
internal sealed record BatchNormOp : OpPlan, INormalizationOp
{
    public float Momentum { get; init; }
    public float Epsilon { get; init; }
    public int GammaOffset { get; init; }
    public int BetaOffset { get; init; }
    public int MeanOffset { get; init; }
    public int VarianceOffset { get; init; }
    public int InferenceOffset { get; init; }

    /// <summary>The op it folds into at inference (its index), or −1.</summary>
    public int FoldsInto { get; init; } = -1;

    public override string Prefix => "batchnorm";
    public override string Title => "BatchNorm";
    public override bool AcceptsActivation => true;
    public override string Token => $"BatchNorm(eps={Format.Float(Epsilon)},momentum={Format.Float(Momentum)})";
    public override BigInteger ParameterCount => 2 * (BigInteger)Input.Channels;
    public override long Flops => 2 * Output.LongSize; // folded: a scale and a shift

    public int Channels => Input.Channels;

    /// <summary>Whether a BatchNorm right after <paramref name="producer"/> folds into it: the rule, in one place.</summary>
    public static bool Folds(OpPlan producer, PlanContext context) =>
        producer is IFoldsBatchNorm && producer.Activation.IsIdentity && context.Next(producer) is BatchNormOp && !context.IsSaved(producer.Index);

    private TensorPlan Gamma => Vector("weight", "Gamma", GammaOffset, "NormScale", false, "Scale γ");
    private TensorPlan Beta => Vector("bias", "Beta", BetaOffset, "NormShift", false, "Shift β");
    private TensorPlan Mean => Vector("running_mean", "RunningMean", MeanOffset, "RunningStatistic", true, "Running mean");
    private TensorPlan Variance => Vector("running_var", "RunningVariance", VarianceOffset, "RunningStatistic", true, "Running (unbiased) variance");

    private TensorPlan Vector(string name, string view, int offset, string kind, bool state, string doc) =>
        new($"{Name}.{name}", View + view, offset, new[] { Channels }.ToEquatableArray(), kind, state, doc);

    public override IEnumerable<TensorPlan> Tensors => [Gamma, Beta, Mean, Variance];

    public override OpPlan Plan(PlanContext context)
    {
        int gamma = context.TakeParameters(Channels), beta = context.TakeParameters(Channels);
        int mean = context.TakeState(Channels), variance = context.TakeState(Channels);
        OpPlan? producer = context.Previous(this);
        bool folds = producer is not null && Folds(producer, context);
        long folded = folds ? ((IFoldsBatchNorm)producer!).FoldedCopyLength(this) : 0;
        int copy = context.TakeInference(folded > 0 ? folded : 2L * Channels);
        return this with
        {
            GammaOffset = gamma, BetaOffset = beta, MeanOffset = mean, VarianceOffset = variance,
            InferenceOffset = copy, FoldsInto = folds ? producer!.Index : -1,
        };
    }

    public override void EmitInitialize(CodeWriter w, string rng)
    {
        w.Line($"{Gamma.View}.Fill(1f);");
        w.Line($"{Variance.View}.Fill(1f);");
    }

    public override IEnumerable<BufferPlan> Buffers(bool trainable)
    {
        if (!trainable) yield break;
        yield return new BufferPlan(Name + "Xhat", Output.Size);
        yield return new BufferPlan(Name + "InvStd", 0, Channels.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    // Vectors run the per-feature kernels; images the per-channel ones, which take the plane size too.
    private string Kernel(string name) => $"{Names.Kernels}.NormalizationKernels.{name}{(Input.IsFlat ? "" : "Channels")}";

    private object[] Sizes(EmitContext c) => Input.IsFlat ? [c.Batch, Channels] : [c.Batch, Channels, Input.Plane];

    public override void EmitForward(EmitContext c)
    {
        var arguments = new List<object>
        {
            c.In(this), c.Parameter(Gamma), c.Parameter(Beta), c.Parameter(Mean), c.Parameter(Variance),
            c.Buffer(this, "Xhat", Output.Size), c.Whole(Name + "InvStd"), c.Z(this) ?? "default", c.Out(this),
        };
        arguments.AddRange(Sizes(c));
        arguments.AddRange([Momentum, Epsilon, Activation.Expression]);
        c.Call(Kernel("BatchNormTrain"), arguments.ToArray());
        Activation.EmitEpilogue(c, null, c.Out(this), Output.Size);
    }

    public override void EmitBackward(EmitContext c, string dz, string target)
    {
        // The kernel adds into the parameter gradients.
        c.Line($"{c.Gradient(Gamma)}.Clear();");
        c.Line($"{c.Gradient(Beta)}.Clear();");
        var arguments = new List<object>
        {
            dz, c.Buffer(this, "Xhat", Output.Size), c.Whole(Name + "InvStd"), c.Parameter(Gamma), c.Gradient(Gamma), c.Gradient(Beta), target,
        };
        arguments.AddRange(Sizes(c));
        c.Call(Kernel("BatchNormBackward"), arguments.ToArray());
    }

    public override void EmitInference(EmitContext c)
    {
        if (FoldsInto >= 0)
        {
            c.Line($"// ({c.Layout.Op(FoldsInto).Name} with {Name} folded in)");
            ((IFoldsBatchNorm)c.Layout.Op(FoldsInto)).EmitFolded(c, this);
            return;
        }
        var arguments = new List<object> { c.In(this), ScaleCopy(c), ShiftCopy(c), c.Out(this) };
        arguments.AddRange(Sizes(c));
        arguments.Add(Activation.Expression);
        c.Call(Kernel("AffineForward"), arguments.ToArray());
        Activation.EmitEpilogue(c, null, c.Out(this), Output.Size);
    }

    public override void EmitWriteInference(EmitContext c)
    {
        var producer = FoldsInto >= 0 ? (IFoldsBatchNorm)c.Layout.Op(FoldsInto) : null;
        if (producer is null || producer.FoldedCopyLength(this) == 0)
        {
            var arguments = new List<object>(Statistics(c)) { ScaleCopy(c), ShiftCopy(c) };
            c.Call($"{Names.Kernels}.NormalizationKernels.BatchNormAffine", arguments.ToArray());
        }
        producer?.EmitWriteFolded(c, this);
    }

    /// <summary>γ, β, running mean and variance, ε: what folding reads.</summary>
    public object[] Statistics(EmitContext c) => [c.Parameter(Gamma), c.Parameter(Beta), c.Parameter(Mean), c.Parameter(Variance), Epsilon];

    /// <summary>The scale γ/√(var + ε) in the inference copy.</summary>
    public string ScaleCopy(EmitContext c) => c.Copy(this, "Scale", InferenceOffset, Channels);

    /// <summary>The shift β − scale·mean in the inference copy.</summary>
    public string ShiftCopy(EmitContext c) => c.Copy(this, "Shift", InferenceOffset + Channels, Channels);
}
