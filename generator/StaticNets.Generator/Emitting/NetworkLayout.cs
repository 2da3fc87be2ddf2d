using System.Collections.Generic;
using System.Linq;
using StaticNets.Generator.Layers;
using StaticNets.Generator.Planning;

namespace StaticNets.Generator.Emitting;

/// <summary>
/// What the generated class holds beyond the blocks, all sized for maxBatchSize rows: every op's output and, for
/// training, its gradient; pre-activation values where backward needs them; what each op asks for itself (normalized
/// values, masks, scratch); the buffers ops share. Also the one-sample scratch of Predict.
/// </summary>
internal sealed class NetworkLayout
{
    public NetworkLayout(NetworkPlan plan)
    {
        Plan = plan;
        Trainable = plan.Trainable;
        Ops = plan.Ops.Items.ToList();
        Last = Ops[Ops.Count - 1];
        Stochastic = Ops.Any(o => o is IStochasticOp);
        Heads = Last as HeadsOp;
        // Every head's first op reads the trunk's last output: backward sums their gradients there as for a skip connection.
        TrunkLast = Heads is null ? null : Ops.First(o => o.From != o.Index - 1).From;
        SkipSources = Ops.OfType<AddOp>().Select(a => a.Source).Concat(TrunkLast is int t ? [t] : []).Distinct().OrderBy(s => s).ToList();
        DzWidth = Ops.Where(o => !o.Activation.IsIdentity).Select(o => o.ActivationWidth).DefaultIfEmpty(0).Max();

        var buffers = new List<BufferPlan>();
        foreach (OpPlan op in Ops)
        {
            if (!op.AliasesInput(EmitMode.Training))
            {
                buffers.Add(new BufferPlan(op.Name + "Out", op.Output.Size));
                if (Trainable && op is not HeadsOp) buffers.Add(new BufferPlan(op.Name + "Grad", op.Output.Size));
            }
            if (KeepsZ(op)) buffers.Add(new BufferPlan(op.Name + "Z", op.ActivationWidth));
            buffers.AddRange(op.Buffers(Trainable));
        }
        if (Trainable && DzWidth > 0) buffers.Add(new BufferPlan("dz", DzWidth));
        if (Trainable)
            foreach (int source in SkipSources) buffers.Add(new BufferPlan(SourceName(source) + "SkipGrad", SourceShape(source).Size));
        if (Trainable && TrunkLast is int trunk) buffers.Add(new BufferPlan(HeadInputGradient, SourceShape(trunk).Size));
        if (Stochastic) buffers.Add(new BufferPlan("monteCarloInputs", plan.Input.Size));
        // Shared buffers: the largest request of each name.
        Buffers = buffers.GroupBy(b => b.Name).Select(Largest).ToList();
        MaxWidth = Buffers.Where(b => b.Fixed is null).Select(b => b.PerSample).Append(plan.Input.Size).Max();

        foreach (OpPlan op in Ops)
        {
            // An op skipped at inference may still lend its scratch to the op that computes its output (a folded BatchNorm).
            if (op.InferenceScratch > 0) AddScratch(op.InferenceScratchName, op.InferenceScratch);
            if (op.SkippedAtInference) continue;
            if (op != Last && !op.AliasesInput(EmitMode.InferenceOne)) AddScratch(op.Name + "Out", op.Output.Size);
        }
        PredictScratchSize = PredictScratch.Sum(s => s.Size);
    }

    /// <summary>The smallest training batch: 2 when a BatchNorm normalizes a vector (one sample has no variance), else 1.</summary>
    public int MinBatchSize => Ops.Any(o => o is BatchNormOp { Input.IsFlat: true }) ? 2 : 1;

    /// <summary>The last op's outputs in the workspace for the first <paramref name="batch"/> rows (an expression).</summary>
    // The last op always has a buffer of its own: [Flatten], which has none, may not end a network.
    public string LastOutputs(string batch) => $"{Names.AsSpan}(_{Last.Name}Out, 0, {batch} * OutputSize)";

