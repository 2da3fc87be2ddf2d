using System.Collections.Generic;
using System.Linq;
using StaticNets.Generator.Diagnostics;
using StaticNets.Generator.Model;

namespace StaticNets.Generator.Planning;

/// <summary>
/// Reads layer attributes after [Input] in order: groups each activation with the op that produces
/// its input, resolves skip-connection names, tracks widths and checks each attribute where it stands.
/// </summary>
internal sealed class LayerReader(int inputSize, List<DiagnosticInfo> diagnostics)
{
    private readonly Dictionary<string, (int Source, int Width)> _saved = new();
    private bool _savedSinceLastOp;

    public List<OpBuilder> Ops { get; } = new();

    /// <summary>Tokens of the architecture string, in attribute order.</summary>
    public List<string> Tokens { get; } = new();

    /// <summary>Ops whose output a [SaveAs] names (0: the network input).</summary>
    public HashSet<int> SavedSources => new(_saved.Values.Select(v => v.Source));

    private int Width => Ops.Count == 0 ? inputSize : Ops[Ops.Count - 1].Width;

    private OpBuilder? Last => Ops.Count == 0 ? null : Ops[Ops.Count - 1];

    private bool CanTakeActivation => Last is { AcceptsActivation: true, ActivationSlotUsed: false } && !_savedSinceLastOp;

