using System.Globalization;
using System.Text;

namespace StaticNets;

/// <summary>Settings of a <see cref="GradientCheck"/>; the defaults suit a float network of any size.</summary>
public sealed record GradientCheckOptions
{
    /// <summary>Elements checked per parameter tensor, drawn at random (every element of a smaller tensor).</summary>
    public int SamplesPerTensor { get; init; } = 12;

    /// <summary>
    /// The widest central difference step, relative to the element (h = Step · max(1, |w|)); the check also tries h/4
    /// and h/16. The network computes in float, so the steps are large next to double's 1e-5: the loss's rounding is
    /// divided by 2h.
    /// </summary>
    public double Step { get; init; } = 1e-2;

    /// <summary>Worst relative error at or under which a tensor passes.</summary>
    public double PassBelow { get; init; } = 1e-3;

    /// <summary>Worst relative error above which a tensor fails (between the two it is doubtful: look at it).</summary>
    public double FailAbove { get; init; } = 1e-2;

    /// <summary>Also check the gradient at the inputs (reported as the tensor <c>input</c>).</summary>
    public bool CheckInputs { get; init; } = true;

    /// <summary>Seed of the element sampling.</summary>
    public ulong Seed { get; init; } = 1;

    internal void Validate()
    {
        if (SamplesPerTensor < 1) throw new ArgumentOutOfRangeException(nameof(SamplesPerTensor), SamplesPerTensor, "Check at least one element per tensor.");
        if (!(Step > 0 && Step < 1)) throw new ArgumentOutOfRangeException(nameof(Step), Step, "The step must lie in (0, 1).");
        if (!(PassBelow > 0 && PassBelow <= FailAbove)) throw new ArgumentException($"Need 0 < PassBelow ({PassBelow}) ≤ FailAbove ({FailAbove}).");
    }
}

/// <summary>How a tensor's analytic gradient compares with central differences.</summary>
public enum GradientVerdict
{
    /// <summary>Worst relative error at or under <see cref="GradientCheckOptions.PassBelow"/>.</summary>
    Pass,
    /// <summary>Between the thresholds: often a kink (ReLU, max pooling) crossed by a difference step; look at it.</summary>
    Doubtful,
    /// <summary>Worst relative error over <see cref="GradientCheckOptions.FailAbove"/>: the gradient is wrong.</summary>
    Fail,
}

/// <summary>One tensor's result: the worst of its checked elements.</summary>
/// <param name="Tensor">The tensor's name (<c>conv1.weight</c>), or <c>input</c>.</param>
/// <param name="Layer">The layer it belongs to (<c>conv1</c>).</param>
/// <param name="Checked">Elements compared.</param>
/// <param name="WorstIndex">The element with the worst error, as a flat index into the tensor.</param>
/// <param name="Analytic">The network's gradient there.</param>
/// <param name="Numeric">The central difference there.</param>
/// <param name="RelativeError">|analytic − numeric| / max(|analytic|, |numeric|, floor), the floor being the noise of the differences.</param>
/// <param name="Verdict">Pass, doubtful or fail.</param>
public sealed record TensorGradientCheck(string Tensor, string Layer, int Checked, int WorstIndex, double Analytic, double Numeric,
    double RelativeError, GradientVerdict Verdict);

/// <summary>The result of a <see cref="GradientCheck"/>: per tensor, and the verdict of the worst. Immutable.</summary>
public sealed class GradientCheckResult
{
    internal GradientCheckResult(IReadOnlyList<TensorGradientCheck> tensors, float loss)
    {
        Tensors = tensors;
        Loss = loss;
        Worst = tensors.MaxBy(t => t.RelativeError)!;
    }

    /// <summary>Every checked tensor in the network's order, then the inputs.</summary>
    public IReadOnlyList<TensorGradientCheck> Tensors { get; }

    /// <summary>The loss at the unperturbed parameters.</summary>
    public float Loss { get; }

    /// <summary>The tensor with the largest relative error.</summary>
    public TensorGradientCheck Worst { get; }

    /// <summary>No tensor failed (doubtful ones allowed).</summary>
    public bool Passed => Worst.Verdict != GradientVerdict.Fail;

