using System.Collections.Generic;
using System.Numerics;
using StaticNets.Generator.Emitting;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;

namespace StaticNets.Generator.Layers;

/// <summary>
/// One step of the network, as planned: shapes, sizes and offsets (compared by value, so the plan caches), and the code
/// it emits for each pass. Ops are numbered from 0 in order; each reads the output of <see cref="From"/>, the op before it
/// except where [Heads] starts a head (index −1 is the network's input). Each kind's op lives in the kind's file.
/// </summary>
internal abstract record OpPlan
{
    /// <summary>Position among the network's ops, from 0.</summary>
    public int Index { get; init; }

    /// <summary>The op whose output it reads (−1: the network's input): the one before it, except a head's first op, which reads the trunk's last.</summary>
    public int From { get; init; }

    /// <summary>Count among the ops of its kind, from 1: the 2 of dense2.</summary>
    public int Number { get; init; }

    /// <summary>Position of its attribute among those after [Input]: its module index in the equivalent nn.Sequential.</summary>
    public int Module { get; init; }

    public Shape Input { get; init; }

    public Shape Output { get; init; }

    /// <summary>The activation applied to its result in the same pass (identity for ops that take none).</summary>
    public ActivationPlan Activation { get; init; } = ActivationPlan.Identity;

    public LocationInfo? Location { get; init; }

    /// <summary>Lower-case kind, as in tensor names: "dense" of "dense1.weight".</summary>
    public abstract string Prefix { get; }

    /// <summary>Kind as in view names: "Dense" of "Dense1Weights".</summary>
    public abstract string Title { get; }

    /// <summary>The op's name in tensor names, buffers and comments: "dense1".</summary>
    public string Name => Prefix + Number;

    /// <summary>The prefix of its public views: "Dense1".</summary>
    public string View => Title + Number;

    // ---- reading and planning ----

    /// <summary>Whether it only reinterprets its input's shape (Flatten): the values are still the network input's.</summary>
    public virtual bool IsReshape => false;

    /// <summary>Whether an activation attribute right after it fuses into it.</summary>
    public virtual bool AcceptsActivation => false;

    /// <summary>Its part of the architecture string (part of the weights-file fingerprint: never change an existing one).</summary>
    public abstract string Token { get; }

    /// <summary>Learnable parameters, in arbitrary precision for the size check before anything is laid out.</summary>
    public virtual BigInteger ParameterCount => 0;

    /// <summary>
    /// Inference arithmetic per sample, a multiply-add as two, without its fused activation (counted apart): the rules
    /// are StaticNets.ModelSummary's.
    /// </summary>
    public virtual long Flops => 0;

    /// <summary>Values per sample the activation acts on, in arbitrary precision (a Dense's rows include every maxout piece).</summary>
    public virtual BigInteger ActivationValues => Output.LongSize;

    /// <summary>Values per sample the activation acts on, once the sizes are checked.</summary>
    public int ActivationWidth => (int)ActivationValues;

    /// <summary>Takes its places in the parameter, state and inference blocks and decides its fusions.</summary>
    public virtual OpPlan Plan(PlanContext context) => this;

    // ---- emission ----

    /// <summary>A short description for comments in generated code.</summary>
    public virtual string Describe => $"{Name}: {Input} -> {Output}{(Activation.IsIdentity ? "" : ", " + Activation.Kind)}";

    /// <summary>Its tensors in the parameter and state blocks, in order.</summary>
    public virtual IEnumerable<TensorPlan> Tensors => [];

    /// <summary>Workspace buffers of its own beyond its output, gradient and pre-activation values.</summary>
    public virtual IEnumerable<BufferPlan> Buffers(bool trainable) => [];

    /// <summary>Whether its output is its input in this pass (a reshape, or dropout in one-sample inference): no buffer, no code.</summary>
    public virtual bool AliasesInput(EmitMode mode) => false;

    /// <summary>Whether single-sample inference skips it: another op computes its output for it (a BatchNorm folded into it).</summary>
    public virtual bool SkippedAtInference => false;

    /// <summary>Floats of scratch one sample needs at inference beyond the outputs (maxout pieces, convolution columns).</summary>
    public virtual int InferenceScratch => 0;

    /// <summary>The name of that scratch in Predict: ops that need it only while they run share one name (the largest is kept).</summary>
    public virtual string InferenceScratchName => Name + "Scratch";

    /// <summary>Constructor code that initializes its parameters and state (<paramref name="rng"/> names the random generator).</summary>
    public virtual void EmitInitialize(CodeWriter w, string rng) { }

    /// <summary>Training forward: the output, and what backward needs.</summary>
    public abstract void EmitForward(EmitContext c);

    /// <summary>
    /// Backward from <paramref name="dz"/> (the gradient at its result before the activation's backward, already applied):
    /// its parameter gradients, and the gradient at its input into <paramref name="target"/> through
    /// <see cref="EmitContext.InputGradient"/>.
    /// </summary>
    public abstract void EmitBackward(EmitContext c, string dz, string target);

    /// <summary>Inference, batched or one sample (<see cref="EmitContext.Batch"/>), reading the inference copy.</summary>
    public abstract void EmitInference(EmitContext c);

    /// <summary>Writes its part of the inference copy from the parameters and state.</summary>
    public virtual void EmitWriteInference(EmitContext c) { }
}

/// <summary>
/// A named tensor of an op in the parameter or state block: PyTorch-style name, the public view's name, place, shape
/// (outermost first), kind (a member of StaticNets.ParameterKind) and a description for the view's documentation.
/// </summary>
internal sealed record TensorPlan(string Name, string View, int Offset, EquatableArray<int> Shape, string Kind, bool InState, string Doc)
{
    public int Length
    {
        get
        {
            int length = 1;
            foreach (int d in Shape) length *= d;
            return length;
        }
    }
}

/// <summary>
/// A workspace buffer: field <c>_{Name}</c>, holding <see cref="PerSample"/> floats per sample (maxBatchSize rows), or
/// <see cref="Fixed"/> floats when that is set (an expression). Buffers of the same name are shared by all ops that ask
/// for them: the largest (of fixed sizes, the largest of their expressions, one per line of <see cref="Fixed"/>, worked
/// out when the network is constructed).
/// </summary>
internal sealed record BufferPlan(string Name, int PerSample, string? Fixed = null, bool IsInt = false);
