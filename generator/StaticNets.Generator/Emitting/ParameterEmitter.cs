using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using StaticNets.Generator.Layers;
using StaticNets.Generator.Planning;

namespace StaticNets.Generator.Emitting;

/// <summary>Sizes; the parameter, gradient and state blocks with named views; the workspace; the constructors.</summary>
internal static class ParameterEmitter
{
    public static void Emit(CodeWriter w, NetworkLayout layout)
    {
        NetworkPlan plan = layout.Plan;
        var tensors = layout.Ops.SelectMany(op => op.Tensors.Select(t => (Op: op, Tensor: t))).ToList();

        if (!plan.Input.IsFlat)
        {
            w.Line("/// <summary>Channels of an input sample (stored channel by channel, row by row: NCHW).</summary>");
            w.Line($"public const int InputChannels = {plan.Input.Channels};");
            w.Line("/// <summary>Rows of each input channel.</summary>");
            w.Line($"public const int InputHeight = {plan.Input.Height};");
            w.Line("/// <summary>Columns of each input channel.</summary>");
            w.Line($"public const int InputWidth = {plan.Input.Width};");
        }
        w.Line(plan.Input.IsFlat ? "/// <summary>Features per input sample.</summary>" : "/// <summary>Values per input sample: InputChannels × InputHeight × InputWidth.</summary>");
        w.Line($"public const int InputSize = {plan.Input.Size};");
        w.Line("/// <summary>Values per output sample.</summary>");
        w.Line($"public const int OutputSize = {plan.OutputSize};");
        w.Line("/// <summary>Learnable parameters in <see cref=\"Parameters\"/>.</summary>");
        w.Line($"public const int ParameterCount = {plan.ParameterCount};");
        w.Line("/// <summary>Values in <see cref=\"State\"/> (running statistics).</summary>");
        w.Line($"public const int StateCount = {plan.StateCount};");
        w.Line("/// <summary>Layer kinds and sizes; part of the weights-file fingerprint.</summary>");
        w.StringLine("public const string Architecture = ", plan.Architecture);
        if (layout.Trainable)
        {
            w.Line(layout.MinBatchSize > 1
                ? "/// <summary>The smallest training batch (BatchNorm of a vector needs two samples for batch statistics).</summary>"
                : "/// <summary>The smallest training batch.</summary>");
            w.Line($"public const int MinBatchSize = {layout.MinBatchSize};");
        }
        w.Line();
        EmitTensorTable(w, "s_parameterTensors", tensors.Select(t => t.Tensor).Where(t => !t.InState));
        EmitTensorTable(w, "s_stateTensors", tensors.Select(t => t.Tensor).Where(t => t.InState));
        if (plan.HasSequentialNames) EmitSequentialNames(w, tensors);

        w.Line($"private readonly {Names.Block} _parameters = {Names.NewBlock("ParameterCount")};");
        w.Line($"private readonly {Names.Block} _state = {Names.NewBlock("StateCount")};");
        if (layout.Trainable) w.Line($"private readonly {Names.Block} _gradients = {Names.NewBlock("ParameterCount")};");
        foreach (BufferPlan buffer in layout.Buffers)
            w.Line($"private readonly {(buffer.IsInt ? "int[]" : Names.Block)} _{buffer.Name};");
        w.Line("// Coordinates writes of the parameters (shared with replicas) and state with rebuilds of the inference copy.");
        w.Line("private readonly global::StaticNets.ParameterGuard _guard = new();");
        w.Line($"private readonly global::StaticNets.InferenceCopy _inference = new({plan.InferenceCount.ToString(CultureInfo.InvariantCulture)});");
        if (layout.Stochastic) w.Line("private readonly double[] _monteCarloSums = new double[2 * OutputSize];");
        if (!layout.PredictOnStack)
        {
            w.Line("[global::System.ThreadStatic]");
            w.Line($"private static {Names.Block} t_predictScratch; // Predict's intermediate values, too many for the stack: one buffer per thread");
        }
        w.Line("private readonly global::StaticNets.Rng _rng;");
        if (layout.Trainable) w.Line("private readonly int _seed;");
        w.Line("private int _lastBatch;");
        w.Line();

        w.Line("/// <summary>The largest batch the workspace holds (set at construction).</summary>");
        w.Line("public int MaxBatchSize { get; }");
        const string stale = "/// Handing it out marks the inference copy of the weights for a rebuild; to write while other threads predict, write\n" +
            "/// inside <see cref=\"BeginWrite\"/>.";
        w.Line("/// <summary>");
        w.Line("/// All learnable parameters, one contiguous block (layout in <see cref=\"ParameterTensors\"/>).");
        foreach (string line in stale.Split('\n')) w.Line(line);
        w.Line("/// </summary>");
        w.Line($"public {Names.Span} Parameters => View(_parameters, 0, ParameterCount);");
        w.Line("/// <summary>");
        w.Line("/// Running statistics and other non-learned state (layout in <see cref=\"StateTensors\"/>).");
        foreach (string line in stale.Split('\n')) w.Line(line);
        w.Line("/// </summary>");
        w.Line($"public {Names.Span} State => View(_state, 0, StateCount);");
        if (layout.Trainable)
        {
            w.Line("/// <summary>Gradients of the last <c>ComputeGradients</c> call, laid out as <see cref=\"Parameters\"/>.</summary>");
            w.Line($"public {Names.Span} Gradients => _gradients;");
            w.Line("int global::StaticNets.ITrainableNetwork.MinBatchSize => MinBatchSize;");
        }
        w.Line(layout.Heads is null
            ? "/// <summary>The last layer's raw values (logits for cross-entropy) from the most recent batched forward pass.</summary>"
            : "/// <summary>The heads' combined raw values (logits of their mean probability, for cross-entropy) from the last batched pass.</summary>");
        w.Line($"public {Names.ReadOnlySpan} BatchOutputs => {layout.LastOutputs("_lastBatch")};");
        if (layout.Heads is HeadsOp heads) EmitHeadOutputs(w, layout, heads);
        w.Line("/// <summary>Name, offset and shape of every parameter tensor.</summary>");
        w.Line("public global::System.ReadOnlySpan<global::StaticNets.ParameterTensor> ParameterTensors => s_parameterTensors;");
        w.Line("/// <summary>Name, offset and shape of every state tensor.</summary>");
        w.Line("public global::System.ReadOnlySpan<global::StaticNets.ParameterTensor> StateTensors => s_stateTensors;");
        foreach (TensorPlan t in tensors.Select(t => t.Tensor))
        {
            w.Line($"/// <summary>{t.Doc}: {t.Name}, [{string.Join(", ", t.Shape)}].</summary>");
            w.Line($"public {Names.Span} {t.View} => View({(t.InState ? "_state" : "_parameters")}, {t.Offset}, {t.Length});");
        }
        var dropouts = layout.Ops.OfType<DropoutOp>().ToList();
        if (dropouts.Count > 0)
        {
            w.Line("/// <summary>The dropout masks of the last forward pass with dropout on, in layer order (0 or 1/(1 − rate) per value; maxBatchSize rows).</summary>");
            w.Line($"internal {Names.Block}[] DropoutMasks => [{string.Join(", ", dropouts.Select(d => $"_{d.Name}Mask"))}];");
        }
        w.Line("int global::StaticNets.INetwork.InputSize => InputSize;");
        w.Line("int global::StaticNets.INetwork.OutputSize => OutputSize;");
        w.Line("string global::StaticNets.INetwork.Architecture => Architecture;");
        w.Line($"global::StaticNets.Loss global::StaticNets.INetwork.Loss => {Names.Loss(plan.Loss)};");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Starts a write to the parameters or state that predictions on other threads must not see half done: they keep");
        w.Line("/// the last complete state until the returned scope is disposed, and the next prediction after that sees the write.");
        w.Line("/// Loads and training steps write this way themselves. Do not predict with this network inside the scope.");
        w.Line("/// </summary>");
        w.Line("public global::StaticNets.ParameterWrite BeginWrite() => _guard.BeginWrite();");
        w.Line();
        w.Open($"private {Names.Span} View({Names.Block} block, int offset, int length)");
        w.Line("_guard.Touch(); // the caller may write through it");
        w.Line($"return {Names.AsSpan}(block, offset, length);");
        w.Close();
        w.Line();

        EmitConstructor(w, layout);
    }

