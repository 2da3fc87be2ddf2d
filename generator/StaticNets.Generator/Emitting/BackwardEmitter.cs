using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;

namespace StaticNets.Generator.Emitting;

/// <summary>
/// Training: the loss with its gradient, then backward stage by stage from the output. The overload
/// that takes the other kind of target is an explicit interface member that explains the mismatch.
/// </summary>
internal static class BackwardEmitter
{
    public static void Emit(CodeWriter w, NetworkPlan plan, WorkspaceLayout layout)
    {
        bool labels = plan.Loss == LossKind.SoftmaxCrossEntropy;
        string targetType = labels ? "int" : "float";
        string targetName = labels ? "labels" : "targets";
        string otherType = labels ? "float" : "int";
        int last = plan.Stages.Count;
        string lossCall = plan.Loss switch
        {
            LossKind.SoftmaxCrossEntropy => "SoftmaxCrossEntropy",
            LossKind.SigmoidBinaryCrossEntropy => "SigmoidBinaryCrossEntropy",
            _ => "MeanSquaredError",
        };

        w.Line("/// <summary>");
        w.Line($"/// Forward and backward over <paramref name=\"batchSize\"/> samples: overwrites <see cref=\"Gradients\"/> with the gradient");
        w.Line($"/// of the mean {plan.Loss} loss and returns that loss. When <paramref name=\"inputGradients\"/> is not");
        w.Line("/// empty it receives d(loss)/d(inputs). Checks lengths, batch size, finite inputs and target range. Allocates nothing.");
        w.Line("/// </summary>");
        w.Open($"public float ComputeGradients(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<{targetType}> {targetName}, int batchSize, global::System.Span<float> inputGradients = default)");
        EmitTargetChecks(w, plan, labels, targetName);
        w.Line("if (!inputGradients.IsEmpty)");
        w.Line($"    {Names.Guard}.Length(inputGradients.Length, batchSize * InputSize, nameof(inputGradients), \"batchSize × InputSize, or empty\");");
        w.Line("Forward(inputs, batchSize);");
        w.Line($"global::System.Span<float> dOutput = {Names.Span("_delta0", "batchSize * OutputSize")};");
        w.Line($"float loss = {Names.Kernels}.LossKernels.{lossCall}({Names.Span($"_a{last}", "batchSize * OutputSize")}, {targetName}, dOutput, batchSize, OutputSize);");
        w.Line("global::System.Array.Clear(_gradients);");
        w.Line("Backward(inputs, batchSize, inputGradients);");
        w.Line("return loss;");
        w.Close();
        w.Line();

        w.Line("/// <summary>Mean loss over <paramref name=\"batchSize\"/> samples, forward only. Allocates nothing.</summary>");
        w.Open($"public float ComputeLoss(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<{targetType}> {targetName}, int batchSize)");
        EmitTargetChecks(w, plan, labels, targetName);
        w.Line("Forward(inputs, batchSize);");
        w.Line($"return {Names.Kernels}.LossKernels.{lossCall}({Names.Span($"_a{last}", "batchSize * OutputSize")}, {targetName}, default, batchSize, OutputSize);");
        w.Close();
        w.Line();

        string mismatch = labels
            ? $"{plan.ClassName} trains with SoftmaxCrossEntropy, which takes integer class labels (ReadOnlySpan<int>), not float targets."
            : $"{plan.ClassName} trains with {plan.Loss}, which takes float targets (ReadOnlySpan<float>), not integer labels.";
        w.Line($"float global::StaticNets.ITrainableNetwork.ComputeGradients(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<{otherType}> targets, int batchSize, global::System.Span<float> inputGradients) =>");
        w.Line($"    throw new global::System.InvalidOperationException(\"{mismatch}\");");
        w.Line($"float global::StaticNets.ITrainableNetwork.ComputeLoss(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<{otherType}> targets, int batchSize) =>");
        w.Line($"    throw new global::System.InvalidOperationException(\"{mismatch}\");");
        w.Line();

        EmitBackward(w, plan, layout);
    }

