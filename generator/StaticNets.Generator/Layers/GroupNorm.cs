using System;
using System.Collections.Generic;
using System.Numerics;
using StaticNets.Generator.Diagnostics;
using StaticNets.Generator.Emitting;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;
using StaticNets.Generator.Runtime;

namespace StaticNets.Generator.Layers;

/// <summary>[GroupNorm(groups)]: each sample's channels normalized in groups, γ and β per channel.</summary>
internal sealed class GroupNormKind : ILayerKind
{
    public Type AttributeType => typeof(GroupNormAttribute);

    public void Read(LayerSpec layer, LayerReader reader)
    {
        if (!reader.RequireBetweenLayers(layer)) return;
        var a = layer.As<GroupNormAttribute>();
        if (!(LayerReader.IsFinite(a.Epsilon) && a.Epsilon > 0))
            reader.Invalid(layer, "Epsilon", a.Epsilon, "epsilon must be finite and positive");
        if (a.Groups < 1)
        {
            reader.TooSmall(layer, a.Groups, "groups", 1);
            return;
        }
        Shape input = reader.Current;
        if (input.Channels % a.Groups != 0)
        {
            reader.Report(DiagnosticInfo.Create(DiagnosticDescriptors.DoesNotFitInput, layer.Location, layer.Kind, input.IsFlat ? $"{input} features" : $"shape {input}",
                $"its {input.Channels} channels do not split into {a.Groups} groups of equal size; pick a number of groups that divides {input.Channels}"));
            return;
        }
        reader.AddOp(new GroupNormOp { Output = input, Groups = a.Groups, Epsilon = (float)a.Epsilon }, layer);
    }
}

/// <summary>
/// GroupNorm over <see cref="Groups"/> groups of consecutive channels (each with its plane), γ and β per channel: the
/// same in training and inference, where it reads γ and β from the inference copy.
/// </summary>
internal record GroupNormOp : OpPlan, INormalizationOp
{
    public int Groups { get; init; }
    public float Epsilon { get; init; }
    public int GammaOffset { get; init; }
    public int BetaOffset { get; init; }
    public int InferenceOffset { get; init; }

    public override string Prefix => "groupnorm";
    public override string Title => "GroupNorm";
    public override bool AcceptsActivation => true;
    public override string Token => $"GroupNorm({Groups},eps={Format.Float(Epsilon)})";
    public override BigInteger ParameterCount => 2 * (BigInteger)Input.Channels;
    public override long Flops => 8 * Output.LongSize; // mean, variance, normalization, scale and shift (InstanceNorm too)

    public int Channels => Input.Channels;

    private TensorPlan Gamma => new($"{Name}.weight", View + "Gamma", GammaOffset, new[] { Channels }.ToEquatableArray(), "NormScale", false, "Scale γ");
    private TensorPlan Beta => new($"{Name}.bias", View + "Beta", BetaOffset, new[] { Channels }.ToEquatableArray(), "NormShift", false, "Shift β");

    public override IEnumerable<TensorPlan> Tensors => [Gamma, Beta];

    public override OpPlan Plan(PlanContext context) => this with
    {
        GammaOffset = context.TakeParameters(Channels),
        BetaOffset = context.TakeParameters(Channels),
        InferenceOffset = context.TakeInference(2L * Channels),
    };

    public override void EmitInitialize(CodeWriter w, string rng) => w.Line($"{Gamma.View}.Fill(1f);");

    public override IEnumerable<BufferPlan> Buffers(bool trainable) =>
        trainable ? [new BufferPlan(Name + "Xhat", Output.Size), new BufferPlan(Name + "InvStd", Groups)] : [];

    private object[] Sizes(EmitContext c) => [c.Batch, Channels, Input.Plane, Groups];

    public override void EmitForward(EmitContext c)
    {
        c.Call($"{Names.Kernels}.NormalizationKernels.GroupNorm", [c.In(this), c.Parameter(Gamma), c.Parameter(Beta), c.Buffer(this, "Xhat", Output.Size),
            c.Buffer(this, "InvStd", Groups), c.Z(this) ?? "default", c.Out(this), .. Sizes(c), Epsilon, Activation.Expression]);
        Activation.EmitEpilogue(c, null, c.Out(this), Output.Size);
    }

    public override void EmitBackward(EmitContext c, string dz, string target)
    {
        c.Line($"{c.Gradient(Gamma)}.Clear(); // the kernel adds into the parameter gradients");
        c.Line($"{c.Gradient(Beta)}.Clear();");
        c.Call($"{Names.Kernels}.NormalizationKernels.GroupNormBackward", [dz, c.Buffer(this, "Xhat", Output.Size), c.Buffer(this, "InvStd", Groups),
            c.Parameter(Gamma), c.Gradient(Gamma), c.Gradient(Beta), target, .. Sizes(c)]);
    }

    public override void EmitInference(EmitContext c)
    {
        c.Call($"{Names.Kernels}.NormalizationKernels.GroupNorm", [c.In(this), c.Copy(this, "Gamma", InferenceOffset, Channels),
            c.Copy(this, "Beta", InferenceOffset + Channels, Channels), "default", "default", "default", c.Out(this), .. Sizes(c), Epsilon, Activation.Expression]);
        Activation.EmitEpilogue(c, null, c.Out(this), Output.Size);
    }

    public override void EmitWriteInference(EmitContext c)
    {
        c.Line($"{c.Parameter(Gamma)}.CopyTo({c.Copy(this, "Gamma", InferenceOffset, Channels)});");
        c.Line($"{c.Parameter(Beta)}.CopyTo({c.Copy(this, "Beta", InferenceOffset + Channels, Channels)});");
    }
}
