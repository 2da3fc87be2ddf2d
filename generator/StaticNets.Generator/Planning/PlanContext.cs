using System.Collections.Generic;
using StaticNets.Generator.Layers;
using StaticNets.Generator.Runtime;

namespace StaticNets.Generator.Planning;

/// <summary>What an op sees while it is laid out: the blocks' running totals and its neighbours.</summary>
internal sealed class PlanContext(List<OpPlan> ops, HashSet<int> savedOutputs, List<Model.DiagnosticInfo> diagnostics)
{
    private long _parameters, _state, _inference;

    public long ParameterTotal => _parameters;
    public long StateTotal => _state;
    public long InferenceTotal => _inference;

    /// <summary>The op whose output <paramref name="op"/> reads, or null for the network's input.</summary>
    public OpPlan? Previous(OpPlan op) => op.From >= 0 ? ops[op.From] : null;

    /// <summary>The op reading <paramref name="op"/>'s output next, or null (the last op of a head, or of the network).</summary>
    public OpPlan? Next(OpPlan op) => op.Index + 1 < ops.Count && ops[op.Index + 1].From == op.Index ? ops[op.Index + 1] : null;

    /// <summary>Whether a [SaveAs] names op <paramref name="index"/>'s output (−1: the network input), so something else reads it.</summary>
    public bool IsSaved(int index) => savedOutputs.Contains(index);

    /// <summary>A diagnostic found while laying out (a warning or information: errors are found before).</summary>
    public void Report(Model.DiagnosticInfo diagnostic) => diagnostics.Add(diagnostic);

    public int TakeParameters(long count) => Take(ref _parameters, count);

    public int TakeState(long count) => Take(ref _state, count);

    /// <summary>Inference slices start on cache lines (the block itself is aligned), so no vector load splits one.</summary>
    public int TakeInference(long count)
    {
        _inference = (_inference + SharedLayout.FloatsPerLine - 1) / SharedLayout.FloatsPerLine * SharedLayout.FloatsPerLine;
        return Take(ref _inference, count);
    }

    private static int Take(ref long total, long count)
    {
        long start = total;
        total += count;
        return (int)System.Math.Min(start, int.MaxValue);
    }
}