    /// <summary>The layers with a failing tensor, in order.</summary>
    public IReadOnlyList<string> FailingLayers => Tensors.Where(t => t.Verdict == GradientVerdict.Fail).Select(t => t.Layer).Distinct().ToArray();

    /// <summary>A table: tensor, elements checked, worst relative error, the two values there, verdict.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        int width = Math.Max(6, Tensors.Max(t => t.Tensor.Length));
        text.AppendLine(CultureInfo.InvariantCulture, $"{"tensor".PadRight(width)}  checked  worst rel. error     analytic      numeric  verdict");
        foreach (var t in Tensors)
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{t.Tensor.PadRight(width)}  {t.Checked,7}  {t.RelativeError,16:0.00e+00}  {t.Analytic,11:0.0000e+0}  {t.Numeric,11:0.0000e+0}  {t.Verdict}");
        text.Append(Passed ? "passed" : $"FAILED: {string.Join(", ", FailingLayers)}");
        return text.ToString();
    }
}

/// <summary>
/// Checks a network's analytic gradients against central differences of its own loss, on sampled elements of every
/// parameter tensor (and of the inputs), and names the layer whose gradient is wrong: the lectures' gradient check, for
/// any generated network.
/// </summary>
/// <remarks>
/// Every loss is computed by a fresh replica (<see cref="ITrainableNetwork.CreateReplica"/>) with the same random
/// stream, so dropout draws the same masks in every evaluation, and BatchNorm uses the batch's statistics as in
/// training; the network's own state (running statistics, random stream) is not touched. The parameters are perturbed
/// inside a write scope and restored bit for bit; predictions on other threads keep the parameters from before the
/// check. The network computes in float, so the differences carry float rounding: the error's floor is set from it, and
/// the thresholds are float's (cs231n's 1e-2 for a wrong gradient), not double's 1e-7. Not thread-safe for one
/// network: do not train it during a check. Each evaluation makes a replica with a workspace for the network's
/// MaxBatchSize samples: check a network constructed with a small maxBatchSize (the batch you check with).
/// </remarks>
public static class GradientCheck
{
    private const int ReplicaStream = 0x6C3;

    /// <summary>Checks a network with a label loss (<see cref="StaticNets.Loss.SoftmaxCrossEntropy"/>) on one batch.</summary>
    public static GradientCheckResult Run(ITrainableNetwork network, ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, int batchSize,
        GradientCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (network.Loss != StaticNets.Loss.SoftmaxCrossEntropy)
            throw new ArgumentException($"The network's loss is {network.Loss}: pass float targets, not labels.", nameof(labels));
        int[] y = labels.ToArray();
        return Run(network, inputs, batchSize, options, (net, x, dx) => net.ComputeGradients(x, y, batchSize, dx));
    }

    /// <summary>Checks a network with a target loss (mean squared error, binary cross-entropy) on one batch.</summary>
    public static GradientCheckResult Run(ITrainableNetwork network, ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize,
        GradientCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (network.Loss == StaticNets.Loss.SoftmaxCrossEntropy)
            throw new ArgumentException("The network's loss is SoftmaxCrossEntropy: pass integer labels, not float targets.", nameof(targets));
        float[] y = targets.ToArray();
        return Run(network, inputs, batchSize, options, (net, x, dx) => net.ComputeGradients(x, y, batchSize, dx));
    }

    private static GradientCheckResult Run(ITrainableNetwork network, ReadOnlySpan<float> inputSpan, int batchSize, GradientCheckOptions? options,
        Func<ITrainableNetwork, float[], float[], float> compute)
    {
        options ??= new GradientCheckOptions();
        options.Validate();
        if (batchSize < network.MinBatchSize || batchSize > network.MaxBatchSize)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"The network takes batches of {network.MinBatchSize} to {network.MaxBatchSize} samples.");
        if (inputSpan.Length != batchSize * network.InputSize)
            throw new ArgumentException($"inputs has {inputSpan.Length} values; {batchSize} samples of {network.InputSize} need {batchSize * network.InputSize}.", "inputs");
        float[] inputs = inputSpan.ToArray();
        var noInputGradient = Array.Empty<float>();

