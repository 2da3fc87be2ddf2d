using System;
using System.Collections.Generic;
using StaticNets.Generator.Diagnostics;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;
using StaticNets.Generator.Runtime;

namespace StaticNets.Generator.Layers;

/// <summary>[Input(n)] or [Input(c, h, w)]: the first attribute, read by the planner; anywhere else it is out of place.</summary>
internal sealed class InputKind : ILayerKind
{
    public const string Name = "Input";

    public Type AttributeType => typeof(InputAttribute);

    public void Read(LayerSpec layer, LayerReader reader) => reader.OutOfPlace(layer, "a network has exactly one [Input]");

    /// <summary>The input's shape; a size out of range is reported (and the shape made 1 × 1 × 1 so reading can go on).</summary>
    public static Shape ShapeOf(LayerSpec input, string network, List<DiagnosticInfo> diagnostics)
    {
        var a = input.As<InputAttribute>();
        bool flat = a.Height == 1 && a.Width == 1;
        (int value, string what)[] sizes = flat ? [(a.Channels, "features")] : [(a.Channels, "channels"), (a.Height, "rows"), (a.Width, "columns")];
        bool valid = true;
        foreach (var (value, what) in sizes)
        {
            if (value >= 1) continue;
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonPositiveSize, input.Location, Name, value, what, 1));
            valid = false;
        }
        if (!valid) return Shape.Flat(1);
        if (a.Size > NetworkPlanner.MaxValues)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NetworkTooLarge, input.Location, network, a.Size, "input values per sample", NetworkPlanner.MaxValues));
            return Shape.Flat(1);
        }
        return new Shape(a.Channels, a.Height, a.Width);
    }

    /// <summary>The architecture string's first token: "Input(784)" or "Input(1,28,28)".</summary>
    public static string Token(Shape input) => input.IsFlat ? $"Input({input.Channels})" : $"Input({input.Channels},{input.Height},{input.Width})";
}
