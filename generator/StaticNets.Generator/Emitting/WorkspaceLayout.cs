using System.Collections.Generic;
using System.Linq;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;

namespace StaticNets.Generator.Emitting;

/// <summary>
/// Which buffers the generated class holds, all sized for maxBatchSize rows: every op's output a{k};
/// what backward needs (pre-activations z{k}, normalized values, 1/σ, dropout masks, output
/// gradients d{k}, skip-gradient sums); Monte-Carlo buffers. (The inference block is planned with the parameters.)
/// </summary>
internal sealed class WorkspaceLayout
{
    public WorkspaceLayout(NetworkPlan plan)
    {
        Plan = plan;
        Trainable = plan.Loss != LossKind.None;
        Ops = plan.Ops.Items.ToList();
        Last = Ops[Ops.Count - 1];
        HasBatchNorm = Ops.Any(o => o is BatchNormOp);
        HasDropout = Ops.Any(o => o is DropoutOp);
        SkipSources = Ops.OfType<AddOp>().Select(a => a.Source).Distinct().OrderBy(s => s).ToList();
        DzWidth = Ops.Where(o => !o.Activation.IsIdentity).Select(ActivationWidth).DefaultIfEmpty(0).Max();
        MaxWidth = Ops.Select(ActivationWidth).Append(plan.InputSize).Max();
        TileLayer = Ops.OfType<DenseOp>().Where(d => d.Rows > DenseShapes.UnrollRows).OrderByDescending(d => d.InputSize + d.Rows).FirstOrDefault();

        PredictOutputs[0] = "input";
        foreach (OpPlan op in Ops)
        {
            if (IsFoldedAway(op)) continue;
            if (op is DenseOp { Activation.Kind: ActivationKind.Maxout } d) PredictScratch.Add(($"z{op.Index}", d.Rows));
            if (op == Last) PredictOutputs[op.Index] = "output";
            else if (op is DropoutOp) PredictOutputs[op.Index] = PredictOutputs[op.Index - 1];
            else
            {
                PredictOutputs[op.Index] = $"a{op.Index}";
                PredictScratch.Add(($"a{op.Index}", op.OutputSize));
            }
        }
        PredictScratchSize = PredictScratch.Sum(s => s.Size);
    }

    /// <summary>In single-sample Predict, where each op's output lives: a scratch slice, the caller's output, or (dropout) its input.</summary>
    public Dictionary<int, string> PredictOutputs { get; } = new();

    /// <summary>Predict's scratch slices in order.</summary>
    public List<(string Name, int Size)> PredictScratch { get; } = new();

    public int PredictScratchSize { get; }

    public bool PredictOnStack => PredictScratchSize <= MaxStackFloats;

    public NetworkPlan Plan { get; }
    public bool Trainable { get; }
    public List<OpPlan> Ops { get; }
    public OpPlan Last { get; }
    public bool HasBatchNorm { get; }

    public bool HasDropout { get; }

    /// <summary>Ops (0: the input) whose outputs an [Add] reads, so backward sums a second gradient into them.</summary>
    public List<int> SkipSources { get; }

    /// <summary>Floats per sample of the shared dz buffer (activation backward).</summary>
    public int DzWidth { get; }

    /// <summary>Of the Dense layers training runs through the batched kernel, the one whose tile is largest (null: none).</summary>
    public DenseOp? TileLayer { get; }

    /// <summary>The widest per-sample buffer, to check maxBatchSize × width fits an array.</summary>
    public int MaxWidth { get; }

    /// <summary>Values an activation acts on: the Dense rows (all maxout pieces) or the op's width.</summary>
    public static int ActivationWidth(OpPlan op) => op is DenseOp d ? d.Rows : op.OutputSize;

    /// <summary>Whether op k keeps its pre-activation values: for backward, or maxout's pieces.</summary>
    public bool KeepsZ(OpPlan op) =>
        op.Activation.Kind == ActivationKind.Maxout || (Trainable && op.Activation.IsElementwise && !op.Activation.IsIdentity);

    /// <summary>The Dense a BatchNorm folds into at inference, whose own output is then never computed.</summary>
    public bool IsFoldedAway(OpPlan op) => op is DenseOp && op.Index < Ops.Count && Ops[op.Index] is BatchNormOp { FoldsIntoDense: true };

    public OpPlan Op(int index) => Ops[index - 1];

    /// <summary>Single-sample Predict keeps intermediate values on the stack up to this many floats.</summary>
    public const int MaxStackFloats = 16 * 1024;
}
