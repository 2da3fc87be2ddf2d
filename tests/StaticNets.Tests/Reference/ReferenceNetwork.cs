using System.Globalization;

namespace StaticNets.Tests.Reference;

/// <summary>
/// An independent double-precision implementation of a network, built from its generated
/// <see cref="INetwork.Architecture"/> string and tensor layout. It shares no code with the generator
/// or the runtime kernels: every layer and loss is written here from its formula, over whole batches
/// (BatchNorm's training statistics couple the samples of a batch).
/// </summary>
public sealed class ReferenceNetwork
{
    private readonly List<Func<Context, double[][], double[][]>> _steps = [];
    private readonly string _loss;

    /// <summary>What one pass reads: parameters, state, the mode, and dropout masks for training.</summary>
    private sealed record Context(double[] Parameters, double[] State, bool Training, float[][]? Masks, Dictionary<string, double[][]> Saved)
    {
        /// <summary>Each head's raw outputs, in a multi-head network.</summary>
        public List<double[][]> Heads { get; } = [];
    }

    public ReferenceNetwork(INetwork network)
    {
        string[] halves = network.Architecture.Split(" -> ");
        _loss = halves.Length > 1 ? halves[1] : "None";
        string[] tokens = halves[0].Split(' ');
        int[] input = Argument(tokens[0]).Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        // The shape of the values after each step: channels × height × width (a vector is n × 1 × 1).
        var (channels, height, width) = input.Length == 3 ? (input[0], input[1], input[2]) : (input[0], 1, 1);
        InputSize = channels * height * width;
        var parameters = network.ParameterTensors.ToArray();
        var state = network.StateTensors.ToArray();
        ParameterTensor Find(ParameterTensor[] set, string name) => set.Single(t => t.Name == name);
        var counts = new Dictionary<string, int>();
        int Next(string kind) => counts[kind] = counts.GetValueOrDefault(kind) + 1;
        int dropouts = 0;

        // [Heads(M)]: the tokens after it are one head, run M times from the trunk's output with parameters numbered on.
        int heads = Array.FindIndex(tokens, t => t.StartsWith("Heads(", StringComparison.Ordinal));
        IEnumerable<string> expanded = heads < 0 ? tokens.Skip(1) : tokens.Skip(1).Take(heads - 1)
            .Concat(Enumerable.Range(0, int.Parse(Argument(tokens[heads]), CultureInfo.InvariantCulture))
                .SelectMany(k => tokens.Skip(heads + 1).Prepend("HeadStart").Append("HeadEnd")))
            .Append("HeadsMean");
        (int, int, int) trunkShape = default;
        foreach (string token in expanded)
        {
            string kind = token.Split('(')[0];
            string arg = Argument(token);
            switch (kind)
            {
                case "HeadStart":
                    if (trunkShape == default)
                    {
                        trunkShape = (channels, height, width);
                        _steps.Add((c, x) => { c.Saved["heads trunk"] = x; return x; });
                    }
                    (channels, height, width) = trunkShape;
                    _steps.Add((c, _) => c.Saved["heads trunk"]);
                    break;
                case "HeadEnd":
                    _steps.Add((c, x) => { c.Heads.Add(x); return x; });
                    break;
                case "HeadsMean":
                    _steps.Add((c, _) => Enumerable.Range(0, c.Heads[0].Length).Select(r => MeanOfHeads(c.Heads.Select(h => h[r]).ToList())).ToArray());
                    break;
                case "Dense":
                {
                    int number = Next("dense");
                    var w = Find(parameters, $"dense{number}.weight");
                    int? b = arg.Contains("bias=false") ? null : Find(parameters, $"dense{number}.bias").Offset;
                    _steps.Add((c, x) => x.Select(row => Enumerable.Range(0, w.Shape[0]).Select(o =>
                        (b is int bo ? c.Parameters[bo + o] : 0) + Enumerable.Range(0, w.Shape[1]).Sum(i => c.Parameters[w.Offset + o * w.Shape[1] + i] * row[i])).ToArray()).ToArray());
                    (channels, height, width) = (w.Shape[0], 1, 1);
                    break;
                }
                case "Conv2D":
                {
                    // Conv2D(filters,KHxKW,stride=SHxSW,padding=PHxPW[,bias=false]): the seven loops of the definition.
                    int number = Next("conv");
                    var w = Find(parameters, $"conv{number}.weight");
                    int? b = arg.Contains("bias=false") ? null : Find(parameters, $"conv{number}.bias").Offset;
                    string[] parts = arg.Split(',');
                    int[] kernel = Pair(parts[1]), stride = Pair(parts[2]["stride=".Length..]), padding = Pair(parts[3]["padding=".Length..]);
                    int ci = channels, h = height, wd = width, co = w.Shape[0];
                    int oh = (h + 2 * padding[0] - kernel[0]) / stride[0] + 1, ow = (wd + 2 * padding[1] - kernel[1]) / stride[1] + 1;
                    _steps.Add((c, x) => x.Select(row =>
                    {
                        var y = new double[co * oh * ow];
                        for (int o = 0; o < co; o++)
                            for (int oy = 0; oy < oh; oy++)
                                for (int ox = 0; ox < ow; ox++)
                                {
                                    double sum = b is int bo ? c.Parameters[bo + o] : 0;
                                    for (int i = 0; i < ci; i++)
                                        for (int ky = 0; ky < kernel[0]; ky++)
                                            for (int kx = 0; kx < kernel[1]; kx++)
                                            {
                                                int iy = oy * stride[0] - padding[0] + ky, ix = ox * stride[1] - padding[1] + kx;
                                                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                                                sum += c.Parameters[w.Offset + ((o * ci + i) * kernel[0] + ky) * kernel[1] + kx] * row[(i * h + iy) * wd + ix];
                                            }
                                    y[(o * oh + oy) * ow + ox] = sum;
                                }
                        return y;
                    }).ToArray());
                    (channels, height, width) = (co, oh, ow);
                    break;
                }
                case "MaxPool2D" or "AvgPool2D":
                {
                    string[] parts = arg.Split(',');
                    int size = int.Parse(parts[0], CultureInfo.InvariantCulture), step = int.Parse(parts[1]["stride=".Length..], CultureInfo.InvariantCulture);
                    int ch = channels, h = height, wd = width, oh = (h - size) / step + 1, ow = (wd - size) / step + 1;
                    bool max = kind == "MaxPool2D";
                    _steps.Add((c, x) => x.Select(row =>
                    {
                        var y = new double[ch * oh * ow];
                        for (int q = 0; q < ch; q++)
                            for (int oy = 0; oy < oh; oy++)
                                for (int ox = 0; ox < ow; ox++)
                                {
                                    var window = from ky in Enumerable.Range(0, size) from kx in Enumerable.Range(0, size)
                                                 select row[(q * h + oy * step + ky) * wd + ox * step + kx];
                                    y[(q * oh + oy) * ow + ox] = max ? window.Max() : window.Average();
                                }
                        return y;
                    }).ToArray());
                    (height, width) = (oh, ow);
                    break;
                }
                case "GlobalAvgPool":
                {
                    int plane = height * width;
                    _steps.Add((c, x) => x.Select(row => row.Chunk(plane).Select(p => p.Average()).ToArray()).ToArray());
                    (height, width) = (1, 1);
                    break;
                }
                case "Flatten":
                    (channels, height, width) = (channels * height * width, 1, 1);
                    break;
                case "BatchNorm":
                {
                    int number = Next("batchnorm");
                    double eps = double.Parse(arg.Split(',')[0]["eps=".Length..], CultureInfo.InvariantCulture);
                    var gamma = Find(parameters, $"batchnorm{number}.weight");
                    var beta = Find(parameters, $"batchnorm{number}.bias");
                    var mean = Find(state, $"batchnorm{number}.running_mean");
                    var variance = Find(state, $"batchnorm{number}.running_var");
                    // Per feature of a vector, per channel of an image (over the batch and the plane).
                    int plane = height * width, features = channels;
                    _steps.Add((c, x) =>
                    {
                        int n = x[0].Length, batch = x.Length;
                        var y = x.Select(r => new double[n]).ToArray();
                        for (int j = 0; j < features; j++)
                        {
                            var values = from r in x from p in Enumerable.Range(0, plane) select r[j * plane + p];
                            double mu = c.Training ? values.Average() : c.State[mean.Offset + j];
                            double v = c.Training ? values.Sum(t => (t - mu) * (t - mu)) / (batch * plane) : c.State[variance.Offset + j];
                            for (int r = 0; r < batch; r++)
                                for (int p = 0; p < plane; p++)
                                    y[r][j * plane + p] = c.Parameters[gamma.Offset + j] * (x[r][j * plane + p] - mu) / Math.Sqrt(v + eps) + c.Parameters[beta.Offset + j];
                        }
                        return y;
                    });
                    break;
                }
                case "LayerNorm":
                {
                    int number = Next("layernorm");
                    double eps = double.Parse(arg["eps=".Length..], CultureInfo.InvariantCulture);
                    var gamma = Find(parameters, $"layernorm{number}.weight");
                    var beta = Find(parameters, $"layernorm{number}.bias");
                    _steps.Add((c, x) => x.Select(row =>
                    {
                        double mu = row.Average(), v = row.Sum(t => (t - mu) * (t - mu)) / row.Length;
                        return row.Select((t, j) => c.Parameters[gamma.Offset + j] * (t - mu) / Math.Sqrt(v + eps) + c.Parameters[beta.Offset + j]).ToArray();
                    }).ToArray());
                    break;
                }
                case "GroupNorm" or "InstanceNorm":
                {
                    // GroupNorm(groups,eps=E): each sample's groups of consecutive channels normalized over their planes;
                    // InstanceNorm(eps=E): one channel per group.
                    string prefix = kind.ToLowerInvariant();
                    int number = Next(prefix);
                    string[] parts = arg.Split(',');
                    int groups = kind == "InstanceNorm" ? channels : int.Parse(parts[0], CultureInfo.InvariantCulture);
                    double eps = double.Parse(parts[^1]["eps=".Length..], CultureInfo.InvariantCulture);
                    var gamma = Find(parameters, $"{prefix}{number}.weight");
                    var beta = Find(parameters, $"{prefix}{number}.bias");
                    int plane = height * width, perGroup = channels / groups * plane;
                    _steps.Add((c, x) => x.Select(row =>
                    {
                        var y = new double[row.Length];
                        for (int g = 0; g < groups; g++)
                        {
                            var values = row.Skip(g * perGroup).Take(perGroup).ToArray();
                            double mu = values.Average(), v = values.Sum(t => (t - mu) * (t - mu)) / perGroup;
                            for (int i = g * perGroup; i < (g + 1) * perGroup; i++)
                                y[i] = c.Parameters[gamma.Offset + i / plane] * (row[i] - mu) / Math.Sqrt(v + eps) + c.Parameters[beta.Offset + i / plane];
                        }
                        return y;
                    }).ToArray());
                    break;
                }
                case "PReLU":
                {
                    var slope = Find(parameters, $"prelu{Next("prelu")}.weight");
                    int plane = height * width; // one slope per channel
                    _steps.Add((c, x) => x.Select(row => row.Select((t, j) => t > 0 ? t : c.Parameters[slope.Offset + j / plane] * t).ToArray()).ToArray());
                    break;
                }
                case "Dropout" or "SpatialDropout":
                {
                    // The network's masks in layer order: one value per value, or per channel for SpatialDropout.
                    int index = dropouts++;
                    int group = kind == "SpatialDropout" ? height * width : 1;
                    _steps.Add((c, x) =>
                    {
                        if (!c.Training) return x;
                        float[] mask = c.Masks?[index] ?? throw new InvalidOperationException("training-mode reference needs the dropout masks");
                        int n = x[0].Length / group;
                        return x.Select((row, r) => row.Select((t, j) => t * mask[r * n + j / group]).ToArray()).ToArray();
                    });
                    break;
                }
                case "SaveAs":
                    _steps.Add((c, x) => { c.Saved[arg] = x; return x; });
                    break;
                case "Add":
                    _steps.Add((c, x) => x.Select((row, r) => row.Select((t, j) => t + c.Saved[arg][r][j]).ToArray()).ToArray());
                    break;
                default:
                    string activation = kind == "GELU" && arg == "tanh" ? "GELUtanh" : kind;
                    double value = arg.Length > 0 && activation is not ("GELUtanh" or "Maxout") ? double.Parse(arg, CultureInfo.InvariantCulture) : 0;
                    int pieces = kind == "Maxout" ? int.Parse(arg, CultureInfo.InvariantCulture) : 1;
                    channels /= pieces;
                    _steps.Add((_, x) => x.Select(row => Activate(activation, value, pieces, row)).ToArray());
                    break;
            }
        }
        OutputSize = network.OutputSize;
    }

