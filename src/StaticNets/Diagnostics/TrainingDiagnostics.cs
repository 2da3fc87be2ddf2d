using System.Globalization;
using System.Text;

namespace StaticNets;

/// <summary>One layer output's statistics over an epoch's sampled steps.</summary>
/// <param name="Layer">The layer that writes the output.</param>
/// <param name="Activation">Its activation (<c>Identity</c> for none).</param>
/// <param name="Mean">Mean of the values.</param>
/// <param name="Std">Standard deviation of the values (the lectures' activation histograms, as one number).</param>
/// <param name="DeadFraction">For ReLU: the share of units that were 0 for every sample of every sampled batch; NaN otherwise.</param>
/// <param name="SaturatedFraction">For sigmoid and tanh: the share of values within 0.01 of the asymptotes; NaN otherwise.</param>
public sealed record ActivationStatistics(string Layer, string Activation, double Mean, double Std, double DeadFraction, double SaturatedFraction);

/// <summary>One parameter tensor's statistics over an epoch's sampled steps.</summary>
/// <param name="Tensor">Its name.</param>
/// <param name="WeightNorm">L2 norm of its values at the end of the epoch.</param>
/// <param name="GradientNorm">Mean over the sampled steps of its gradient's L2 norm (before clipping).</param>
/// <param name="UpdateRatio">Mean over the sampled steps of ‖Δw‖ / ‖w‖: about 1e-3 is healthy (the lectures' rule of thumb).</param>
public sealed record TensorStatistics(string Tensor, double WeightNorm, double GradientNorm, double UpdateRatio);

/// <summary>An epoch's diagnostics: per layer output and per tensor, and warnings in words. Immutable.</summary>
public sealed class DiagnosticsReport
{
    internal DiagnosticsReport(int epoch, int sampledSteps, IReadOnlyList<ActivationStatistics> activations, IReadOnlyList<TensorStatistics> tensors,
        IReadOnlyList<string> warnings)
    {
        (Epoch, SampledSteps, Activations, Tensors, Warnings) = (epoch, sampledSteps, activations, tensors, warnings);
    }

    /// <summary>The epoch, from 1.</summary>
    public int Epoch { get; }

    /// <summary>Steps the statistics come from.</summary>
    public int SampledSteps { get; }

    /// <summary>Per layer output, in order (empty for a network that does not expose its outputs).</summary>
    public IReadOnlyList<ActivationStatistics> Activations { get; }

    /// <summary>Per parameter tensor, in order.</summary>
    public IReadOnlyList<TensorStatistics> Tensors { get; }

    /// <summary>Dead or saturated layers, vanishing or exploding gradients, learning rates far from the 1e-3 update rule.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Two tables and the warnings.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"epoch {Epoch} diagnostics ({SampledSteps} sampled steps)");
        int w = Math.Max(5, Activations.Select(a => a.Layer.Length).DefaultIfEmpty(0).Max());
        if (Activations.Count > 0)
        {
            text.AppendLine(c, $"{"layer".PadRight(w)}  activation       mean        std   dead  saturated");
            foreach (var a in Activations)
                text.AppendLine(c, $"{a.Layer.PadRight(w)}  {a.Activation,-10} {a.Mean,10:0.000e+0} {a.Std,10:0.000e+0}  {Percent(a.DeadFraction),5}  {Percent(a.SaturatedFraction),9}");
        }
        int t = Math.Max(6, Tensors.Select(x => x.Tensor.Length).DefaultIfEmpty(0).Max());
        text.AppendLine(c, $"{"tensor".PadRight(t)}   weight norm   grad norm   update/weight");
        foreach (var x in Tensors)
            text.AppendLine(c, $"{x.Tensor.PadRight(t)}  {x.WeightNorm,12:0.000e+0}  {x.GradientNorm,10:0.000e+0}  {x.UpdateRatio,14:0.000e+0}");
        foreach (string warning in Warnings) text.AppendLine("warning: " + warning);
        return string.Join(Environment.NewLine, text.ToString().TrimEnd().Split(Environment.NewLine).Select(line => line.TrimEnd()));
    }

    private static string Percent(double fraction) => double.IsNaN(fraction) ? "" : (100 * fraction).ToString("0", CultureInfo.InvariantCulture) + "%";
}

