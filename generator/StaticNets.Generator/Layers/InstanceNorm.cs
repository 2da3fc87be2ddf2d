using System;
using StaticNets.Generator.Diagnostics;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;
using StaticNets.Generator.Runtime;

namespace StaticNets.Generator.Layers;

/// <summary>[InstanceNorm]: each channel of each sample normalized over its plane; GroupNorm with one channel per group.</summary>
internal sealed class InstanceNormKind : ILayerKind
{
    public Type AttributeType => typeof(InstanceNormAttribute);

    public void Read(LayerSpec layer, LayerReader reader)
    {
        if (!reader.RequireBetweenLayers(layer) || !reader.RequireImage(layer)) return;
        double epsilon = layer.As<InstanceNormAttribute>().Epsilon;
        if (!(LayerReader.IsFinite(epsilon) && epsilon > 0))
            reader.Invalid(layer, "Epsilon", epsilon, "epsilon must be finite and positive");
        Shape input = reader.Current;
        reader.AddOp(new InstanceNormOp { Output = input, Groups = input.Channels, Epsilon = (float)epsilon }, layer);
    }
}

/// <summary>GroupNorm with as many groups as channels, under its own name (instancenorm1.weight, InstanceNorm1Gamma).</summary>
internal sealed record InstanceNormOp : GroupNormOp
{
    public override string Prefix => "instancenorm";
    public override string Title => "InstanceNorm";
    public override string Token => $"InstanceNorm(eps={Format.Float(Epsilon)})";
}
