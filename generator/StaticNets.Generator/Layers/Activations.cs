using System;
using StaticNets.Generator.Emitting;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;
using StaticNets.Generator.Runtime;

namespace StaticNets.Generator.Layers;

/// <summary>The activation fused into the op that produces its input. Maxout and Softmax are not elementwise.</summary>
internal enum ActivationKind { Identity, ReLU, LeakyReLU, ELU, SELU, Sigmoid, Tanh, GeluErf, GeluTanh, Swish, Softplus, Maxout, Softmax }

/// <summary>An activation and its argument (alpha or beta) or, for maxout, its pieces; the attribute it came from and where.</summary>
internal sealed record ActivationPlan(ActivationKind Kind, float Value, int Pieces, string? Attribute = null, LocationInfo? Location = null)
{
    /// <summary>Its part of the architecture string, as written into it: the layer column of its summary row.</summary>
    public string? Token { get; init; }

    public static readonly ActivationPlan Identity = new(ActivationKind.Identity, 0f, 1);

    public bool IsIdentity => Kind == ActivationKind.Identity;

    public bool IsElementwise => Kind is not (ActivationKind.Maxout or ActivationKind.Softmax);

    /// <summary>An expression creating the activation struct the kernels are generic over (identity for maxout and softmax, applied after).</summary>
    public string Expression => Kind switch
    {
        ActivationKind.LeakyReLU or ActivationKind.ELU or ActivationKind.Swish or ActivationKind.Softplus => $"new {Names.Kernels}.{Kind}({Format.FloatLiteral(Value)})",
        ActivationKind.Maxout or ActivationKind.Softmax or ActivationKind.Identity => $"default({Names.Kernels}.Identity)",
        _ => $"default({Names.Kernels}.{Kind})",
    };

    /// <summary>
    /// Maxout and softmax run after the loop that produces their input (they are not elementwise): maxout from the
    /// pieces in <paramref name="pieces"/> to <paramref name="output"/>, softmax in place over <paramref name="units"/> per sample.
    /// </summary>
    public void EmitEpilogue(EmitContext c, string? pieces, string output, int units)
    {
        if (Kind == ActivationKind.Maxout)
            c.Call($"{Names.Kernels}.OutputKernels.MaxoutForward", pieces!, output, c.Batch, units, Pieces);
        else if (Kind == ActivationKind.Softmax)
            c.Call($"{Names.Kernels}.OutputKernels.Softmax", output, output, c.Batch, units);
    }
}

/// <summary>
/// An activation attribute: it fuses into the op before it (one that computes new values: a Dense, a convolution, a
/// normalization, an [Add]), one activation per op.
/// </summary>
internal abstract class ActivationKindBase : ILayerKind
{
    public abstract Type AttributeType { get; }

    /// <summary>The plan for this attribute, after reporting any invalid argument.</summary>
    protected abstract ActivationPlan Plan(LayerSpec layer, LayerReader reader);

    /// <summary>Its part of the architecture string.</summary>
    protected virtual string Token(ActivationPlan plan) => plan.Attribute!;

    public virtual void Read(LayerSpec layer, LayerReader reader)
    {
        if (!reader.CanTakeActivation)
        {
            reader.OutOfPlace(layer, "an activation must directly follow a layer that computes new values ([Dense], [Conv2D], a normalization or [Add]), one activation each");
            return;
        }
        ActivationPlan plan = Plan(layer, reader) with { Attribute = layer.Kind, Location = layer.Location };
        reader.SetActivation(plan, Token(plan));
    }

    protected static ActivationPlan Simple(ActivationKind kind) => new(kind, 0f, 1);

    protected static ActivationPlan Positive(LayerSpec layer, LayerReader reader, ActivationKind kind, string argument, double value, string why)
    {
        if (!(LayerReader.IsFinite(value) && value > 0)) reader.Invalid(layer, argument, value, why);
        return new ActivationPlan(kind, (float)value, 1);
    }
}

internal sealed class ReLUKind : ActivationKindBase
{
    public override Type AttributeType => typeof(ReLUAttribute);
    protected override ActivationPlan Plan(LayerSpec layer, LayerReader reader) => Simple(ActivationKind.ReLU);
}