        using var write = network.BeginWrite();
        // The analytic gradients, from a replica as every later evaluation.
        var first = network.CreateReplica(ReplicaStream);
        var inputGradients = new float[inputs.Length];
        float loss = compute(first, inputs, inputGradients);
        if (!float.IsFinite(loss)) throw new ArgumentException($"The loss at the given parameters and inputs is {loss}: check the data before the gradients.");
        float[] gradients = first.Gradients.ToArray();

        double Loss(float[] x) => compute(network.CreateReplica(ReplicaStream), x, noInputGradient);
        var rng = new Rng(options.Seed);
        var results = new List<TensorGradientCheck>();
        foreach (var tensor in network.ParameterTensors)
        {
            int offset = tensor.Offset; // Parameters hands out a fresh span on every call: read it at each access
            results.Add(CheckTensor(tensor.Name, tensor.Layer, tensor.Length, gradients.AsSpan(offset, tensor.Length), loss, options, rng,
                i => network.Parameters[offset + i], (i, v) => network.Parameters[offset + i] = v, () => Loss(inputs)));
        }
        if (options.CheckInputs)
            results.Add(CheckTensor("input", "input", inputs.Length, inputGradients, loss, options, rng,
                i => inputs[i], (i, v) => inputs[i] = v, () => Loss(inputs)));
        return new GradientCheckResult(results, loss);
    }

    private static TensorGradientCheck CheckTensor(string name, string layer, int length, ReadOnlySpan<float> analytic, float loss,
        GradientCheckOptions options, Rng rng, Func<int, float> get, Action<int, float> set, Func<double> evaluate)
    {
        // Rounding in a float loss is a few units in its last place (ulp); divided by the step 2h it is the noise of a
        // difference. Under a hundred times that noise (and under 1e-3 of the tensor's largest gradient) an element is
        // compared absolutely, so noise alone never fails a check.
        double ulp = MathF.BitIncrement(Math.Abs(loss)) - Math.Abs(loss);
        double largest = 0;
        foreach (float g in analytic) largest = Math.Max(largest, Math.Abs(g));
        int worst = -1, count = Math.Min(length, options.SamplesPerTensor);
        double worstError = -1, worstAnalytic = 0, worstNumeric = 0;
        foreach (int i in Sample(length, count, rng))
        {
            float original = get(i);
            // A step that crosses a kink (ReLU at 0, a max pooling's winner changing) gives a wrong difference however
            // right the gradient is. Three steps, each a quarter of the one before: the element's error is the best of
            // them, since a kink spoils only the steps wide enough to reach it, while a wrong gradient disagrees with all.
            double error = double.PositiveInfinity, numericAtBest = double.NaN;
            for (int s = 0; s < Steps; s++)
            {
                double h = options.Step * Math.Max(1, Math.Abs(original)) / (1 << (2 * s));
                float up = (float)(original + h), down = (float)(original - h);
                set(i, up);
                double lossUp = evaluate();
                set(i, down);
                double lossDown = evaluate();
                set(i, original);
                double width = (double)up - down; // the step as stored in float
                double numeric = (lossUp - lossDown) / width;
                double floor = Math.Max(NoiseUnits * ulp / width, 1e-3 * largest);
                double e = Math.Abs(analytic[i] - numeric) / Math.Max(Math.Max(Math.Abs(analytic[i]), Math.Abs(numeric)), floor);
                if (double.IsNaN(e)) e = double.PositiveInfinity;
                if (e < error) (error, numericAtBest) = (e, numeric);
            }
            if (error > worstError) (worst, worstError, worstAnalytic, worstNumeric) = (i, error, analytic[i], numericAtBest);
        }
        var verdict = worstError <= options.PassBelow ? GradientVerdict.Pass : worstError <= options.FailAbove ? GradientVerdict.Doubtful : GradientVerdict.Fail;
        return new TensorGradientCheck(name, layer, count, worst, worstAnalytic, worstNumeric, worstError, verdict);
    }

    private const int Steps = 3;
    private const double NoiseUnits = 400; // a hundred times the few ulps a float loss is off by

    // `count` distinct indices below `length`, in increasing order (all of them when count = length).
    private static IEnumerable<int> Sample(int length, int count, Rng rng)
    {
        if (count == length) return Enumerable.Range(0, length);
        var chosen = new SortedSet<int>();
        while (chosen.Count < count) chosen.Add(rng.NextInt(length));
        return chosen;
    }
}