    // "dense1.weight" → "0.weight": the tensor's layer becomes its module index, the PyTorch attribute name stays.
    private static void EmitSequentialNames(CodeWriter w, List<(OpPlan Op, TensorPlan Tensor)> tensors)
    {
        const string dictionary = "global::System.Collections.Generic.Dictionary<string, string>";
        w.Line("/// <summary>");
        w.Line("/// This network's tensor names mapped to those of a PyTorch <c>nn.Sequential</c> built in the order of the layer");
        w.Line("/// attributes, each attribute after [Input] one module (activations and dropout included): \"dense1.weight\" → \"0.weight\".");
        w.Line("/// Pass it to <see cref=\"global::StaticNets.SafeTensors.Save\"/> or <see cref=\"global::StaticNets.SafeTensors.Load\"/>.");
        w.Line("/// </summary>");
        w.Line("public static global::System.Collections.Generic.IReadOnlyDictionary<string, string> PyTorchSequentialNames { get; } =");
        w.Line($"    new global::System.Collections.ObjectModel.ReadOnlyDictionary<string, string>(new {dictionary}");
        w.Line("    {");
        foreach (var (op, t) in tensors)
        {
            string attribute = t.Name.Substring(t.Name.IndexOf('.') + 1);
            w.Line($"        [\"{t.Name}\"] = \"{op.Module}.{attribute}\",");
        }
        w.Line("    });");
        w.Line();
    }

    private static void EmitTensorTable(CodeWriter w, string field, IEnumerable<TensorPlan> tensors)
    {
        w.Line($"private static readonly global::StaticNets.ParameterTensor[] {field} =");
        w.Line("[");
        foreach (TensorPlan t in tensors)
            w.Line($"    new(\"{t.Name}\", {t.Offset}, new([{string.Join(", ", t.Shape)}]), global::StaticNets.ParameterKind.{t.Kind}),");
        w.Line("];");
        w.Line();
    }