    public int InputSize { get; }
    public int OutputSize { get; }

    /// <summary>Raw outputs of the last layer (logits for the cross-entropy losses), one row per sample.</summary>
    public double[][] Forward(double[] parameters, double[] state, ReadOnlySpan<double> inputs, int batch, bool training, float[][]? masks = null)
        => Forward(new Context(parameters, state, training, masks, []), inputs, batch);

    private double[][] Forward(Context context, ReadOnlySpan<double> inputs, int batch)
    {
        var x = new double[batch][];
        for (int r = 0; r < batch; r++) x[r] = inputs.Slice(r * InputSize, InputSize).ToArray();
        foreach (var step in _steps) x = step(context, x);
        return x;
    }

    /// <summary>
    /// The raw output of a multi-head network: the logits of the heads' mean probability (softmax: the log of the mean
    /// probabilities; sigmoid: the logit of the mean), or the mean of the outputs for other losses.
    /// </summary>
    private double[] MeanOfHeads(List<double[]> heads)
    {
        int n = heads[0].Length;
        return _loss switch
        {
            "SoftmaxCrossEntropy" => Enumerable.Range(0, n).Select(i => Math.Log(heads.Average(h => Softmax(h)[i]))).ToArray(),
            "SigmoidBinaryCrossEntropy" => Enumerable.Range(0, n).Select(i =>
            {
                double p = heads.Average(h => Logistic(h[i]));
                return Math.Log(p / (1 - p));
            }).ToArray(),
            _ => Enumerable.Range(0, n).Select(i => heads.Average(h => h[i])).ToArray(),
        };
    }

