using System.Globalization;
using System.Linq;
using StaticNets.Generator.Layers;

namespace StaticNets.Generator.Emitting;

/// <summary>StaticNets.ILayerOutputs for trainable networks: each op's output buffer after a training forward, by index.</summary>
internal static class LayerOutputsEmitter
{
    public static void Emit(CodeWriter w, NetworkLayout layout)
    {
        var ops = layout.Ops.Where(op => !op.AliasesInput(EmitMode.Training)).ToList();
        w.Line("private static readonly global::StaticNets.LayerOutputInfo[] s_layerOutputs =");
        w.Line("[");
        foreach (OpPlan op in ops)
            w.Line($"    new(\"{op.Name}\", \"{op.Activation.Kind}\", {op.Output.Size.ToString(CultureInfo.InvariantCulture)}),");
        w.Line("];");
        w.Line();
        w.Line("public global::System.ReadOnlySpan<global::StaticNets.LayerOutputInfo> LayerOutputs => s_layerOutputs;");
        w.Line();
        w.Line($"public {Names.ReadOnlySpan} LayerOutput(int index) => index switch");
        w.Line("{");
        for (int i = 0; i < ops.Count; i++)
            w.Line($"    {i.ToString(CultureInfo.InvariantCulture)} => {Names.AsSpan}(_{ops[i].Name}Out, 0, _lastBatch * {ops[i].Output.Size.ToString(CultureInfo.InvariantCulture)}),");
        w.Line($"    _ => throw new global::System.ArgumentOutOfRangeException(nameof(index), index, \"The network has {ops.Count.ToString(CultureInfo.InvariantCulture)} layer outputs.\"),");
        w.Line("};");
        w.Line();
    }
}
