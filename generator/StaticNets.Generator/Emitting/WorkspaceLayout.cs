using System.Linq;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;

namespace StaticNets.Generator.Emitting;

/// <summary>
/// Which per-batch buffers the generated class holds. Every stage keeps its output a{n}; z{n}
/// (pre-activation) is kept only where backward needs it or maxout reduces it. Backward uses two
/// delta buffers in turn (the gradient of one stage's output, then of the one before) and one dz buffer.
/// </summary>
internal sealed class WorkspaceLayout(NetworkPlan plan)
{
    public bool Trainable { get; } = plan.Loss != LossKind.None;

    public bool NeedsZ(StagePlan s) =>
        s.Activation == ActivationKind.Maxout || (Trainable && s.IsElementwise && s.Activation != ActivationKind.Identity);

    /// <summary>Backward needs a separate dz only where the activation is not the identity.</summary>
    public bool NeedsDz(StagePlan s) => s.Activation != ActivationKind.Identity;

    public int DeltaWidth { get; } = plan.Stages.Max(s => s.Units);

    public int DzWidth { get; } = plan.Stages.Where(s => s.Activation != ActivationKind.Identity).Select(s => s.Rows).DefaultIfEmpty(0).Max();

    /// <summary>Floats a single-sample Predict needs for intermediate values (stage outputs and maxout pieces).</summary>
    public int PredictScratch { get; } = plan.Stages.Take(plan.Stages.Count - 1).Sum(s => s.Units)
        + plan.Stages.Where(s => s.Activation == ActivationKind.Maxout).Sum(s => s.Rows);

    /// <summary>Above this many floats Predict uses an instance buffer instead of the stack.</summary>
    public const int MaxStackFloats = 16 * 1024;

    public bool PredictOnStack => PredictScratch <= MaxStackFloats;

    /// <summary>The widest per-sample buffer, to check maxBatchSize × width fits an array.</summary>
    public int MaxWidth { get; } = plan.Stages.Max(s => s.Rows);
}
