using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;

namespace StaticNets.Generator.Emitting;

/// <summary>Names and expressions shared by the emitters, so each is spelled in one place.</summary>
internal static class Names
{
    public const string Kernels = "global::StaticNets.Kernels";
    public const string Guard = "global::StaticNets.Guard";
    public const string Span = "global::System.Span<float>";
    public const string ReadOnlySpan = "global::System.ReadOnlySpan<float>";

    /// <summary>The type of every float block and workspace buffer: an aligned segment (see <c>AlignedArrays</c>).</summary>
    public const string Block = "global::System.ArraySegment<float>";

    /// <summary>An expression allocating a block of <paramref name="length"/> floats on a cache-line boundary.</summary>
    public static string NewBlock(string length) => $"global::StaticNets.AlignedArrays.Allocate({length})";

    /// <summary>The first <paramref name="count"/> floats of workspace buffer <paramref name="field"/>.</summary>
    public static string Rows(string field, string count) => RowsFrom(field, "0", count);

    /// <summary><paramref name="count"/> floats of workspace buffer <paramref name="field"/> from <paramref name="start"/>.</summary>
    public static string RowsFrom(string field, string start, string count) => $"global::System.MemoryExtensions.AsSpan({field}, {start}, {count})";

    /// <summary>Op k's training output for the first `batch` rows.</summary>
    public static string Output(OpPlan op, string batch = "batch") => Rows($"_a{op.Index}", $"{batch} * {op.OutputSize}");

    /// <summary>A slice of a block span.</summary>
    public static string Slice(string block, int offset, int length) => $"{block}.Slice({offset}, {length})";

    public static string Weights(DenseOp d, string block) => Slice(block, d.WeightOffset, d.WeightCount);

    public static string Bias(DenseOp d, string block) => d.HasBias ? Slice(block, d.BiasOffset, d.Rows) : "default";

    /// <summary>An expression creating the activation struct the kernels are generic over (identity for maxout and softmax, applied after).</summary>
    public static string Activation(ActivationPlan a) => a.Kind switch
    {
        ActivationKind.LeakyReLU => $"new {Kernels}.LeakyReLU({Format.FloatLiteral(a.Value)})",
        ActivationKind.ELU => $"new {Kernels}.ELU({Format.FloatLiteral(a.Value)})",
        ActivationKind.Swish => $"new {Kernels}.Swish({Format.FloatLiteral(a.Value)})",
        ActivationKind.Softplus => $"new {Kernels}.Softplus({Format.FloatLiteral(a.Value)})",
        ActivationKind.Maxout or ActivationKind.Softmax or ActivationKind.Identity => $"default({Kernels}.Identity)",
        _ => $"default({Kernels}.{a.Kind})",
    };

    public static string Loss(LossKind loss) => "global::StaticNets.Loss." + loss;

    /// <summary>The user-facing prefix of an op's views: Dense1, BatchNorm2, LayerNorm1, PReLU1.</summary>
    public static string View(OpPlan op) => op switch
    {
        DenseOp d => "Dense" + d.Number,
        BatchNormOp b => "BatchNorm" + b.Number,
        LayerNormOp l => "LayerNorm" + l.Number,
        PReLUOp p => "PReLU" + p.Number,
        DropoutOp d => "Dropout" + d.Number,
        _ => "Op" + op.Index,
    };

    /// <summary>A short description for comments in generated code.</summary>
    public static string Describe(OpPlan op)
    {
        string activation = op.Activation.IsIdentity ? "" : ", " + op.Activation.Kind;
        return op switch
        {
            DenseOp d => $"dense{d.Number}: {d.InputSize} -> {d.Rows}{activation}",
            BatchNormOp b => $"batchnorm{b.Number}: {b.OutputSize}{activation}",
            LayerNormOp l => $"layernorm{l.Number}: {l.OutputSize}{activation}",
            PReLUOp p => $"prelu{p.Number}: {p.OutputSize}",
            DropoutOp d => $"dropout{d.Number}: {d.OutputSize}, rate {Format.Float(d.Rate)}",
            AddOp a => $"add \"{a.Name}\" (output of {(a.Source == 0 ? "the input" : "op " + a.Source)}): {a.OutputSize}{activation}",
            _ => op.ToString(),
        };
    }
}
