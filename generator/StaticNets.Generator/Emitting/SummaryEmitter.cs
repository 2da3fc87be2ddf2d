using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using StaticNets.Generator.Layers;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;

namespace StaticNets.Generator.Emitting;

/// <summary>
/// The compile-time summary: <c>FlopsPerSample</c> and the static <c>Summary</c> table (StaticNets.ModelSummary), one row
/// per layer as declared, an activation fused into the op before it on a row of its own.
/// </summary>
internal static class SummaryEmitter
{
    public static void Emit(CodeWriter w, NetworkLayout layout)
    {
        NetworkPlan plan = layout.Plan;
        var rows = new List<string>();
        var activationCounts = new Dictionary<string, int>();
        long flops = 0;
        foreach (OpPlan op in layout.Ops)
        {
            rows.Add(Row(op.Name, op.Token, op.Output, (long)op.ParameterCount, op.Flops));
            flops += op.Flops;
            if (op.Activation.IsIdentity) continue;
            string kind = op.Activation.Attribute ?? op.Activation.Kind.ToString();
            activationCounts.TryGetValue(kind, out int n);
            activationCounts[kind] = ++n;
            // One per value read: a maxout reads all its pieces.
            rows.Add(Row(kind.ToLowerInvariant() + n.ToString(CultureInfo.InvariantCulture), op.Activation.Token ?? kind, op.Output, 0, op.ActivationWidth));
            flops += op.ActivationWidth;
        }
        long perSample = layout.Buffers.Where(b => b.Fixed is null).Sum(b => (long)b.PerSample);
        var fixedSizes = layout.Buffers.Where(b => b.Fixed is not null).Select(b => b.Fixed!.Split('\n')).ToList();

        w.Line("/// <summary>Inference FLOPs per sample (a multiply-add as two), computed when the network was compiled; per layer in <see cref=\"Summary\"/>.</summary>");
        w.Line($"public const long FlopsPerSample = {flops.ToString(CultureInfo.InvariantCulture)};");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// This network layer by layer, computed when it was compiled: output shapes, parameters and FLOPs per sample, and the");
        w.Line("/// memory of the parameters, state and workspace. Its ToString() is a table, like Keras' summary(). Made on first use");
        w.Line("/// (not when the class is first touched): a network that never asks for it builds none.");
        w.Line("/// </summary>");
        w.Line("public static global::StaticNets.ModelSummary Summary => s_summary ??= CreateSummary();");
        w.Line();
        w.Line("private static global::StaticNets.ModelSummary? s_summary;");
        w.Line();
        w.Line("private static global::StaticNets.ModelSummary CreateSummary() => new(");
        w.Line($"    \"{plan.ClassName}\", {Dimensions(plan.Input)},");
        w.Line("    [");
        foreach (string row in rows) w.Line("        " + row + ",");
        w.Line("    ],");
        w.Line($"    stateValues: StateCount, workspacePerSample: {perSample.ToString(CultureInfo.InvariantCulture)},");
        w.Line($"    workspaceFixed: {(fixedSizes.Count == 0 ? "0" : "SummaryWorkspaceFixed()")});");
        w.Line();
        if (fixedSizes.Count == 0) return;
        // The buffers whose size does not grow with the batch, each as the constructor sizes it.
        w.Open("private static long SummaryWorkspaceFixed()");
        w.Line("long total = 0;");
        for (int b = 0; b < fixedSizes.Count; b++)
        {
            string[] sizes = fixedSizes[b];
            if (sizes.Length == 1)
            {
                w.Line($"total += {sizes[0]};");
                continue;
            }
            string largest = "largest" + b.ToString(CultureInfo.InvariantCulture);
            w.Line($"long {largest} = {sizes[0]};");
            for (int i = 1; i < sizes.Length; i++) w.Wrapped($"{largest} = global::System.Math.Max", [largest, sizes[i]]);
            w.Line($"total += {largest};");
        }
        w.Line("return total;");
        w.Close();
        w.Line();
    }

    private static string Row(string name, string token, Shape output, long parameters, long flops) =>
        $"new(\"{name}\", \"{token}\", {Dimensions(output)}, {parameters.ToString(CultureInfo.InvariantCulture)}, {flops.ToString(CultureInfo.InvariantCulture)})";

    private static string Dimensions(Shape shape) => shape.IsFlat
        ? $"[{shape.Channels.ToString(CultureInfo.InvariantCulture)}]"
        : string.Format(CultureInfo.InvariantCulture, "[{0}, {1}, {2}]", shape.Channels, shape.Height, shape.Width);
}