/// <summary>
/// Opt-in training diagnostics (<see cref="Trainer{TNetwork}.Diagnostics"/>): every <see cref="Every"/>-th step, each
/// layer output's mean and standard deviation, dead ReLUs and saturated sigmoid or tanh units, and each parameter
/// tensor's gradient norm and update-to-weight ratio; per epoch a <see cref="DiagnosticsReport"/> on the epoch's
/// <see cref="EpochResult.Diagnostics"/>, with warnings. Buffers are sized when training starts: a step allocates nothing.
/// Off (null), the trainer does none of this. One instance per trainer; not thread-safe.
/// </summary>
public sealed class TrainingDiagnostics
{
    private int _every = 10;
    private LayerOutputInfo[] _layers = [];
    private ParameterTensor[] _tensors = [];
    private double[] _sum = [], _sumSquares = [], _gradientNorms = [], _updateRatios = [];
    private long[] _count = [], _saturated = [];
    private bool[][] _alive = [];
    private float[] _before = [];
    private int _sampled;

    /// <summary>Statistics come from every this-many-th step (and always from an epoch's first); at least 1.</summary>
    public int Every
    {
        get => _every;
        init => _every = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Every), value, "Every must be at least 1.");
    }

    /// <summary>The share of a ReLU layer's units dead above which a warning is given.</summary>
    public double DeadWarning { get; init; } = 0.5;

    /// <summary>The update-to-weight ratio above which the learning rate is called too high (below <see cref="LowUpdateRatio"/>: too low).</summary>
    public double HighUpdateRatio { get; init; } = 1e-2;

    /// <summary>The update-to-weight ratio below which the learning rate is called too low.</summary>
    public double LowUpdateRatio { get; init; } = 1e-5;

    /// <summary>The report of the last completed epoch.</summary>
    public DiagnosticsReport? Last { get; private set; }

    internal void Begin(ITrainableNetwork network)
    {
        _layers = network is ILayerOutputs outputs ? outputs.LayerOutputs.ToArray() : [];
        _tensors = network.ParameterTensors.ToArray();
        _sum = new double[_layers.Length];
        _sumSquares = new double[_layers.Length];
        _count = new long[_layers.Length];
        _saturated = new long[_layers.Length];
        _alive = _layers.Select(l => new bool[l.Activation == "ReLU" ? l.Width : 0]).ToArray();
        _gradientNorms = new double[_tensors.Length];
        _updateRatios = new double[_tensors.Length];
        _before = new float[network.Parameters.Length];
        Reset();
    }

    internal bool Samples(int step) => step % _every == 1 || _every == 1;

    // Before the step: the outputs of the forward pass, the gradients, and the parameters (for the update ratio).
    internal void BeforeUpdate(ITrainableNetwork network)
    {
        _sampled++;
        if (network is ILayerOutputs outputs)
            for (int i = 0; i < _layers.Length; i++) Activations(i, outputs.LayerOutput(i));
        ReadOnlySpan<float> gradients = network.Gradients;
        for (int i = 0; i < _tensors.Length; i++)
            _gradientNorms[i] += Norm(gradients.Slice(_tensors[i].Offset, _tensors[i].Length));
        network.Parameters.CopyTo(_before);
    }

    internal void AfterUpdate(ITrainableNetwork network)
    {
        ReadOnlySpan<float> after = network.Parameters;
        for (int i = 0; i < _tensors.Length; i++)
        {
            ReadOnlySpan<float> w0 = _before.AsSpan(_tensors[i].Offset, _tensors[i].Length), w1 = after.Slice(_tensors[i].Offset, _tensors[i].Length);
            double change = 0, size = 0;
            for (int k = 0; k < w0.Length; k++)
            {
                double d = (double)w1[k] - w0[k];
                change += d * d;
                size += (double)w0[k] * w0[k];
            }
            _updateRatios[i] += size > 0 ? Math.Sqrt(change / size) : 0;
        }
    }

    private void Activations(int layer, ReadOnlySpan<float> values)
    {
        string kind = _layers[layer].Activation;
        int width = _layers[layer].Width;
        double sum = 0, squares = 0;
        long saturated = 0;
        foreach (float v in values)
        {
            sum += v;
            squares += (double)v * v;
        }
        if (kind == "Tanh")
            foreach (float v in values) saturated += Math.Abs(v) > 0.99f ? 1 : 0;
        else if (kind == "Sigmoid")
            foreach (float v in values) saturated += v < 0.01f || v > 0.99f ? 1 : 0;
        bool[] alive = _alive[layer];
        if (alive.Length > 0)
            for (int start = 0; start + width <= values.Length; start += width)
            {
                ReadOnlySpan<float> sample = values.Slice(start, width);
                for (int u = 0; u < width; u++) alive[u] |= sample[u] > 0f;
            }
        _sum[layer] += sum;
        _sumSquares[layer] += squares;
        _count[layer] += values.Length;
        _saturated[layer] += saturated;
    }

    private static double Norm(ReadOnlySpan<float> values)
    {
        double s = 0;
        foreach (float v in values) s += (double)v * v;
        return Math.Sqrt(s);
    }

    internal DiagnosticsReport EndEpoch(int epoch, ITrainableNetwork network)
    {
        int n = Math.Max(1, _sampled);
        var activations = new ActivationStatistics[_layers.Length];
        for (int i = 0; i < _layers.Length; i++)
        {
            long count = Math.Max(1, _count[i]);
            double mean = _sum[i] / count, variance = Math.Max(0, _sumSquares[i] / count - mean * mean);
            string kind = _layers[i].Activation;
            double dead = _alive[i].Length > 0 ? 1 - (double)_alive[i].Count(a => a) / _alive[i].Length : double.NaN;
            double saturated = kind is "Tanh" or "Sigmoid" ? (double)_saturated[i] / count : double.NaN;
            activations[i] = new ActivationStatistics(_layers[i].Name, kind, mean, Math.Sqrt(variance), dead, saturated);
        }
        ReadOnlySpan<float> parameters = network.Parameters;
        var tensors = new TensorStatistics[_tensors.Length];
        for (int i = 0; i < _tensors.Length; i++)
            tensors[i] = new TensorStatistics(_tensors[i].Name, Norm(parameters.Slice(_tensors[i].Offset, _tensors[i].Length)), _gradientNorms[i] / n, _updateRatios[i] / n);
        var report = new DiagnosticsReport(epoch, _sampled, activations, tensors, Warnings(activations, tensors));
        Last = report;
        Reset();
        return report;
    }

    private List<string> Warnings(ActivationStatistics[] activations, TensorStatistics[] tensors)
    {
        var c = CultureInfo.InvariantCulture;
        var warnings = new List<string>();
        foreach (var a in activations)
        {
            if (a.DeadFraction >= DeadWarning)
                warnings.Add(string.Format(c, "{0}: {1:0%} of its ReLU units never fired (dead ReLUs: lower the learning rate, check the initialization, or try LeakyReLU).", a.Layer, a.DeadFraction));
            if (a.SaturatedFraction >= 0.5)
                warnings.Add(string.Format(c, "{0}: {1:0%} of its {2} values are saturated, where the gradient is nearly 0 (scale the inputs, use Xavier initialization or BatchNorm).", a.Layer, a.SaturatedFraction, a.Activation.ToLowerInvariant()));
            if (a.Std < 1e-4 && a.Activation != "Identity")
                warnings.Add(string.Format(c, "{0}: its outputs have collapsed (std {1:0.0e+0}); the layers above it learn almost nothing.", a.Layer, a.Std));
        }
        // Gradient size per value (the RMS), first weight tensor against the last: the lectures' vanishing and exploding
        // gradients. tensors[i] are the statistics of _tensors[i].
        int[] weights = Enumerable.Range(0, tensors.Length).Where(i => _tensors[i].Kind == ParameterKind.Weight).ToArray();
        if (weights.Length >= 2)
        {
            TensorStatistics f = tensors[weights[0]], l = tensors[weights[^1]];
            double first = f.GradientNorm / Math.Sqrt(_tensors[weights[0]].Length), last = l.GradientNorm / Math.Sqrt(_tensors[weights[^1]].Length);
            if (last > 0 && first / last < 1e-3)
                warnings.Add(string.Format(c, "vanishing gradients: {0}'s are {1:0.0e+0} the size of {2}'s.", f.Tensor, first / last, l.Tensor));
            if (last > 0 && first / last > 1e3)
                warnings.Add(string.Format(c, "exploding gradients: {0}'s are {1:0.0e+0} times the size of {2}'s.", f.Tensor, first / last, l.Tensor));
        }
        foreach (TensorStatistics t in weights.Select(i => tensors[i]))
        {
            if (t.UpdateRatio > HighUpdateRatio)
                warnings.Add(string.Format(c, "{0}: updates are {1:0.0e+0} of the weights (about 1e-3 is healthy): the learning rate may be too high.", t.Tensor, t.UpdateRatio));
            else if (t.UpdateRatio > 0 && t.UpdateRatio < LowUpdateRatio)
                warnings.Add(string.Format(c, "{0}: updates are {1:0.0e+0} of the weights (about 1e-3 is healthy): the learning rate may be too low.", t.Tensor, t.UpdateRatio));
        }
        return warnings;
    }

    private void Reset()
    {
        _sampled = 0;
        Array.Clear(_sum);
        Array.Clear(_sumSquares);
        Array.Clear(_count);
        Array.Clear(_saturated);
        Array.Clear(_gradientNorms);
        Array.Clear(_updateRatios);
        foreach (bool[] a in _alive) Array.Clear(a);
    }
}
