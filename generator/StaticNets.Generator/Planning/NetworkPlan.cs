using StaticNets.Generator.Model;

namespace StaticNets.Generator.Planning;

/// <summary>The activation fused into the op that produces its input. Maxout and Softmax are not elementwise.</summary>
internal enum ActivationKind { Identity, ReLU, LeakyReLU, ELU, SELU, Sigmoid, Tanh, GeluErf, GeluTanh, Swish, Softplus, Maxout, Softmax }

/// <summary>An activation and its argument (alpha or beta) or, for maxout, its pieces.</summary>
internal sealed record ActivationPlan(ActivationKind Kind, float Value, int Pieces)
{
    public static readonly ActivationPlan Identity = new(ActivationKind.Identity, 0f, 1);
    public bool IsIdentity => Kind == ActivationKind.Identity;
    public bool IsElementwise => Kind is not (ActivationKind.Maxout or ActivationKind.Softmax);
}

/// <summary>
/// One step of the network, numbered from 1 in order (0 stands for the network's input); each reads
/// the output of the step before it. Offsets index the parameter block unless named otherwise.
/// </summary>
internal abstract record OpPlan(int Index, int InputSize, int OutputSize)
{
    /// <summary>The activation applied to this op's result in the same loop (identity for ops that take none).</summary>
    public virtual ActivationPlan Activation => ActivationPlan.Identity;
}

/// <summary>
/// y = W x + b, W [Rows, InputSize] row-major; Rows = Units × maxout pieces. At inference a packed Dense
/// reads a copy packed in panels from the inference block at <see cref="PackedOffset"/> (weights, then the
/// padded bias); a small one (<see cref="DenseShapes.PacksForInference"/>) runs unrolled from a plain copy at
/// <see cref="CopyOffset"/> (weights, then bias), or, when a BatchNorm folds into it, from the BatchNorm's folded copy.
/// </summary>
/// <remarks>
/// <see cref="BiasCancelled"/>: a BatchNorm follows directly and nothing else reads the product, so in training the
/// bias is subtracted again with the batch mean: its gradient is exactly 0, and backward writes 0 instead of the
/// rounding noise of a sum that cancels.
/// </remarks>
internal sealed record DenseOp(int Index, int InputSize, int Units, int Number, ActivationPlan Fused, bool HasBias, int WeightOffset, int BiasOffset,
    InitKind Init, float InitScale, float BiasInit, float NegativeSlope, int PackedOffset, int CopyOffset, bool BiasCancelled) : OpPlan(Index, InputSize, Units)
{
    public override ActivationPlan Activation => Fused;
    public int Rows => Units * Fused.Pieces;
    public int WeightCount => Rows * InputSize;
    public bool Packed => PackedOffset >= 0;
    public int PaddedRows => DenseShapes.Padded(Rows);
    public int PackedWeightCount => InputSize * PaddedRows;
}

/// <summary>Which code runs a dense product. The panel width matches the runtime's PackedDenseKernels.MaxPanelWidth.</summary>
internal static class DenseShapes
{
    /// <summary>Dense products with at most this many rows are fully unrolled in training.</summary>
    public const int UnrollRows = 16;

    /// <summary>Up to this many inputs an unrolled row is a sum of products; above it a SIMD dot call.</summary>
    public const int ScalarDotInputs = 16;

    public const int MaxPanelWidth = 32;

    /// <summary>
    /// Products of at most <see cref="UnrollRows"/> rows stay unrolled at inference (a few dot products beat a
    /// mostly padded 32-output panel, which multiplies zeros for most of its width); all others read packed panels.
    /// </summary>
    public static bool PacksForInference(int rows) => rows > UnrollRows;

    public static int Padded(int rows) => (rows + MaxPanelWidth - 1) / MaxPanelWidth * MaxPanelWidth;

    /// <summary>Packed weights and padded bias.</summary>
    public static long PackedCount(int inputs, int rows) => (long)inputs * Padded(rows) + Padded(rows);
}

/// <summary>
/// BatchNorm over Size features; γ, β in the parameters, running mean and variance in the state.
/// At inference it is folded into the Dense before it (when that Dense has no activation of its own)
/// or applied as scale and shift. At <see cref="InferenceOffset"/> in the inference block it keeps its scale
/// and shift (what a packed Dense folds in while packing), or, folded into an unpacked Dense, that Dense's
/// folded weights and bias.
/// </summary>
internal sealed record BatchNormOp(int Index, int Size, int Number, ActivationPlan Fused, int GammaOffset, int BetaOffset,
    int MeanOffset, int VarianceOffset, float Momentum, float Epsilon, bool FoldsIntoDense, int InferenceOffset) : OpPlan(Index, Size, Size)
{
    public override ActivationPlan Activation => Fused;
}

/// <summary>LayerNorm over Size features per sample; inference reads γ and β from the inference block at <see cref="InferenceOffset"/>.</summary>
internal sealed record LayerNormOp(int Index, int Size, int Number, ActivationPlan Fused, int GammaOffset, int BetaOffset, float Epsilon, int InferenceOffset)
    : OpPlan(Index, Size, Size)
{
    public override ActivationPlan Activation => Fused;
}

/// <summary>PReLU with one learnable slope per feature; inference reads the slopes from the inference block at <see cref="InferenceOffset"/>.</summary>
internal sealed record PReLUOp(int Index, int Size, int Number, int SlopeOffset, float InitialSlope, int InferenceOffset) : OpPlan(Index, Size, Size);

/// <summary>Inverted dropout; the identity at inference.</summary>
internal sealed record DropoutOp(int Index, int Size, int Number, float Rate) : OpPlan(Index, Size, Size);

/// <summary>Adds the output of op <see cref="Source"/> (0: the network input), saved under <see cref="Name"/>.</summary>
internal sealed record AddOp(int Index, int Size, int Source, string Name, ActivationPlan Fused) : OpPlan(Index, Size, Size)
{
    public override ActivationPlan Activation => Fused;
}

/// <summary>A validated network with its parameter, state and inference-block layouts: all the emitters read.</summary>
/// <param name="SequentialModules">
/// Per op (in order), its index as a module of a PyTorch <c>nn.Sequential</c> built in the order of the layer attributes,
/// activations and dropout counted as modules; empty when the network has layers with no such module (Maxout, SaveAs/Add).
/// </param>
internal sealed record NetworkPlan(
    string? Namespace,
    string ClassName,
    EquatableArray<ContainingType> ContainingTypes,
    LossKind Loss,
    int InputSize,
    int OutputSize,
    int ParameterCount,
    int StateCount,
    int InferenceCount,
    string Architecture,
    EquatableArray<OpPlan> Ops,
    EquatableArray<int> SequentialModules,
    EquatableArray<MemberSignature> Members,
    LocationInfo? Location)
{
    /// <summary>The class's name as code writes it (keywords escaped with '@').</summary>
    public string ClassIdentifier => Parsing.NetworkParser.Identifier(ClassName);
}

/// <summary>What the plan stage hands on: a plan when the network is valid, and diagnostics.</summary>
internal sealed record PlanResult(NetworkPlan? Plan, EquatableArray<DiagnosticInfo> Diagnostics);
