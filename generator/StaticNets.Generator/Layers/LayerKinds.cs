using System;
using System.Collections.Generic;
using System.Linq;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;

namespace StaticNets.Generator.Layers;

/// <summary>
/// What one layer attribute means, where it stands: its checks, and the op it adds (or the activation it gives the op
/// before it). A kind lives in one file of this folder, with its op: reading, planning and emission together.
/// </summary>
internal interface ILayerKind
{
    /// <summary>The attribute class (the runtime's, linked into the generator).</summary>
    Type AttributeType { get; }

    /// <summary>Reads <paramref name="layer"/> at the reader's position: reports what is wrong, else adds to the network.</summary>
    void Read(LayerSpec layer, LayerReader reader);
}

/// <summary>Every kind in this assembly, found once by reflection, so adding a kind is adding its file.</summary>
internal static class LayerKinds
{
    private static readonly Dictionary<string, ILayerKind> s_byName = typeof(ILayerKind).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && !t.IsInterface && typeof(ILayerKind).IsAssignableFrom(t))
        .Select(t => (ILayerKind)Activator.CreateInstance(t))
        .ToDictionary(k => NameOf(k.AttributeType), StringComparer.Ordinal);

    /// <summary>The names users write: "Dense", "BatchNorm", ...</summary>
    public static IEnumerable<string> Names => s_byName.Keys;

    public static bool TryGet(string name, out ILayerKind kind) => s_byName.TryGetValue(name, out kind!);

    public static ILayerKind Get(string name) => s_byName[name];

    /// <summary>An attribute class's name without "Attribute".</summary>
    public static string NameOf(Type attribute)
    {
        const string suffix = "Attribute";
        string name = attribute.Name;
        return name.EndsWith(suffix, StringComparison.Ordinal) ? name.Substring(0, name.Length - suffix.Length) : name;
    }
}
