using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using StaticNets.Generator.Layers;

namespace StaticNets.Generator.Emitting;

/// <summary>Which generated method an op is emitting into.</summary>
internal enum EmitMode
{
    /// <summary>ForwardTraining(x, batch): parameters `p`, state `s`.</summary>
    Training,
    /// <summary>Backward(x, batch, inputGradients): parameters `p`, gradients `g`.</summary>
    Backward,
    /// <summary>ForwardInference(x, batch, dropout, f): the inference copy `f`, workspace outputs.</summary>
    Inference,
    /// <summary>ForwardSample(x, output, f): one sample, the inference copy `f`, outputs in Predict's scratch.</summary>
    InferenceOne,
    /// <summary>WriteInference(f): parameters `p`, state `s`, the inference copy `f` to write.</summary>
    WriteInference,
}

/// <summary>
/// One generated method being written: the spans it works on, as locals declared once at its top (a buffer's rows for
/// this batch, a tensor's slice of a block), and the lines that use them.
/// </summary>
internal sealed class EmitContext
{
    private readonly CodeWriter _body;
    private readonly List<string> _declarations = new();
    private readonly HashSet<string> _declared = new(StringComparer.Ordinal);
    private readonly int _indent;

    public EmitContext(NetworkLayout layout, EmitMode mode, int indent)
    {
        Layout = layout;
        Mode = mode;
        _indent = indent;
        _body = new CodeWriter(indent);
    }

    public NetworkLayout Layout { get; }

    public EmitMode Mode { get; }

    public bool IsOneSample => Mode == EmitMode.InferenceOne;

    /// <summary>The number of samples in this method: "batch", or "1" for one sample.</summary>
    public string Batch => IsOneSample ? "1" : "batch";

    // ---- lines ----

    public void Line(string line = "") => _body.Line(line);

    public void Open(string header) => _body.Open(header);

    public void Close() => _body.Close();

    /// <summary>A call statement with literal sizes; long ones wrap.</summary>
    public void Call(string method, params object[] arguments) => _body.Wrapped(method, arguments.Select(Literal).ToList());

    /// <summary>`target = method(arguments);`.</summary>
    public void Assign(string target, string method, params object[] arguments) => _body.Wrapped($"{target} = {method}", arguments.Select(Literal).ToList());

    private static string Literal(object value) => value switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        float f => Format.FloatLiteral(f),
        IFormattable n => n.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    // ---- the values flowing through the network ----

    /// <summary>The span holding op <paramref name="index"/>'s output in this method (−1: the network's input, `x`).</summary>
    public string OutOf(int index)
    {
        if (index < 0) return "x";
        OpPlan op = Layout.Op(index);
        if (IsOneSample && op == Layout.Last) return "output";
        if (op.AliasesInput(Mode)) return OutOf(op.From);
        if (IsOneSample) return Local(op.Name + "Out", () => ScratchSlice(op.Name + "Out"));
        return Buffer(op, "Out", op.Output.Size);
    }

    public string In(OpPlan op) => OutOf(op.From);

    public string Out(OpPlan op) => OutOf(op.Index);

    /// <summary>The span receiving d(loss)/d(op <paramref name="index"/>'s output) in backward (−1: `inputGradients`, which may be empty).</summary>
    public string GradOf(int index)
    {
        if (index < 0) return "inputGradients";
        OpPlan op = Layout.Op(index);
        return op.AliasesInput(Mode) ? GradOf(op.From) : Buffer(op, "Grad", op.Output.Size);
    }

    public string Grad(OpPlan op) => GradOf(op.Index);

    /// <summary>
    /// Emits <paramref name="emit"/>, which writes the gradient at an op's input into <paramref name="target"/>: inside a
    /// check that the caller asked for input gradients when the target is theirs.
    /// </summary>
    public void InputGradient(string target, Action emit)
    {
        if (target != "inputGradients")
        {
            emit();
            return;
        }
        Open("if (!inputGradients.IsEmpty)");
        emit();
        Close();
    }