    public void Read(LayerSpec layer, bool isLast)
    {
        switch (layer.Kind)
        {
            case LayerKind.Input:
                diagnostics.Add(NetworkPlanner.OutOfPlace(layer, "a network has exactly one [Input]"));
                return;
            case LayerKind.Dense:
                if (layer.Size < 1)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonPositiveSize, layer.Location, "Dense", layer.Size, "units", 1));
                CheckDense(layer);
                AddOp(new OpBuilder(layer, Width));
                return;
            case LayerKind.BatchNorm or LayerKind.LayerNorm or LayerKind.Dropout:
                if (Ops.Count == 0)
                {
                    diagnostics.Add(NetworkPlanner.OutOfPlace(layer,
                        "it cannot directly follow [Input]; standardize the inputs in the data pipeline instead, and put normalization and dropout between layers"));
                    return;
                }
                CheckNormalizationOrDropout(layer);
                AddOp(new OpBuilder(layer, Width));
                return;
            case LayerKind.PReLU:
                if (!CanTakeActivation)
                {
                    diagnostics.Add(NetworkPlanner.OutOfPlace(layer, "PReLU is an activation: it must directly follow a [Dense], [BatchNorm], [LayerNorm] or [Add] (one activation each)"));
                    return;
                }
                if (!NetworkPlanner.IsFinite(layer.Value))
                    diagnostics.Add(NetworkPlanner.Invalid(layer, "InitialSlope", layer.Value, "the initial slope must be finite"));
                Last!.ActivationSlotUsed = true;
                AddOp(new OpBuilder(layer, Width));
                return;
            case LayerKind.SaveAs:
                if (CheckName(layer))
                {
                    if (_saved.ContainsKey(layer.Name!))
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateSkipName, layer.Location, layer.Name!));
                    else
                        _saved[layer.Name!] = (Ops.Count, Width);
                }
                _savedSinceLastOp = true;
                Tokens.Add($"SaveAs({layer.Name})");
                return;
            case LayerKind.Add:
                if (!CheckName(layer)) return;
                if (!_saved.TryGetValue(layer.Name!, out var saved))
                {
                    string names = _saved.Count == 0 ? "none" : string.Join(", ", _saved.Keys.OrderBy(k => k, System.StringComparer.Ordinal));
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownSkipName, layer.Location, layer.Name!, names));
                    return;
                }
                if (saved.Width != Width)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SkipShapeMismatch, layer.Location, layer.Name!, saved.Width, Width));
                    return;
                }
                AddOp(new OpBuilder(layer, Width, saved.Source));
                return;
            default:
                ReadActivation(layer, isLast);
                return;
        }
    }

    private void ReadActivation(LayerSpec layer, bool isLast)
    {
        if (!CanTakeActivation)
        {
            diagnostics.Add(NetworkPlanner.OutOfPlace(layer, "an activation must directly follow a [Dense], [BatchNorm], [LayerNorm] or [Add] (one activation each)"));
            return;
        }
        if (layer.Kind == LayerKind.Maxout && Last!.Layer.Kind != LayerKind.Dense)
        {
            diagnostics.Add(NetworkPlanner.OutOfPlace(layer, "Maxout must directly follow a [Dense], whose units it groups into pieces"));
            return;
        }
        if (layer.Kind == LayerKind.Softmax && !isLast)
            diagnostics.Add(NetworkPlanner.OutOfPlace(layer, "Softmax is only allowed as the last layer"));
        switch (layer.Kind)
        {
            case LayerKind.LeakyReLU when !(NetworkPlanner.IsFinite(layer.Value) && layer.Value >= 0):
                diagnostics.Add(NetworkPlanner.Invalid(layer, "alpha", layer.Value, "the negative slope must be finite and non-negative"));
                break;
            case LayerKind.ELU when !(NetworkPlanner.IsFinite(layer.Value) && layer.Value > 0):
                diagnostics.Add(NetworkPlanner.Invalid(layer, "alpha", layer.Value, "alpha must be finite and positive"));
                break;
            case LayerKind.Swish or LayerKind.Softplus when !(NetworkPlanner.IsFinite(layer.Value) && layer.Value > 0):
                diagnostics.Add(NetworkPlanner.Invalid(layer, "beta", layer.Value, "beta must be finite and positive"));
                break;
            case LayerKind.Maxout when layer.Size < 2:
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonPositiveSize, layer.Location, "Maxout", layer.Size, "pieces", 2));
                break;
        }
        Last!.ActivationLayer = layer;
        Last.ActivationSlotUsed = true;
        Tokens.Add(OpBuilder.ActivationToken(layer));
    }

    private void AddOp(OpBuilder op)
    {
        Ops.Add(op);
        _savedSinceLastOp = false;
        Tokens.Add(op.Token());
    }

    private void CheckDense(LayerSpec dense)
    {
        if (!System.Enum.IsDefined(typeof(InitKind), dense.Init))
        {
            diagnostics.Add(NetworkPlanner.Invalid(dense, "Init", (int)dense.Init, "use a member of StaticNets.Init"));
            return;
        }
        bool scaleSet = !float.IsNaN(dense.InitScale);
        switch (dense.Init)
        {
            case InitKind.Constant when !NetworkPlanner.IsFinite(dense.InitScale):
                diagnostics.Add(NetworkPlanner.Invalid(dense, "InitScale", dense.InitScale, "Init.Constant needs InitScale set to the (finite) value"));
                break;
            case InitKind.Normal or InitKind.Uniform when !(NetworkPlanner.IsFinite(dense.InitScale) && dense.InitScale > 0):
                diagnostics.Add(NetworkPlanner.Invalid(dense, "InitScale", dense.InitScale, $"Init.{dense.Init} needs InitScale set to a positive {(dense.Init == InitKind.Normal ? "standard deviation" : "bound")}"));
                break;
            case InitKind.Orthogonal when scaleSet && !(NetworkPlanner.IsFinite(dense.InitScale) && dense.InitScale > 0):
                diagnostics.Add(NetworkPlanner.Invalid(dense, "InitScale", dense.InitScale, "the orthogonal gain must be positive"));
                break;
            case not (InitKind.Constant or InitKind.Normal or InitKind.Uniform or InitKind.Orthogonal) when scaleSet:
                diagnostics.Add(NetworkPlanner.Invalid(dense, "InitScale", dense.InitScale, $"Init.{dense.Init} takes no scale; remove InitScale or pick Init.Normal/Uniform/Constant/Orthogonal"));
                break;
        }
        if (!NetworkPlanner.IsFinite(dense.BiasInit))
            diagnostics.Add(NetworkPlanner.Invalid(dense, "BiasInit", dense.BiasInit, "the initial bias must be finite"));
        if (!dense.Bias && dense.BiasInit != 0f)
            diagnostics.Add(NetworkPlanner.Invalid(dense, "BiasInit", dense.BiasInit, "the layer has Bias = false, so BiasInit does not apply"));
    }

    private void CheckNormalizationOrDropout(LayerSpec layer)
    {
        if (layer.Kind == LayerKind.Dropout && !(layer.Value >= 0f && layer.Value < 1f))
            diagnostics.Add(NetworkPlanner.Invalid(layer, "rate", layer.Value, "the dropout rate must be in [0, 1): the probability of dropping a value"));
        if (layer.Kind == LayerKind.BatchNorm && !(layer.Value >= 0f && layer.Value <= 1f))
            diagnostics.Add(NetworkPlanner.Invalid(layer, "Momentum", layer.Value, "the momentum of the running statistics must be in [0, 1] (PyTorch's default is 0.1)"));
        if (layer.Kind is LayerKind.BatchNorm or LayerKind.LayerNorm && !(NetworkPlanner.IsFinite(layer.Epsilon) && layer.Epsilon > 0f))
            diagnostics.Add(NetworkPlanner.Invalid(layer, "Epsilon", layer.Epsilon, "epsilon must be finite and positive"));
    }

    private bool CheckName(LayerSpec layer)
    {
        string? name = layer.Name;
        bool ok = !string.IsNullOrEmpty(name) && name!.All(c => char.IsLetterOrDigit(c) || c == '_');
        if (!ok)
            diagnostics.Add(NetworkPlanner.Invalid(layer, "name", $"\"{name}\"", "use a name of letters, digits and '_'"));
        return ok;
    }
}
