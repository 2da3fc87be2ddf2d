using System.Collections.Generic;
using System.Linq;
using StaticNets.Generator.Diagnostics;
using StaticNets.Generator.Layers;
using StaticNets.Generator.Model;

namespace StaticNets.Generator.Planning;

/// <summary>
/// Reads the layer attributes after [Input] in order, through each one's kind: tracks the shape, the op an activation
/// would fuse into, and the names skip connections saved; collects the architecture string and the diagnostics.
/// </summary>
internal sealed class LayerReader(Shape input, List<DiagnosticInfo> diagnostics)
{
    private readonly Dictionary<string, (int Source, Shape Shape)> _saved = new(System.StringComparer.Ordinal);
    private bool _savedSinceLastOp, _activationSlotUsed;

    public List<OpPlan> Ops { get; } = new();

    /// <summary>Tokens of the architecture string, in attribute order.</summary>
    public List<string> Tokens { get; } = new();

    /// <summary>Ops whose output a [SaveAs] names (−1: the network input).</summary>
    public HashSet<int> SavedOutputs => new(_saved.Values.Select(v => v.Source));

    /// <summary>Position of the attribute being read among those after [Input].</summary>
    public int Position { get; set; }

    /// <summary>Whether the attribute being read is the network's last.</summary>
    public bool IsLast { get; set; }

    /// <summary>The shape of the values at this point.</summary>
    public Shape Current => Ops.Count == 0 ? input : Ops[Ops.Count - 1].Output;

    public OpPlan? Last => Ops.Count == 0 ? null : Ops[Ops.Count - 1];

    /// <summary>Whether the values here are still the network's input (nothing but reshapes before).</summary>
    public bool AtNetworkInput => Ops.All(o => o.IsReshape);

    /// <summary>Whether an activation here fuses into the op before it: one that takes one, with none yet, and no [SaveAs] between.</summary>
    public bool CanTakeActivation => Last is { AcceptsActivation: true } && !_activationSlotUsed && !_savedSinceLastOp && HeadsAt != Ops.Count;

    /// <summary>The index of the first head's first op once [Heads] was read (the ops from there on are the head), else −1.</summary>
    public int HeadsAt { get; private set; } = -1;

    /// <summary>How many heads [Heads] asked for.</summary>
    public int HeadCount { get; private set; }

    /// <summary>Where [Heads] stands.</summary>
    public LocationInfo? HeadsLocation { get; private set; }

    /// <summary>Position of [Heads] among the attributes after [Input].</summary>
    public int HeadsPosition { get; private set; }

    /// <summary>Marks where the heads begin: the ops added from here on are the head that the planner copies.</summary>
    public void MarkHeads(int count, LayerSpec layer)
    {
        HeadsAt = Ops.Count;
        HeadCount = count;
        HeadsLocation = layer.Location;
        HeadsPosition = Position;
    }

    /// <summary>Adds an op reading the current values; its output shape is set by the kind, the rest here.</summary>
    public void AddOp(OpPlan op, LayerSpec layer)
    {
        int number = 1 + Ops.Count(o => o.GetType() == op.GetType());
        op = op with { Index = Ops.Count, From = Ops.Count - 1, Number = number, Module = Position, Input = Current, Location = layer.Location };
        Ops.Add(op);
        Tokens.Add(op.Token);
        _savedSinceLastOp = false;
        _activationSlotUsed = false;
    }

    /// <summary>Changes the last op (a modifier such as [DropConnect] on the [Dense] before it), adding the modifier's token.</summary>
    public void ModifyLast(OpPlan op, string token)
    {
        Ops[Ops.Count - 1] = op;
        Tokens.Add(token);
    }

    /// <summary>Fuses an activation into the last op (the caller checked <see cref="CanTakeActivation"/>).</summary>
    public void SetActivation(ActivationPlan activation, string token)
    {
        Ops[Ops.Count - 1] = Ops[Ops.Count - 1] with { Activation = activation with { Token = token } };
        _activationSlotUsed = true;
        Tokens.Add(token);
    }

    /// <summary>Marks the last op's activation place as taken by an activation with an op of its own (PReLU).</summary>
    public void TakeActivationSlot() => _activationSlotUsed = true;

    /// <summary>Names the current output for a later [Add].</summary>
    public bool Save(string name)
    {
        if (_saved.ContainsKey(name)) return false;
        _saved[name] = (Ops.Count - 1, Current);
        _savedSinceLastOp = true;
        return true;
    }

    public bool TryGetSaved(string name, out (int Source, Shape Shape) saved) => _saved.TryGetValue(name, out saved);

    public IEnumerable<string> SavedNames => _saved.Keys.OrderBy(k => k, System.StringComparer.Ordinal);

    public void AddToken(string token) => Tokens.Add(token);

    public void Report(DiagnosticInfo diagnostic) => diagnostics.Add(diagnostic);

    public void OutOfPlace(LayerSpec layer, string why) => Report(NetworkPlanner.OutOfPlace(layer, why));

    public void Invalid(LayerSpec layer, string argument, object value, string why) => Report(NetworkPlanner.Invalid(layer, argument, value, why));

    public void TooSmall(LayerSpec layer, long value, string what, int minimum) =>
        Report(DiagnosticInfo.Create(DiagnosticDescriptors.NonPositiveSize, layer.Location, layer.Kind, value, what, minimum));

    /// <summary>Normalization and dropout go between layers, not on the network's input; says what to do instead.</summary>
    public bool RequireBetweenLayers(LayerSpec layer)
    {
        if (!AtNetworkInput) return true;
        OutOfPlace(layer, "it cannot directly follow [Input]; standardize the inputs in the data pipeline instead, and put normalization and dropout between layers");
        return false;
    }

    /// <summary>The current values must be a vector (n × 1 × 1) for <paramref name="layer"/>; says what to add when not.</summary>
    public bool RequireFlat(LayerSpec layer)
    {
        if (Current.IsFlat) return true;
        OutOfPlace(layer, $"it takes a vector of features, and the values here are an image of {Current}; put [Flatten] (or [GlobalAvgPool]) before it");
        return false;
    }

    /// <summary>The current values must be an image (channels × height × width) for <paramref name="layer"/>.</summary>
    public bool RequireImage(LayerSpec layer)
    {
        if (!Current.IsFlat) return true;
        OutOfPlace(layer, $"it takes an image (channels × height × width), and the values here are a vector of {Current} features; declare the input as [Input(channels, height, width)]");
        return false;
    }

    public static bool IsFinite(double value) => !double.IsNaN(value) && !double.IsInfinity(value);
}
