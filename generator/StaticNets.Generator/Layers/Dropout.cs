using System;
using System.Collections.Generic;
using StaticNets.Generator.Emitting;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;
using StaticNets.Generator.Runtime;

namespace StaticNets.Generator.Layers;

/// <summary>[Dropout(rate)]: inverted dropout of single values, on in training (and in Monte-Carlo prediction), else the identity.</summary>
internal sealed class DropoutKind : ILayerKind
{
    public Type AttributeType => typeof(DropoutAttribute);

    public void Read(LayerSpec layer, LayerReader reader)
    {
        if (!reader.RequireBetweenLayers(layer)) return;
        double rate = layer.As<DropoutAttribute>().Rate;
        if (!(rate >= 0 && rate < 1))
            reader.Invalid(layer, "rate", rate, "the dropout rate must be in [0, 1): the probability of dropping a value");
        reader.AddOp(new DropoutOp { Output = reader.Current, Rate = (float)rate }, layer);
    }
}

/// <summary>
/// Each value kept with probability 1 − <see cref="Rate"/> and scaled by 1/(1 − rate), or zeroed: the mask (0 or the
/// scale per value) is kept for backward. One-sample inference passes its input on untouched.
/// </summary>
internal record DropoutOp : OpPlan, IStochasticOp
{
    public float Rate { get; init; }

    public override string Prefix => "dropout";
    public override string Title => "Dropout";
    public override string Token => $"Dropout({Format.Float(Rate)})";
    public override string Describe => $"{Name}: {Output}, rate {Format.Float(Rate)}";

    public override bool AliasesInput(EmitMode mode) => mode == EmitMode.InferenceOne;

    /// <summary>Mask values per sample: one per value (one per channel for SpatialDropout).</summary>
    protected virtual int MaskWidth => Output.Size;

    public override IEnumerable<BufferPlan> Buffers(bool trainable) => [new BufferPlan(Name + "Mask", MaskWidth)];

    public string Mask(EmitContext c) => c.Buffer(this, "Mask", MaskWidth);

    public override void EmitForward(EmitContext c) => EmitDrop(c);

    /// <summary>Draws the masks and applies them: training, and Monte-Carlo prediction.</summary>
    protected virtual void EmitDrop(EmitContext c) =>
        c.Call($"{Names.Kernels}.ElementwiseKernels.DropoutForward", c.In(this), Mask(c), c.Out(this), Rate, "_rng");

    public override void EmitBackward(EmitContext c, string dz, string target) =>
        c.InputGradient(target, () => c.Call($"{Names.Kernels}.ElementwiseKernels.DropoutBackward", dz, Mask(c), target));

    public override void EmitInference(EmitContext c)
    {
        if (c.IsOneSample)
        {
            // Its output is its input, unless it ends the network: then the caller's output receives a copy.
            if (c.Out(this) != c.In(this)) c.Line($"{c.In(this)}.CopyTo({c.Out(this)});");
            return;
        }
        c.Open("if (dropout)");
        EmitDrop(c);
        c.Close();
        c.Open("else");
        c.Line($"{c.In(this)}.CopyTo({c.Out(this)});");
        c.Close();
    }
}