internal sealed class LeakyReLUKind : ActivationKindBase
{
    public override Type AttributeType => typeof(LeakyReLUAttribute);
    protected override string Token(ActivationPlan plan) => $"LeakyReLU({Format.Float(plan.Value)})";
    protected override ActivationPlan Plan(LayerSpec layer, LayerReader reader)
    {
        double alpha = layer.As<LeakyReLUAttribute>().Alpha;
        if (!(LayerReader.IsFinite(alpha) && alpha >= 0)) reader.Invalid(layer, "alpha", alpha, "the negative slope must be finite and non-negative");
        return new ActivationPlan(ActivationKind.LeakyReLU, (float)alpha, 1);
    }
}

internal sealed class ELUKind : ActivationKindBase
{
    public override Type AttributeType => typeof(ELUAttribute);
    protected override string Token(ActivationPlan plan) => $"ELU({Format.Float(plan.Value)})";
    protected override ActivationPlan Plan(LayerSpec layer, LayerReader reader) =>
        Positive(layer, reader, ActivationKind.ELU, "alpha", layer.As<ELUAttribute>().Alpha, "alpha must be finite and positive");
}

internal sealed class SELUKind : ActivationKindBase
{
    public override Type AttributeType => typeof(SELUAttribute);
    protected override ActivationPlan Plan(LayerSpec layer, LayerReader reader) => Simple(ActivationKind.SELU);
}

internal sealed class SigmoidKind : ActivationKindBase
{
    public override Type AttributeType => typeof(SigmoidAttribute);
    protected override ActivationPlan Plan(LayerSpec layer, LayerReader reader) => Simple(ActivationKind.Sigmoid);
}

internal sealed class TanhKind : ActivationKindBase
{
    public override Type AttributeType => typeof(TanhAttribute);
    protected override ActivationPlan Plan(LayerSpec layer, LayerReader reader) => Simple(ActivationKind.Tanh);
}

internal sealed class GELUKind : ActivationKindBase
{
    public override Type AttributeType => typeof(GELUAttribute);
    protected override string Token(ActivationPlan plan) => plan.Kind == ActivationKind.GeluTanh ? "GELU(tanh)" : "GELU";
    protected override ActivationPlan Plan(LayerSpec layer, LayerReader reader) =>
        Simple(layer.As<GELUAttribute>().Approximate ? ActivationKind.GeluTanh : ActivationKind.GeluErf);
}

internal sealed class SwishKind : ActivationKindBase
{
    public override Type AttributeType => typeof(SwishAttribute);
    protected override string Token(ActivationPlan plan) => $"Swish({Format.Float(plan.Value)})";
    protected override ActivationPlan Plan(LayerSpec layer, LayerReader reader) =>
        Positive(layer, reader, ActivationKind.Swish, "beta", layer.As<SwishAttribute>().Beta, "beta must be finite and positive");
}

internal sealed class SoftplusKind : ActivationKindBase
{
    public override Type AttributeType => typeof(SoftplusAttribute);
    protected override string Token(ActivationPlan plan) => $"Softplus({Format.Float(plan.Value)})";
    protected override ActivationPlan Plan(LayerSpec layer, LayerReader reader) =>
        Positive(layer, reader, ActivationKind.Softplus, "beta", layer.As<SoftplusAttribute>().Beta, "beta must be finite and positive");
}

/// <summary>Softmax over a sample's values; only as the last layer.</summary>
internal sealed class SoftmaxKind : ActivationKindBase
{
    public override Type AttributeType => typeof(SoftmaxAttribute);
    protected override ActivationPlan Plan(LayerSpec layer, LayerReader reader)
    {
        if (!reader.IsLast) reader.OutOfPlace(layer, "Softmax is only allowed as the last layer");
        return Simple(ActivationKind.Softmax);
    }
}

/// <summary>Maxout over pieces: only right after a Dense, which then computes units × pieces values.</summary>
internal sealed class MaxoutKind : ActivationKindBase
{
    public override Type AttributeType => typeof(MaxoutAttribute);
    protected override string Token(ActivationPlan plan) => $"Maxout({plan.Pieces})";

    public override void Read(LayerSpec layer, LayerReader reader)
    {
        if (reader.CanTakeActivation && reader.Last is not DenseOp)
        {
            reader.OutOfPlace(layer, "Maxout must directly follow a [Dense], whose units it groups into pieces");
            return;
        }
        base.Read(layer, reader);
    }

    protected override ActivationPlan Plan(LayerSpec layer, LayerReader reader)
    {
        int pieces = layer.As<MaxoutAttribute>().Pieces;
        if (pieces < 2) reader.TooSmall(layer, pieces, "pieces", 2);
        return new ActivationPlan(ActivationKind.Maxout, 0f, Math.Max(pieces, 1));
    }
}