    /// <summary>Predict's output for one sample (inference mode): the loss's link applied to the raw outputs.</summary>
    public double[] Predict(double[] parameters, double[] state, ReadOnlySpan<double> input)
    {
        double[] y = Forward(parameters, state, input, 1, training: false)[0];
        return _loss switch
        {
            "SoftmaxCrossEntropy" => Softmax(y),
            "SigmoidBinaryCrossEntropy" => y.Select(Logistic).ToArray(),
            _ => y,
        };
    }

    /// <summary>Mean loss over a batch; targets hold labels (as values) for softmax cross-entropy.</summary>
    public double Loss(double[] parameters, double[] state, ReadOnlySpan<double> inputs, ReadOnlySpan<double> targets, int batch, bool training, float[][]? masks = null)
    {
        var context = new Context(parameters, state, training, masks, []);
        double[][] combined = Forward(context, inputs, batch);
        // A multi-head network's loss is the mean of its heads' losses.
        if (context.Heads.Count == 0) return Loss(combined, targets, batch);
        double sum = 0;
        foreach (double[][] head in context.Heads) sum += Loss(head, targets, batch);
        return sum / context.Heads.Count;
    }

    private double Loss(double[][] outputs, ReadOnlySpan<double> targets, int batch)
    {
        double total = 0;
        for (int r = 0; r < batch; r++)
        {
            double[] y = outputs[r];
            switch (_loss)
            {
                case "MeanSquaredError":
                    for (int k = 0; k < OutputSize; k++) { double d = y[k] - targets[r * OutputSize + k]; total += d * d / OutputSize; }
                    break;
                case "SoftmaxCrossEntropy":
                    total += -Math.Log(Softmax(y)[(int)targets[r]]);
                    break;
                case "SigmoidBinaryCrossEntropy":
                    for (int k = 0; k < OutputSize; k++)
                    {
                        double p = Logistic(y[k]), t = targets[r * OutputSize + k];
                        total += -(t * Math.Log(p) + (1 - t) * Math.Log(1 - p)) / OutputSize;
                    }
                    break;
                default: throw new InvalidOperationException("no loss");
            }
        }
        return total / batch;
    }

