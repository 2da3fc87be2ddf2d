using System.Collections.Generic;
using System.Linq;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;

namespace StaticNets.Generator.Emitting;

/// <summary>Sizes; the parameter, gradient, state and folded blocks with named views; the workspace; the constructor.</summary>
internal static class ParameterEmitter
{
    private sealed record Tensor(string Name, string View, int Offset, int Rows, int Columns, string Kind, bool InState, string Doc)
    {
        /// <summary>The op the tensor belongs to (its index in the plan, from 1).</summary>
        public int Op { get; init; }
    }

    public static void Emit(CodeWriter w, WorkspaceLayout layout)
    {
        NetworkPlan plan = layout.Plan;
        List<Tensor> tensors = Tensors(layout);

        w.Line("/// <summary>Features per input sample.</summary>");
        w.Line($"public const int InputSize = {plan.InputSize};");
        w.Line("/// <summary>Values per output sample.</summary>");
        w.Line($"public const int OutputSize = {plan.OutputSize};");
        w.Line("/// <summary>Learnable parameters in <see cref=\"Parameters\"/>.</summary>");
        w.Line($"public const int ParameterCount = {plan.ParameterCount};");
        w.Line("/// <summary>Values in <see cref=\"State\"/> (running statistics).</summary>");
        w.Line($"public const int StateCount = {plan.StateCount};");
        w.Line("/// <summary>Layer kinds and sizes; part of the weights-file fingerprint.</summary>");
        w.Line($"public const string Architecture = \"{plan.Architecture}\";");
        if (layout.Trainable)
        {
            w.Line("/// <summary>The smallest training batch (BatchNorm needs two samples for batch statistics).</summary>");
            w.Line($"public const int MinBatchSize = {(layout.HasBatchNorm ? 2 : 1)};");
        }
        w.Line();
        EmitTensorTable(w, "s_parameterTensors", tensors.Where(t => !t.InState));
        EmitTensorTable(w, "s_stateTensors", tensors.Where(t => t.InState));
        EmitSequentialNames(w, plan, tensors);

        w.Line($"private readonly {Names.Block} _parameters = {Names.NewBlock("ParameterCount")};");
        w.Line($"private readonly {Names.Block} _state = {Names.NewBlock("StateCount")};");
        if (layout.Trainable) w.Line($"private readonly {Names.Block} _gradients = {Names.NewBlock("ParameterCount")};");
        foreach (string field in WorkspaceFields(layout).Select(f => f.Name))
            w.Line($"private readonly {Names.Block} {field};");
        w.Line("// Coordinates writes of the parameters (shared with replicas) and state with rebuilds of the inference copy.");
        w.Line("private readonly global::StaticNets.ParameterGuard _guard = new();");
        w.Line($"private readonly global::StaticNets.InferenceCopy _inference = new({plan.InferenceCount.ToString(System.Globalization.CultureInfo.InvariantCulture)});");
        if (layout.HasDropout)
        {
            w.Line($"private readonly {Names.Block} _monteCarloInputs;");
            w.Line("private readonly double[] _monteCarloSums = new double[2 * OutputSize];");
        }
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
        const string stale = " Handing it out marks the inference copy of the weights for a rebuild; to write while other threads predict, write inside <see cref=\"BeginWrite\"/>.";
        w.Line($"/// <summary>All learnable parameters, one contiguous block (layout in <see cref=\"ParameterTensors\"/>).{stale}</summary>");
        w.Line($"public {Names.Span} Parameters => View(_parameters, 0, ParameterCount);");
        w.Line($"/// <summary>Running statistics and other non-learned state (layout in <see cref=\"StateTensors\"/>).{stale}</summary>");
        w.Line($"public {Names.Span} State => View(_state, 0, StateCount);");
        if (layout.Trainable)
        {
            w.Line("/// <summary>Gradients of the last <c>ComputeGradients</c> call, laid out as <see cref=\"Parameters\"/>.</summary>");
            w.Line($"public {Names.Span} Gradients => _gradients;");
            w.Line("int global::StaticNets.ITrainableNetwork.MinBatchSize => MinBatchSize;");
        }
        w.Line("/// <summary>The last layer's raw values (logits for cross-entropy) from the most recent batched forward pass.</summary>");
        w.Line($"public {Names.ReadOnlySpan} BatchOutputs => {Names.Output(layout.Last, "_lastBatch")};");
        w.Line("/// <summary>Name, offset and shape of every parameter tensor.</summary>");
        w.Line("public global::System.ReadOnlySpan<global::StaticNets.ParameterTensor> ParameterTensors => s_parameterTensors;");
        w.Line("/// <summary>Name, offset and shape of every state tensor.</summary>");
        w.Line("public global::System.ReadOnlySpan<global::StaticNets.ParameterTensor> StateTensors => s_stateTensors;");
        foreach (Tensor t in tensors)
        {
            w.Line($"/// <summary>{t.Doc}: {t.Name}, [{t.Rows}{(t.Columns > 1 ? ", " + t.Columns : "")}].</summary>");
            w.Line($"public {Names.Span} {t.View} => View({(t.InState ? "_state" : "_parameters")}, {t.Offset}, {t.Rows * t.Columns});");
        }
        if (layout.HasDropout)
        {
            w.Line("/// <summary>The dropout masks of the last forward pass with dropout on, in layer order (0 or 1/(1 − rate) per value; maxBatchSize rows).</summary>");
            w.Line($"internal {Names.Block}[] DropoutMasks => [{string.Join(", ", layout.Ops.OfType<DropoutOp>().Select(d => $"_mask{d.Index}"))}];");
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
        w.Line($"return {Names.RowsFrom("block", "offset", "length")};");
        w.Close();
        w.Line();

        EmitConstructor(w, layout);
    }

    // "dense1.weight" → "0.weight": the tensor's layer becomes its module index, the PyTorch attribute name stays.
    private static void EmitSequentialNames(CodeWriter w, NetworkPlan plan, List<Tensor> tensors)
    {
        if (plan.SequentialModules.Count == 0) return;
        const string dictionary = "global::System.Collections.Generic.Dictionary<string, string>";
        w.Line("/// <summary>");
        w.Line("/// This network's tensor names mapped to those of a PyTorch <c>nn.Sequential</c> built in the order of the layer");
        w.Line("/// attributes, each attribute after [Input] one module (activations and dropout included): \"dense1.weight\" → \"0.weight\".");
        w.Line("/// Pass it to <see cref=\"global::StaticNets.SafeTensors.Save\"/> or <see cref=\"global::StaticNets.SafeTensors.Load\"/>.");
        w.Line("/// </summary>");
        w.Line("public static global::System.Collections.Generic.IReadOnlyDictionary<string, string> PyTorchSequentialNames { get; } =");
        w.Line($"    new global::System.Collections.ObjectModel.ReadOnlyDictionary<string, string>(new {dictionary}");
        w.Line("    {");
        foreach (Tensor t in tensors)
        {
            int module = plan.SequentialModules[t.Op - 1];
            string attribute = t.Name.Substring(t.Name.IndexOf('.') + 1);
            w.Line($"        [\"{t.Name}\"] = \"{module}.{attribute}\",");
        }
        w.Line("    });");
        w.Line();
    }

    private static void EmitTensorTable(CodeWriter w, string field, IEnumerable<Tensor> tensors)
    {
        w.Line($"private static readonly global::StaticNets.ParameterTensor[] {field} =");
        w.Line("[");
        foreach (Tensor t in tensors)
            w.Line($"    new(\"{t.Name}\", {t.Offset}, {t.Rows}, {t.Columns}, global::StaticNets.ParameterKind.{t.Kind}),");
        w.Line("];");
        w.Line();
    }

    private static List<Tensor> Tensors(WorkspaceLayout layout)
    {
        var list = new List<Tensor>();
        foreach (OpPlan op in layout.Ops)
        {
            int first = list.Count;
            string v = Names.View(op);
            switch (op)
            {
                case DenseOp d:
                    list.Add(new($"dense{d.Number}.weight", v + "Weights", d.WeightOffset, d.Rows, d.InputSize, "Weight", false, "Weights"));
                    if (d.HasBias) list.Add(new($"dense{d.Number}.bias", v + "Bias", d.BiasOffset, d.Rows, 1, "Bias", false, "Bias"));
                    break;
                case BatchNormOp b:
                    list.Add(new($"batchnorm{b.Number}.weight", v + "Gamma", b.GammaOffset, b.Size, 1, "NormScale", false, "Scale γ"));
                    list.Add(new($"batchnorm{b.Number}.bias", v + "Beta", b.BetaOffset, b.Size, 1, "NormShift", false, "Shift β"));
                    list.Add(new($"batchnorm{b.Number}.running_mean", v + "RunningMean", b.MeanOffset, b.Size, 1, "RunningStatistic", true, "Running mean"));
                    list.Add(new($"batchnorm{b.Number}.running_var", v + "RunningVariance", b.VarianceOffset, b.Size, 1, "RunningStatistic", true, "Running (unbiased) variance"));
                    break;
                case LayerNormOp l:
                    list.Add(new($"layernorm{l.Number}.weight", v + "Gamma", l.GammaOffset, l.Size, 1, "NormScale", false, "Scale γ"));
                    list.Add(new($"layernorm{l.Number}.bias", v + "Beta", l.BetaOffset, l.Size, 1, "NormShift", false, "Shift β"));
                    break;
                case PReLUOp pr:
                    list.Add(new($"prelu{pr.Number}.weight", v + "Slope", pr.SlopeOffset, pr.Size, 1, "Slope", false, "Slopes α"));
                    break;
            }
            for (int i = first; i < list.Count; i++) list[i] = list[i] with { Op = op.Index };
        }
        return list;
    }

    /// <summary>Workspace arrays and their floats per sample (sized maxBatchSize × that), or a fixed size.</summary>
    private static IEnumerable<(string Name, string Size)> WorkspaceFields(WorkspaceLayout layout)
    {
        foreach (OpPlan op in layout.Ops)
        {
            int k = op.Index, n = op.OutputSize;
            yield return ($"_a{k}", $"maxBatchSize * {n}");
            if (layout.KeepsZ(op)) yield return ($"_z{k}", $"maxBatchSize * {WorkspaceLayout.ActivationWidth(op)}");
            if (op is DropoutOp) yield return ($"_mask{k}", $"maxBatchSize * {n}");
            if (!layout.Trainable) continue;
            yield return ($"_d{k}", $"maxBatchSize * {n}");
            if (op is BatchNormOp or LayerNormOp) yield return ($"_xhat{k}", $"maxBatchSize * {n}");
            if (op is BatchNormOp) yield return ($"_invStd{k}", $"{n}");
            if (op is LayerNormOp) yield return ($"_invStd{k}", "maxBatchSize");
        }
        if (!layout.Trainable) yield break;
        if (layout.TileLayer is DenseOp t) yield return ("_tile", $"{Names.Kernels}.DenseKernels.TileLength({t.InputSize}, {t.Rows})");
        if (layout.DzWidth > 0) yield return ("_dz", $"maxBatchSize * {layout.DzWidth}");
        foreach (int source in layout.SkipSources)
            yield return ($"_skip{source}", $"maxBatchSize * {TrainingEmitter.SourceWidth(layout, source)}");
    }

    private static void EmitConstructor(CodeWriter w, WorkspaceLayout layout)
    {
        NetworkPlan plan = layout.Plan;
        w.Line("/// <summary>Creates the network with freshly initialized parameters.</summary>");
        w.Line("/// <param name=\"seed\">Fixes the initial parameters and every later random choice (dropout masks).</param>");
        w.Line("/// <param name=\"maxBatchSize\">The largest batch that <c>PredictBatch</c> and training will be given.</param>");
        w.Open($"public {plan.ClassIdentifier}(int seed = 0, int maxBatchSize = 256)");
        w.Line($"if (maxBatchSize < 1 || (long)maxBatchSize * {layout.MaxWidth} > global::System.Array.MaxLength)");
        w.Line($"    throw new global::System.ArgumentOutOfRangeException(nameof(maxBatchSize), maxBatchSize, \"maxBatchSize must be at least 1 and small enough for maxBatchSize × {layout.MaxWidth} floats to fit in an array.\");");
        w.Line("MaxBatchSize = maxBatchSize;");
        if (layout.Trainable) w.Line("_seed = seed;");
        foreach (var (name, size) in WorkspaceFields(layout))
            w.Line($"{name} = {Names.NewBlock(size)};");
        if (layout.HasDropout) w.Line($"_monteCarloInputs = {Names.NewBlock("maxBatchSize * InputSize")};");
        w.Line("var rng = new global::StaticNets.Rng(unchecked((ulong)seed));");
        foreach (OpPlan op in layout.Ops)
        {
            string v = Names.View(op);
            switch (op)
            {
                case DenseOp d:
                    w.Line($"global::StaticNets.Initializers.Fill({v}Weights, {d.InputSize}, {d.Rows}, global::StaticNets.Init.{d.Init}, {Format.FloatLiteral(d.InitScale)}, rng, {Format.FloatLiteral(d.NegativeSlope)});");
                    if (d.HasBias && d.BiasInit != 0f) w.Line($"{v}Bias.Fill({Format.FloatLiteral(d.BiasInit)});");
                    break;
                case BatchNormOp:
                    w.Line($"{v}Gamma.Fill(1f);");
                    w.Line($"{v}RunningVariance.Fill(1f);");
                    break;
                case LayerNormOp:
                    w.Line($"{v}Gamma.Fill(1f);");
                    break;
                case PReLUOp pr:
                    w.Line($"{v}Slope.Fill({Format.FloatLiteral(pr.InitialSlope)});");
                    break;
            }
        }
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
        w.Line($"{Names.Rows("master._state", "StateCount")}.CopyTo(_state);");
        w.Close();
        w.Line("global::StaticNets.ITrainableNetwork global::StaticNets.ITrainableNetwork.CreateReplica(int stream) => CreateReplica(stream);");
        w.Line();
    }
}