    // One buffer for all that ask for a name: the most floats per sample, or the largest of the fixed sizes.
    private static BufferPlan Largest(IEnumerable<BufferPlan> requests)
    {
        var all = requests.ToList();
        var sizes = all.Where(b => b.Fixed is not null).Select(b => b.Fixed!).Distinct().ToList();
        if (sizes.Count == 0) return all.OrderByDescending(b => b.PerSample).First();
        // Several expressions, one per line: the constructor takes their maximum.
        return all[0] with { Fixed = string.Join("\n", sizes) };
    }

    private void AddScratch(string name, int size)
    {
        int at = PredictScratch.FindIndex(s => s.Name == name);
        if (at < 0) PredictScratch.Add((name, size));
        else if (PredictScratch[at].Size < size) PredictScratch[at] = (name, size);
    }

    public NetworkPlan Plan { get; }
    public bool Trainable { get; }
    public List<OpPlan> Ops { get; }
    public OpPlan Last { get; }

    /// <summary>Whether some op draws random masks (dropout), so Monte-Carlo prediction exists.</summary>
    public bool Stochastic { get; }

    /// <summary>Whether training changes the state block (running statistics).</summary>
    public bool HasState => Plan.StateCount > 0;

    /// <summary>The op averaging the heads of a multi-head network (its last op), or null.</summary>
    public HeadsOp? Heads { get; }

    /// <summary>The trunk's last op, whose output every head reads, in a multi-head network.</summary>
    public int? TrunkLast { get; }

    /// <summary>The buffer where a head other than the first writes the gradient at its input, before it joins the trunk's sum.</summary>
    public const string HeadInputGradient = "headInputGrad";

    /// <summary>
    /// Whether <paramref name="op"/> starts a head other than the first: backward hands its input gradient to the trunk's
    /// sum (run before the first head's, which writes the trunk's gradient and adds the sum).
    /// </summary>
    public bool StartsLaterHead(OpPlan op) => TrunkLast is int t && op.From == t && op.Index != t + 1;

    /// <summary>Ops (−1: the input) whose outputs an [Add] or a later head reads, so backward sums further gradients into them.</summary>
    public List<int> SkipSources { get; }

    /// <summary>Floats per sample of the shared buffer for activation backward.</summary>
    public int DzWidth { get; }

    /// <summary>Every workspace buffer, each once.</summary>
    public List<BufferPlan> Buffers { get; }

    /// <summary>The widest per-sample buffer, to check maxBatchSize × width fits an array.</summary>
    public int MaxWidth { get; }

    /// <summary>Predict's scratch slices in order: outputs of all but the last op, and what ops ask for.</summary>
    public List<(string Name, int Size)> PredictScratch { get; } = new();

    public int PredictScratchSize { get; }

    public bool PredictOnStack => PredictScratchSize <= MaxStackFloats;

    /// <summary>Single-sample Predict keeps intermediate values on the stack up to this many floats; beyond, in a buffer per thread.</summary>
    public const int MaxStackFloats = 16 * 1024;

    /// <summary>Whether op keeps its pre-activation values: for backward, or maxout's pieces.</summary>
    public bool KeepsZ(OpPlan op) =>
        op.Activation.Kind == ActivationKind.Maxout || (Trainable && op.Activation.IsElementwise && !op.Activation.IsIdentity);

    public OpPlan Op(int index) => Ops[index];

    /// <summary>The name of op <paramref name="index"/>'s output in buffer names (−1: "input").</summary>
    public string SourceName(int index) => index < 0 ? "input" : Ops[index].Name;

    public Model.Shape SourceShape(int index) => index < 0 ? Plan.Input : Ops[index].Output;
}

/// <summary>An op that draws random masks in training (and in Monte-Carlo prediction).</summary>
internal interface IStochasticOp;
