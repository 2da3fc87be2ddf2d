using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using StaticNets.Generator.Emitting;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;
using StaticNets.Generator.Runtime;

namespace StaticNets.Generator.Layers;

/// <summary>[LayerNorm]: each sample normalized over all its values, scaled and shifted per value (PyTorch's LayerNorm over the sample's shape).</summary>
internal sealed class LayerNormKind : ILayerKind
{
    public Type AttributeType => typeof(LayerNormAttribute);

    public void Read(LayerSpec layer, LayerReader reader)
    {
        if (!reader.RequireBetweenLayers(layer)) return;
        double epsilon = layer.As<LayerNormAttribute>().Epsilon;
        if (!(LayerReader.IsFinite(epsilon) && epsilon > 0))
            reader.Invalid(layer, "Epsilon", epsilon, "epsilon must be finite and positive");
        reader.AddOp(new LayerNormOp { Output = reader.Current, Epsilon = (float)epsilon }, layer);
    }
}

/// <summary>
/// LayerNorm over a sample's <see cref="Size"/> values; γ and β have one value each (for an image [C, H, W], as
/// PyTorch's LayerNorm([C, H, W])). The same in training and inference; inference reads γ and β from the inference copy.
/// </summary>
internal sealed record LayerNormOp : OpPlan, INormalizationOp
{
    public float Epsilon { get; init; }
    public int GammaOffset { get; init; }
    public int BetaOffset { get; init; }
    public int InferenceOffset { get; init; }

    public override string Prefix => "layernorm";
    public override string Title => "LayerNorm";
    public override bool AcceptsActivation => true;
    public override string Token => $"LayerNorm(eps={Format.Float(Epsilon)})";
    public override BigInteger ParameterCount => 2 * (BigInteger)Input.LongSize;
    public override long Flops => 8 * Output.LongSize; // mean, variance, normalization, scale and shift

    public int Size => Input.Size;

    private EquatableArray<int> TensorShape => (Input.IsFlat ? new[] { Size } : new[] { Input.Channels, Input.Height, Input.Width }).ToEquatableArray();
    private TensorPlan Gamma => new($"{Name}.weight", View + "Gamma", GammaOffset, TensorShape, "NormScale", false, "Scale γ");
    private TensorPlan Beta => new($"{Name}.bias", View + "Beta", BetaOffset, TensorShape, "NormShift", false, "Shift β");

    public override IEnumerable<TensorPlan> Tensors => [Gamma, Beta];

    public override OpPlan Plan(PlanContext context) => this with
    {
        GammaOffset = context.TakeParameters(Size),
        BetaOffset = context.TakeParameters(Size),
        InferenceOffset = context.TakeInference(2L * Size),
    };

    public override void EmitInitialize(CodeWriter w, string rng) => w.Line($"{Gamma.View}.Fill(1f);");

    public override IEnumerable<BufferPlan> Buffers(bool trainable) =>
        trainable ? [new BufferPlan(Name + "Xhat", Size), new BufferPlan(Name + "InvStd", 1)] : [];

    public override void EmitForward(EmitContext c)
    {
        c.Call($"{Names.Kernels}.NormalizationKernels.LayerNorm", c.In(this), c.Parameter(Gamma), c.Parameter(Beta), c.Buffer(this, "Xhat", Size),
            c.Buffer(this, "InvStd", 1), c.Z(this) ?? "default", c.Out(this), c.Batch, Size, Epsilon, Activation.Expression);
        Activation.EmitEpilogue(c, null, c.Out(this), Size);
    }

    public override void EmitBackward(EmitContext c, string dz, string target)
    {
        c.Line($"{c.Gradient(Gamma)}.Clear();"); // the kernel adds into the parameter gradients
        c.Line($"{c.Gradient(Beta)}.Clear();");
        c.Call($"{Names.Kernels}.NormalizationKernels.LayerNormBackward", dz, c.Buffer(this, "Xhat", Size), c.Buffer(this, "InvStd", 1),
            c.Parameter(Gamma), c.Gradient(Gamma), c.Gradient(Beta), target, c.Batch, Size);
    }

    public override void EmitInference(EmitContext c)
    {
        c.Call($"{Names.Kernels}.NormalizationKernels.LayerNorm", c.In(this), c.Copy(this, "Gamma", InferenceOffset, Size), c.Copy(this, "Beta", InferenceOffset + Size, Size),
            "default", "default", "default", c.Out(this), c.Batch, Size, Epsilon, Activation.Expression);
        Activation.EmitEpilogue(c, null, c.Out(this), Size);
    }

    public override void EmitWriteInference(EmitContext c)
    {
        c.Line($"{c.Parameter(Gamma)}.CopyTo({c.Copy(this, "Gamma", InferenceOffset, Size)});");
        c.Line($"{c.Parameter(Beta)}.CopyTo({c.Copy(this, "Beta", InferenceOffset + Size, Size)});");
    }
}
