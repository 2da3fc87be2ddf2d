using System;
using System.Linq;
using StaticNets.Generator.Diagnostics;
using StaticNets.Generator.Emitting;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;
using StaticNets.Generator.Runtime;

namespace StaticNets.Generator.Layers;

/// <summary>[SaveAs(name)]: names the values at this point for a later [Add(name)]; adds no op.</summary>
internal sealed class SaveAsKind : ILayerKind
{
    public Type AttributeType => typeof(SaveAsAttribute);

    public void Read(LayerSpec layer, LayerReader reader)
    {
        string? name = layer.As<SaveAsAttribute>().Name;
        if (SkipName.Check(layer, reader, name) && !reader.Save(name!))
            reader.Report(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateSkipName, layer.Location, name!));
        reader.AddToken($"SaveAs({name})");
    }
}

/// <summary>[Add(name)]: adds the values saved under that name to the current ones (a residual connection).</summary>
internal sealed class AddKind : ILayerKind
{
    public Type AttributeType => typeof(AddAttribute);

    public void Read(LayerSpec layer, LayerReader reader)
    {
        string? name = layer.As<AddAttribute>().Name;
        if (!SkipName.Check(layer, reader, name)) return;
        if (!reader.TryGetSaved(name!, out var saved))
        {
            string names = reader.SavedNames.Any() ? string.Join(", ", reader.SavedNames) : "none";
            reader.Report(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownSkipName, layer.Location, name!, names));
            return;
        }
        Shape current = reader.Current;
        if (saved.Shape != current)
        {
            string fix = current.IsFlat
                ? $"add a [Dense({current.Channels})] on one path to project it"
                : $"give both paths the same size and add a [Conv2D({current.Channels}, 1)] on one path to project its channels";
            reader.Report(DiagnosticInfo.Create(DiagnosticDescriptors.SkipShapeMismatch, layer.Location, name!, SkipName.Describe(saved.Shape), SkipName.Describe(current), fix));
            return;
        }
        reader.AddOp(new AddOp { Output = current, Source = saved.Source, SavedName = name! }, layer);
    }
}

internal static class SkipName
{
    public static bool Check(LayerSpec layer, LayerReader reader, string? name)
    {
        bool ok = !string.IsNullOrEmpty(name) && name!.All(c => char.IsLetterOrDigit(c) || c == '_');
        if (!ok) reader.Invalid(layer, "name", $"\"{name}\"", "use a name of letters, digits and '_'");
        return ok;
    }

    public static string Describe(Shape shape) => shape.IsFlat ? $"{shape.Channels} features" : $"shape {shape}";
}

/// <summary>
/// The current values plus those saved by [SaveAs(<see cref="SavedName"/>)] (the output of op <see cref="Source"/>, −1:
/// the network input), with an activation fused. Backward hands its gradient to both: the op before it, and a sum
/// for the source that its own backward adds in.
/// </summary>
internal sealed record AddOp : OpPlan
{
    public int Source { get; init; }
    public string SavedName { get; init; } = "";

    public override string Prefix => "add";
    public override string Title => "Add";
    public override bool AcceptsActivation => true;
    public override string Token => $"Add({SavedName})";
    public override long Flops => Output.LongSize;
    public override string Describe =>
        $"{Name}: + \"{SavedName}\" (the output of {(Source < 0 ? "the input" : "op " + Source)}): {Output}{(Activation.IsIdentity ? "" : ", " + Activation.Kind)}";

    public override void EmitForward(EmitContext c) => Emit(c, c.Z(this));

    public override void EmitInference(EmitContext c) => Emit(c, null);

    private void Emit(EmitContext c, string? z)
    {
        c.Call($"{Names.Kernels}.ElementwiseKernels.AddForward", c.In(this), c.OutOf(Source), z ?? "default", c.Out(this), Activation.Expression);
        Activation.EmitEpilogue(c, null, c.Out(this), Output.Size);
    }

    public override void EmitBackward(EmitContext c, string dz, string target)
    {
        c.InputGradient(target, () => c.Line($"{dz}.CopyTo({target});"));
        c.Call($"{Names.Kernels}.ElementwiseKernels.AddInPlace", dz, SkipGradient(c, Source));
    }

    /// <summary>The sum of the gradients skip connections hand to op <paramref name="source"/>'s output (−1: the input).</summary>
    public static string SkipGradient(EmitContext c, int source) =>
        c.Rows(c.Layout.SourceName(source) + "SkipGrad", c.Layout.SourceShape(source).Size);
}
