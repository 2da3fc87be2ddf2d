using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using StaticNets.Generator.Emitting;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;
using StaticNets.Generator.Runtime;

namespace StaticNets.Generator.Layers;

/// <summary>[PReLU]: an activation with a learnable slope per feature (per channel of an image): an op of its own.</summary>
internal sealed class PReLUKind : ILayerKind
{
    public Type AttributeType => typeof(PReLUAttribute);

    public void Read(LayerSpec layer, LayerReader reader)
    {
        if (!reader.CanTakeActivation)
        {
            reader.OutOfPlace(layer, "PReLU is an activation: it must directly follow a layer that computes new values ([Dense], [Conv2D], a normalization or [Add]), one activation each");
            return;
        }
        double slope = layer.As<PReLUAttribute>().InitialSlope;
        if (!LayerReader.IsFinite(slope))
            reader.Invalid(layer, "InitialSlope", slope, "the initial slope must be finite");
        reader.TakeActivationSlot();
        reader.AddOp(new PReLUOp { Output = reader.Current, InitialSlope = (float)slope }, layer);
    }
}

/// <summary>PReLU with one learnable slope per channel (per feature of a vector); inference reads the slopes from the inference copy.</summary>
internal sealed record PReLUOp : OpPlan
{
    public float InitialSlope { get; init; }
    public int SlopeOffset { get; init; }
    public int InferenceOffset { get; init; }

    public override string Prefix => "prelu";
    public override string Title => "PReLU";
    public override string Token => "PReLU";
    public override BigInteger ParameterCount => Input.Channels;
    public override long Flops => Output.LongSize;

    public int Channels => Input.Channels;

    private TensorPlan Slope => new($"{Name}.weight", View + "Slope", SlopeOffset, new[] { Channels }.ToEquatableArray(), "Slope", false, "Slopes α");

    public override IEnumerable<TensorPlan> Tensors => [Slope];

    public override OpPlan Plan(PlanContext context) => this with
    {
        SlopeOffset = context.TakeParameters(Channels),
        InferenceOffset = context.TakeInference(Channels),
    };

    public override void EmitInitialize(CodeWriter w, string rng) => w.Line($"{Slope.View}.Fill({Format.FloatLiteral(InitialSlope)});");

    // Vectors: one slope per feature; images: one per channel, over its plane.
    private object[] Sizes(EmitContext c) => Input.IsFlat ? [c.Batch, Channels] : [c.Batch, Channels, Input.Plane];

    private string Kernel(string name) => $"{Names.Kernels}.ElementwiseKernels.{name}{(Input.IsFlat ? "" : "Channels")}";

    public override void EmitForward(EmitContext c) => c.Call(Kernel("PReLUForward"), [c.In(this), c.Parameter(Slope), c.Out(this), .. Sizes(c)]);

    public override void EmitBackward(EmitContext c, string dz, string target)
    {
        c.Line($"{c.Gradient(Slope)}.Clear(); // the kernel adds into it");
        c.Call(Kernel("PReLUBackward"), [c.In(this), c.Parameter(Slope), dz, target, c.Gradient(Slope), .. Sizes(c)]);
    }

    public override void EmitInference(EmitContext c) =>
        c.Call(Kernel("PReLUForward"), [c.In(this), c.Copy(this, "Slope", InferenceOffset, Channels), c.Out(this), .. Sizes(c)]);

    public override void EmitWriteInference(EmitContext c) =>
        c.Line($"{c.Parameter(Slope)}.CopyTo({c.Copy(this, "Slope", InferenceOffset, Channels)});");
}
