using System;
using System.Collections.Generic;
using StaticNets.Generator.Diagnostics;
using StaticNets.Generator.Emitting;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;
using StaticNets.Generator.Runtime;

namespace StaticNets.Generator.Layers;

/// <summary>[MaxPool2D(size, stride)] and [AvgPool2D(size, stride)]: windows of an image's channels, no padding.</summary>
internal abstract class PoolKindBase : ILayerKind
{
    public abstract Type AttributeType { get; }

    protected abstract (int Size, int Stride) Window(LayerSpec layer);

    protected abstract PoolOp Create();

    public void Read(LayerSpec layer, LayerReader reader)
    {
        var (size, stride) = Window(layer);
        bool valid = true;
        if (size < 1) { reader.TooSmall(layer, size, "window rows and columns", 1); valid = false; }
        if (stride < 1) { reader.TooSmall(layer, stride, "stride", 1); valid = false; }
        if (!reader.RequireImage(layer) || !valid) return;
        Shape input = reader.Current;
        if (size > input.Height || size > input.Width)
        {
            reader.Report(DiagnosticInfo.Create(DiagnosticDescriptors.DoesNotFitInput, layer.Location, layer.Kind, $"shape {input}",
                $"a {size}×{size} window is larger than the {input.Height}×{input.Width} plane; use a smaller window, or fewer pooling layers before it"));
            return;
        }
        var op = Create() with
        {
            Output = new Shape(input.Channels, (input.Height - size) / stride + 1, (input.Width - size) / stride + 1),
            Size = size,
            Stride = stride,
        };
        reader.AddOp(op, layer);
    }
}

internal sealed class MaxPool2DKind : PoolKindBase
{
    public override Type AttributeType => typeof(MaxPool2DAttribute);
    protected override (int Size, int Stride) Window(LayerSpec layer) => (layer.As<MaxPool2DAttribute>().Size, layer.As<MaxPool2DAttribute>().Stride);
    protected override PoolOp Create() => new MaxPoolOp();
}

internal sealed class AvgPool2DKind : PoolKindBase
{
    public override Type AttributeType => typeof(AvgPool2DAttribute);
    protected override (int Size, int Stride) Window(LayerSpec layer) => (layer.As<AvgPool2DAttribute>().Size, layer.As<AvgPool2DAttribute>().Stride);
    protected override PoolOp Create() => new AvgPoolOp();
}

/// <summary>A pooling window over each channel: the PoolingShape the kernels take.</summary>
internal abstract record PoolOp : OpPlan
{
    public int Size { get; init; }
    public int Stride { get; init; }

    public override string Describe => $"{Name}: {Input} -> {Output}, {Size}×{Size} window, stride {Stride}";
    public override long Flops => (long)Size * Size * Output.LongSize; // one per window value

    protected string ShapeExpression =>
        $"new {Names.Kernels}.PoolingShape({Input.Channels}, {Input.Height}, {Input.Width}, {Size}, {Size}, {Stride}, {Stride})";
}

/// <summary>The maximum of each window; training keeps where it was, for backward.</summary>
internal sealed record MaxPoolOp : PoolOp
{
    public override string Prefix => "maxpool";
    public override string Title => "MaxPool";
    public override string Token => $"MaxPool2D({Size},stride={Stride})";

    public override IEnumerable<BufferPlan> Buffers(bool trainable) =>
        trainable ? [new BufferPlan(Name + "Index", Output.Size, IsInt: true)] : [];

    private string Indices(EmitContext c) => c.IntRows(Name + "Index", Output.Size);

    public override void EmitForward(EmitContext c) =>
        c.Call($"{Names.Kernels}.PoolingKernels.MaxForward", c.In(this), c.Out(this), Indices(c), c.Batch, ShapeExpression);

    public override void EmitBackward(EmitContext c, string dz, string target) =>
        c.InputGradient(target, () => c.Call($"{Names.Kernels}.PoolingKernels.MaxBackward", dz, Indices(c), target, c.Batch, ShapeExpression));

    public override void EmitInference(EmitContext c) =>
        c.Call($"{Names.Kernels}.PoolingKernels.MaxForward", c.In(this), c.Out(this), "default", c.Batch, ShapeExpression);
}

/// <summary>The mean of each window.</summary>
internal sealed record AvgPoolOp : PoolOp
{
    public override string Prefix => "avgpool";
    public override string Title => "AvgPool";
    public override string Token => $"AvgPool2D({Size},stride={Stride})";

    public override void EmitForward(EmitContext c) => EmitInference(c);

    public override void EmitBackward(EmitContext c, string dz, string target) =>
        c.InputGradient(target, () => c.Call($"{Names.Kernels}.PoolingKernels.AverageBackward", dz, target, c.Batch, ShapeExpression));

    public override void EmitInference(EmitContext c) =>
        c.Call($"{Names.Kernels}.PoolingKernels.AverageForward", c.In(this), c.Out(this), c.Batch, ShapeExpression);
}

/// <summary>[GlobalAvgPool]: each channel's mean over its plane; the image becomes a vector of its channels.</summary>
internal sealed class GlobalAvgPoolKind : ILayerKind
{
    public Type AttributeType => typeof(GlobalAvgPoolAttribute);

    public void Read(LayerSpec layer, LayerReader reader)
    {
        if (!reader.RequireImage(layer)) return;
        reader.AddOp(new GlobalAvgPoolOp { Output = Shape.Flat(reader.Current.Channels) }, layer);
    }
}

internal sealed record GlobalAvgPoolOp : OpPlan
{
    public override string Prefix => "globalavgpool";
    public override string Title => "GlobalAvgPool";
    public override string Token => "GlobalAvgPool";
    public override long Flops => Input.LongSize;

    public override void EmitForward(EmitContext c) => EmitInference(c);

    public override void EmitBackward(EmitContext c, string dz, string target) =>
        c.InputGradient(target, () => c.Call($"{Names.Kernels}.PoolingKernels.GlobalAverageBackward", dz, target, c.Batch, Input.Channels, Input.Plane));

    public override void EmitInference(EmitContext c) =>
        c.Call($"{Names.Kernels}.PoolingKernels.GlobalAverageForward", c.In(this), c.Out(this), c.Batch, Input.Channels, Input.Plane);
}

/// <summary>[Flatten]: the image's values, in NCHW order, read as a vector. No code, no buffer: its output is its input.</summary>
internal sealed class FlattenKind : ILayerKind
{
    public Type AttributeType => typeof(FlattenAttribute);

    public void Read(LayerSpec layer, LayerReader reader)
    {
        if (reader.Current.IsFlat)
            reader.OutOfPlace(layer, $"the values here are a vector of {reader.Current} features already; remove it");
        else if (reader.IsLast)
            reader.OutOfPlace(layer, "as the last layer it changes nothing (outputs are in NCHW order either way); remove it");
        else
            reader.AddOp(new FlattenOp { Output = Shape.Flat(reader.Current.Size) }, layer);
    }
}

internal sealed record FlattenOp : OpPlan
{
    public override string Prefix => "flatten";
    public override string Title => "Flatten";
    public override string Token => "Flatten";
    public override bool IsReshape => true;

    public override bool AliasesInput(EmitMode mode) => true;

    public override void EmitForward(EmitContext c) { }

    public override void EmitBackward(EmitContext c, string dz, string target) { }

    public override void EmitInference(EmitContext c) { }
}