    /// <summary>The pre-activation values an op keeps (training, or maxout's pieces in batched inference), or null.</summary>
    public string? Z(OpPlan op) => Layout.KeepsZ(op) ? Buffer(op, "Z", op.ActivationWidth) : null;

    /// <summary>The first `batch` rows of the op's workspace buffer `_{name}{suffix}` of <paramref name="perSample"/> floats per sample.</summary>
    public string Buffer(OpPlan op, string suffix, int perSample) => Rows(op.Name + suffix, perSample);

    /// <summary>The first `batch` rows of buffer `_{name}`.</summary>
    public string Rows(string name, int perSample) =>
        Local(name, () => $"{Names.AsSpan}(_{name}, 0, {Batch} * {perSample.ToString(CultureInfo.InvariantCulture)})");

    /// <summary>The first `batch` rows of the int buffer `_{name}`.</summary>
    public string IntRows(string name, int perSample) =>
        Local(name, () => $"global::System.MemoryExtensions.AsSpan(_{name}, 0, {Batch} * {perSample.ToString(CultureInfo.InvariantCulture)})", "global::System.Span<int>");

    /// <summary>All of buffer `_{name}` (one not sized by the batch).</summary>
    public string Whole(string name) => Local(name, () => $"{Names.AsSpan}(_{name})");

    /// <summary>The op's own scratch of Predict (<see cref="OpPlan.InferenceScratch"/>).</summary>
    public string InferenceScratch(OpPlan op) => Local(op.InferenceScratchName, () => ScratchSlice(op.InferenceScratchName));

    private string ScratchSlice(string name)
    {
        int offset = 0;
        foreach (var (slice, size) in Layout.PredictScratch)
        {
            if (slice == name) return $"scratch.Slice({offset.ToString(CultureInfo.InvariantCulture)}, {size.ToString(CultureInfo.InvariantCulture)})";
            offset += size;
        }
        throw new InvalidOperationException($"no scratch slice {name}");
    }

    // ---- tensors ----

    /// <summary>A parameter tensor's slice of `p` (the parameters), or of `s` for a state tensor (written in training).</summary>
    public string Parameter(TensorPlan t) =>
        Local(Names.Camel(t.View), () => Slice(t.InState ? "s" : "p", t.Offset, t.Length), t.InState && Mode == EmitMode.Training ? Names.Span : Names.ReadOnlySpan);

    /// <summary>A parameter tensor's slice of `g` (the gradients).</summary>
    public string Gradient(TensorPlan t) => Local(Names.Camel(t.View) + "Grad", () => Slice("g", t.Offset, t.Length));

    /// <summary>A slice of the inference copy `f`, named after the op and what it holds ("dense1PackedWeightsCopy"; written only by WriteInference).</summary>
    public string Copy(OpPlan op, string what, int offset, int length) =>
        Local(op.Name + what + "Copy", () => Slice("f", offset, length), Mode == EmitMode.WriteInference ? Names.Span : Names.ReadOnlySpan);

    private static string Slice(string block, int offset, int length) =>
        $"{block}.Slice({offset.ToString(CultureInfo.InvariantCulture)}, {length.ToString(CultureInfo.InvariantCulture)})";

    /// <summary>A local made once at the method's top; <paramref name="value"/> is its initializer.</summary>
    public string Local(string name, Func<string> value, string type = Names.Span)
    {
        if (_declared.Add(name))
            _declarations.Add($"{type} {name} = {value()};");
        return name;
    }

    /// <summary>The method body: its locals, then its lines.</summary>
    public CodeWriter Flush(CodeWriter into)
    {
        var header = new CodeWriter(_indent);
        foreach (string declaration in _declarations) header.Line(declaration);
        return into.Append(header).Append(_body);
    }
}
