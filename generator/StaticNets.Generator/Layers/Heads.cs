using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using StaticNets.Generator.Diagnostics;
using StaticNets.Generator.Emitting;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;
using StaticNets.Generator.Runtime;

namespace StaticNets.Generator.Layers;

/// <summary>
/// [Heads(count)]: the layers after it are one head of a multi-head ensemble. It adds no op where it stands: the reader
/// marks the place, and the planner (<see cref="Heads.Replicate"/>) copies the head's ops count − 1 times, each copy
/// reading the trunk's last output, and ends the network with a <see cref="HeadsOp"/> that averages the heads.
/// </summary>
internal sealed class HeadsKind : ILayerKind
{
    /// <summary>More heads than this is a wider network, not an ensemble (and keeps the copied op list small).</summary>
    public const int MaxHeads = 64;

    public Type AttributeType => typeof(HeadsAttribute);

    public void Read(LayerSpec layer, LayerReader reader)
    {
        int count = layer.As<HeadsAttribute>().Count;
        reader.AddToken($"Heads({count.ToString(CultureInfo.InvariantCulture)})");
        if (count < 2 || count > MaxHeads)
        {
            reader.Invalid(layer, "count", count, $"a multi-head ensemble has 2 to {MaxHeads} heads");
            return;
        }
        if (reader.HeadsAt >= 0)
            reader.OutOfPlace(layer, "a network has one [Heads]: the layers after it are the head, copied count times");
        else if (reader.AtNetworkInput)
            reader.OutOfPlace(layer, "the heads share the layers above [Heads]: put at least one layer before it (to combine separate networks, train them apart and use Ensemble<T>)");
        else if (reader.IsLast)
            reader.OutOfPlace(layer, "the layers after [Heads] are the head: put the head's layers after it");
        else
            reader.MarkHeads(count, layer);
    }
}

/// <summary>The planner's step for [Heads]: the head's copies and the op that averages them.</summary>
internal static class Heads
{
    /// <summary>
    /// Copies the head (the ops from <see cref="LayerReader.HeadsAt"/> on) until there are <see cref="LayerReader.HeadCount"/>,
    /// numbering each copy's ops after the last, and adds to <paramref name="saved"/> what the copies save (and the
    /// trunk's output, which every head reads, so no head folds into the trunk). Reports a head that starts with a
    /// reshape (its gradient would be the trunk's own buffer, which every head writes).
    /// </summary>
    public static bool Replicate(LayerReader reader, List<OpPlan> ops, HashSet<int> saved, List<DiagnosticInfo> diagnostics)
    {
        int at = reader.HeadsAt, trunkLast = at - 1;
        OpPlan first = ops[at];
        if (first.IsReshape)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerOutOfPlace, first.Location, first.Title,
                "a head cannot start by reshaping the trunk's values: put it before [Heads], in the trunk"));
            return false;
        }
        var head = ops.GetRange(at, ops.Count - at);
        var savedInHead = saved.Where(s => s >= at).ToList();
        for (int k = 1; k < reader.HeadCount; k++)
        {
            int shift = k * head.Count;
            foreach (OpPlan op in head)
            {
                OpPlan copy = op with
                {
                    Index = op.Index + shift,
                    From = op.From == trunkLast ? trunkLast : op.From + shift,
                    Number = 1 + ops.Count(o => o.GetType() == op.GetType()),
                };
                if (copy is AddOp { Source: var source } add && source >= at) copy = add with { Source = source + shift };
                ops.Add(copy);
            }
            foreach (int s in savedInHead) saved.Add(s + shift);
        }
        saved.Add(trunkLast);
        return true;
    }

    /// <summary>The op ending a multi-head network: the heads' outputs combined as the loss reads them.</summary>
    public static HeadsOp Combine(LayerReader reader, List<OpPlan> ops, Loss loss)
    {
        int length = (ops.Count - reader.HeadsAt) / reader.HeadCount;
        OpPlan last = ops[ops.Count - 1];
        return new HeadsOp
        {
            Index = ops.Count,
            From = ops.Count - 1,
            Number = 1,
            Module = reader.HeadsPosition,
            Input = last.Output,
            Output = last.Output,
            Location = reader.HeadsLocation,
            Loss = loss,
            Sources = Enumerable.Range(1, reader.HeadCount).Select(k => reader.HeadsAt + k * length - 1).ToEquatableArray(),
        };
    }
}

/// <summary>
/// The mean of the heads (<see cref="Sources"/>: each head's last op). Softmax cross-entropy: the log of the mean of
/// the heads' softmax probabilities (log-sum-exp over the heads' log-softmax, finite for finite logits), so the
/// network's softmax gives the mean probabilities; sigmoid: the logit of the mean probability; otherwise the mean of the
/// outputs. Training computes it too (for BatchOutputs and the diagnostics); the loss reads the heads themselves, so
/// it has no backward.
/// </summary>
internal sealed record HeadsOp : OpPlan
{
    public Loss Loss { get; init; }

    public EquatableArray<int> Sources { get; init; }

    public int Count => Sources.Items.Length;

    public override string Prefix => "heads";
    public override string Title => "Heads";
    public override string Token => $"Heads({Count.ToString(CultureInfo.InvariantCulture)})";
    public override long Flops => (long)Count * Output.Size;
    public override string Describe => $"{Name}: the mean of {Count} heads ({string.Join(", ", Sources.Items.Select(s => "op " + s.ToString(CultureInfo.InvariantCulture)))}): {Output}";

    private bool Logit => Loss == Loss.SigmoidBinaryCrossEntropy;

    public override IEnumerable<BufferPlan> Buffers(bool trainable) => Logit ? [new BufferPlan(Name + "Negative", Output.Size)] : [];

    public override int InferenceScratch => Logit ? Output.Size : 0;

    public override void EmitForward(EmitContext c) => Emit(c);

    public override void EmitInference(EmitContext c) => Emit(c);

    public override void EmitBackward(EmitContext c, string dz, string target) { }

    private void Emit(EmitContext c)
    {
        string output = c.Out(this);
        string? negative = !Logit ? null : c.IsOneSample ? c.InferenceScratch(this) : c.Buffer(this, "Negative", Output.Size);
        string kernels = $"{Names.Kernels}.HeadKernels";
        for (int k = 0; k < Count; k++)
        {
            string head = c.OutOf(Sources.Items[k]);
            bool first = k == 0;
            if (Loss == Loss.SoftmaxCrossEntropy) c.Call($"{kernels}.AddLogSoftmax", head, output, c.Batch, Output.Size, first);
            else if (Logit) c.Call($"{kernels}.AddLogSigmoid", head, output, negative!, first);
            else c.Call($"{kernels}.AddValues", head, output, first);
        }
        if (Loss == Loss.SoftmaxCrossEntropy) c.Call($"{kernels}.FinishLogMean", output, Count);
        else if (Logit) c.Call($"{kernels}.FinishLogit", output, negative!);
        else c.Call($"{kernels}.FinishMean", output, Count);
    }
}
