using System;
using StaticNets.Generator.Emitting;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;
using StaticNets.Generator.Runtime;

namespace StaticNets.Generator.Layers;

/// <summary>[SpatialDropout(rate)]: drops whole channels of an image (PyTorch's Dropout2d), on in training only.</summary>
internal sealed class SpatialDropoutKind : ILayerKind
{
    public Type AttributeType => typeof(SpatialDropoutAttribute);

    public void Read(LayerSpec layer, LayerReader reader)
    {
        if (!reader.RequireBetweenLayers(layer) || !reader.RequireImage(layer)) return;
        double rate = layer.As<SpatialDropoutAttribute>().Rate;
        if (!(rate >= 0 && rate < 1))
            reader.Invalid(layer, "rate", rate, "the dropout rate must be in [0, 1): the probability of dropping a channel");
        reader.AddOp(new SpatialDropoutOp { Output = reader.Current, Rate = (float)rate }, layer);
    }
}

/// <summary>Dropout with one mask value per sample and channel, applied to the channel's whole plane.</summary>
internal sealed record SpatialDropoutOp : DropoutOp
{
    public override string Prefix => "spatialdropout";
    public override string Title => "SpatialDropout";
    public override string Token => $"SpatialDropout({Format.Float(Rate)})";

    protected override int MaskWidth => Output.Channels;

    protected override void EmitDrop(EmitContext c) =>
        c.Call($"{Names.Kernels}.ElementwiseKernels.SpatialDropoutForward", c.In(this), Mask(c), c.Out(this), c.Batch, Output.Channels, Output.Plane, Rate, "_rng");

    public override void EmitBackward(EmitContext c, string dz, string target) =>
        c.InputGradient(target, () =>
            c.Call($"{Names.Kernels}.ElementwiseKernels.SpatialDropoutBackward", dz, Mask(c), target, c.Batch, Output.Channels, Output.Plane));
}