    private static void EmitConstructor(CodeWriter w, NetworkLayout layout)
    {
        NetworkPlan plan = layout.Plan;
        w.Line("/// <summary>Creates the network with freshly initialized parameters.</summary>");
        w.Line("/// <param name=\"seed\">Fixes the initial parameters and every later random choice (dropout masks).</param>");
        w.Line("/// <param name=\"maxBatchSize\">The largest batch that <c>PredictBatch</c> and training will be given.</param>");
        w.Open($"public {plan.ClassIdentifier}(int seed = 0, int maxBatchSize = 256)");
        w.Line($"if (maxBatchSize < 1 || (long)maxBatchSize * {layout.MaxWidth} > global::System.Array.MaxLength)");
        w.Line("    throw new global::System.ArgumentOutOfRangeException(nameof(maxBatchSize), maxBatchSize,");
        w.Line($"        \"maxBatchSize must be at least 1 and small enough for maxBatchSize × {layout.MaxWidth} floats to fit in an array.\");");
        w.Line("MaxBatchSize = maxBatchSize;");
        if (layout.Trainable) w.Line("_seed = seed;");
        foreach (BufferPlan buffer in layout.Buffers)
        {
            string size = buffer.Fixed ?? $"maxBatchSize * {buffer.PerSample.ToString(CultureInfo.InvariantCulture)}";
            if (size.Contains('\n'))
            {
                // The largest of several sizes, one statement each.
                string[] sizes = size.Split('\n');
                w.Line($"int {buffer.Name}Length = {sizes[0]};");
                for (int i = 1; i < sizes.Length; i++) w.Wrapped($"{buffer.Name}Length = global::System.Math.Max", [$"{buffer.Name}Length", sizes[i]]);
                size = buffer.Name + "Length";
            }
            w.Line(buffer.IsInt ? $"_{buffer.Name} = new int[{size}];" : $"_{buffer.Name} = {Names.NewBlock(size)};");
        }
        w.Line("var rng = new global::StaticNets.Rng(unchecked((ulong)seed));");
        foreach (OpPlan op in layout.Ops) op.EmitInitialize(w, "rng");
        w.Line("_rng = rng;");
        w.Close();
        w.Line();
        if (!layout.Trainable) return;
        w.Line("/// <summary>");
        w.Line("/// A worker for data-parallel training: it reads this network's parameter block (shared, not copied, so writes");
        w.Line("/// through either network's views reach both, and their inference copies follow both) and has its own copy of");
        w.Line("/// the state, its own workspace, gradients and random stream.");
        w.Line("/// </summary>");
        w.Line($"public {plan.ClassIdentifier} CreateReplica(int stream) => new(this, stream);");
        w.Line();
        w.Line("// The parameter block allocated and initialized by the chained constructor is dropped; initializing it still");
        w.Line("// draws from the replica's random stream, which keeps each replica's dropout masks as they were.");
        w.Open($"private {plan.ClassIdentifier}({plan.ClassIdentifier} master, int stream) : this(unchecked(master._seed * 7919 + stream + 1), master.MaxBatchSize)");
        w.Line("_parameters = master._parameters;");
        w.Line("_guard = master._guard;");
        w.Line($"{Names.AsSpan}(master._state, 0, StateCount).CopyTo(_state);");
        w.Close();
        w.Line("global::StaticNets.ITrainableNetwork global::StaticNets.ITrainableNetwork.CreateReplica(int stream) => CreateReplica(stream);");
        w.Line();
    }
    /// <summary>A multi-head network's HeadCount and each head's own outputs, to compare the heads with their mean.</summary>
    private static void EmitHeadOutputs(CodeWriter w, NetworkLayout layout, HeadsOp heads)
    {
        string count = heads.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        w.Line("/// <summary>The heads of this multi-head network ([Heads]).</summary>");
        w.Line($"public const int HeadCount = {count};");
        w.Line("int global::StaticNets.IMultiHeadNetwork.HeadCount => HeadCount;");
        w.Line("/// <summary>");
        w.Line("/// Head <paramref name=\"head\"/>'s own raw values (logits for cross-entropy), from 0, of the most recent batched forward");
        w.Line("/// pass (PredictBatch, ComputeGradients, ComputeLoss): batch × OutputSize, valid until the next call on the network.");
        w.Line("/// Its argmax is the head's class; <see cref=\"BatchOutputs\"/> holds their combination.");
        w.Line("/// </summary>");
        w.Line($"public {Names.ReadOnlySpan} HeadOutputs(int head) => head switch");
        w.Line("{");
        for (int k = 0; k < heads.Count; k++)
            w.Line($"    {k.ToString(System.Globalization.CultureInfo.InvariantCulture)} => {Names.AsSpan}(_{layout.Op(heads.Sources.Items[k]).Name}Out, 0, _lastBatch * OutputSize),");
        w.Line($"    _ => throw new global::System.ArgumentOutOfRangeException(nameof(head), head, \"The network has {count} heads, numbered from 0.\"),");
        w.Line("};");
    }
}