    private static void EmitTargetChecks(CodeWriter w, NetworkPlan plan, bool labels, string targetName)
    {
        ForwardEmitter.EmitBatchChecks(w, plan, "inputs");
        if (labels)
        {
            w.Line($"{Names.Guard}.Length({targetName}.Length, batchSize, nameof({targetName}), \"one class label per sample\");");
            w.Line($"{Names.Guard}.Labels({targetName}, OutputSize, nameof({targetName}));");
        }
        else
        {
            w.Line($"{Names.Guard}.Length({targetName}.Length, batchSize * OutputSize, nameof({targetName}), \"batchSize × OutputSize\");");
            w.Line($"{Names.Guard}.Finite({targetName}, nameof({targetName}));");
            if (plan.Loss == LossKind.SigmoidBinaryCrossEntropy)
                w.Line($"{Names.Guard}.Probabilities({targetName}, nameof({targetName}));");
        }
    }

    private static void EmitBackward(CodeWriter w, NetworkPlan plan, WorkspaceLayout layout)
    {
        w.Line("// Expects _delta0 to hold d(loss)/d(output); the deltas alternate between _delta0 and _delta1 going back.");
        w.Open("private void Backward(global::System.ReadOnlySpan<float> x, int batch, global::System.Span<float> inputGradients)");
        w.Line("global::System.ReadOnlySpan<float> p = _parameters;");
        w.Line("global::System.Span<float> g = _gradients;");
        int parity = 0;
        for (int i = plan.Stages.Count - 1; i >= 0; i--)
        {
            StagePlan s = plan.Stages[i];
            int n = s.Number;
            string da = $"da{n}", dz = layout.NeedsDz(s) ? $"dz{n}" : da;
            w.Line($"// dense{n}");
            w.Line($"global::System.Span<float> {da} = {Names.Span($"_delta{parity}", $"batch * {s.Units}")};");
            if (layout.NeedsDz(s))
            {
                w.Line($"global::System.Span<float> {dz} = {Names.Span("_dz", $"batch * {s.Rows}")};");
                if (s.Activation == ActivationKind.Maxout)
                    w.Line($"{Names.Kernels}.OutputKernels.MaxoutBackward({Names.Span($"_z{n}", $"batch * {s.Rows}")}, {da}, {dz}, batch, {s.Units}, {s.Pieces});");
                else if (s.Activation == ActivationKind.Softmax)
                    w.Line($"{Names.Kernels}.OutputKernels.SoftmaxBackward({Names.Span($"_a{n}", $"batch * {s.Units}")}, {da}, {dz}, batch, {s.Units});");
                else
                    w.Line($"{Names.Kernels}.DenseKernels.ActivationBackward({Names.Span($"_z{n}", $"batch * {s.Rows}")}, {Names.Span($"_a{n}", $"batch * {s.Units}")}, {da}, {dz}, {Names.Activation(s)});");
            }
            string input = i == 0 ? "x" : Names.Span($"_a{n - 1}", $"batch * {s.InputSize}");
            w.Line($"{Names.Kernels}.DenseKernels.BackwardParameters({dz}, {input}, {Names.Weights(s, "g")}, {Names.Bias(s, "g")}, batch, {s.InputSize}, {s.Rows});");
            parity ^= 1;
            if (i > 0)
                w.Line($"{Names.Kernels}.DenseKernels.BackwardInput({dz}, {Names.Weights(s, "p")}, {Names.Span($"_delta{parity}", $"batch * {s.InputSize}")}, batch, {s.InputSize}, {s.Rows});");
            else
            {
                w.Line("if (!inputGradients.IsEmpty)");
                w.Line($"    {Names.Kernels}.DenseKernels.BackwardInput({dz}, {Names.Weights(s, "p")}, inputGradients, batch, {s.InputSize}, {s.Rows});");
            }
        }
        w.Close();
    }
}