    private static int[] Pair(string text) => text.Split('x').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();

    private static string Argument(string token)
    {
        int open = token.IndexOf('(');
        return open < 0 ? "" : token[(open + 1)..^1];
    }

    private static double[] Activate(string activation, double value, int pieces, double[] z)
    {
        const double seluScale = 1.0507009873554804934193349852946, seluAlpha = 1.6732632423543772848170429916717;
        switch (activation)
        {
            case "Maxout":
                return Enumerable.Range(0, z.Length / pieces).Select(u => z.Skip(u * pieces).Take(pieces).Max()).ToArray();
            case "Softmax":
                return Softmax(z);
        }
        return z.Select(v => activation switch
        {
            "ReLU" => Math.Max(0, v),
            "LeakyReLU" => v > 0 ? v : value * v,
            "ELU" => v > 0 ? v : value * (Math.Exp(v) - 1),
            "SELU" => seluScale * (v > 0 ? v : seluAlpha * (Math.Exp(v) - 1)),
            "Sigmoid" => Logistic(v),
            "Tanh" => Math.Tanh(v),
            "GELU" => 0.5 * v * (1 + Erf(v / Math.Sqrt(2))),
            "GELUtanh" => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))),
            "Swish" => v * Logistic(value * v),
            "Softplus" => Math.Log(1 + Math.Exp(value * v)) / value,
            _ => throw new FormatException("unknown activation " + activation),
        }).ToArray();
    }

    private static double Logistic(double v) => 1 / (1 + Math.Exp(-v));

    private static double[] Softmax(double[] z)
    {
        double max = z.Max();
        double[] e = z.Select(v => Math.Exp(v - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    /// <summary>erf to about 1e-14: Taylor series below 3, Lentz's continued fraction for erfc above.</summary>
    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        double result;
        if (ax < 3)
        {
            double term = ax, sum = ax, x2 = ax * ax;
            for (int n = 1; n < 200 && Math.Abs(term) > 1e-17 * Math.Abs(sum); n++)
            {
                term *= -x2 / n;
                sum += term / (2 * n + 1);
            }
            result = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            // erfc(x) = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated from the tail.
            double f = ax;
            for (int k = 60; k >= 1; k--) f = ax + k / 2.0 / f;
            result = 1 - Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / f;
        }
        return x < 0 ? -result : result;
    }
}
