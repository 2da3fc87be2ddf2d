using System.Globalization;

namespace StaticNets.Tests.Reference;

/// <summary>
/// An independent double-precision implementation of a network, built from its generated
/// <see cref="INetwork.Architecture"/> string and parameter layout. It shares no code with the
/// generator or the runtime kernels: every layer and loss is written here from its formula.
/// </summary>
public sealed class ReferenceNetwork
{
    private readonly List<Stage> _stages = [];
    private readonly string _loss;

    private sealed record Stage(int In, int Rows, int Units, int WeightOffset, int BiasOffset, string Activation, double Value, int Pieces);

    public ReferenceNetwork(INetwork network)
    {
        string[] halves = network.Architecture.Split(" -> ");
        _loss = halves.Length > 1 ? halves[1] : "None";
        string[] tokens = halves[0].Replace(", Bias=false", ",nobias").Split(' ');
        InputSize = int.Parse(tokens[0]["Input(".Length..^1], CultureInfo.InvariantCulture);
        int previous = InputSize, dense = 0;
        var tensors = network.ParameterTensors.ToArray();
        for (int i = 1; i < tokens.Length; i++)
        {
            string t = tokens[i];
            if (!t.StartsWith("Dense(", StringComparison.Ordinal)) throw new FormatException("unexpected token " + t);
            dense++;
            int units = int.Parse(t["Dense(".Length..].TrimEnd(')').Split(',')[0], CultureInfo.InvariantCulture);
            string activation = "Identity";
            double value = 0;
            int pieces = 1;
            if (i + 1 < tokens.Length && !tokens[i + 1].StartsWith("Dense(", StringComparison.Ordinal))
            {
                string a = tokens[++i];
                int paren = a.IndexOf('(');
                activation = paren < 0 ? a : a[..paren];
                string arg = paren < 0 ? "" : a[(paren + 1)..^1];
                if (activation == "Maxout") pieces = int.Parse(arg, CultureInfo.InvariantCulture);
                else if (activation == "GELU" && arg == "tanh") activation = "GELUtanh";
                else if (arg.Length > 0) value = double.Parse(arg, CultureInfo.InvariantCulture);
            }
            var w = tensors.Single(x => x.Name == $"dense{dense}.weight");
            var b = tensors.SingleOrDefault(x => x.Name == $"dense{dense}.bias");
            _stages.Add(new Stage(previous, units * pieces, units, w.Offset, b.Name is null ? -1 : b.Offset, activation, value, pieces));
            if (w.Rows != units * pieces || w.Columns != previous) throw new FormatException($"dense{dense}.weight has shape [{w.Rows},{w.Columns}]");
            previous = units;
        }
        OutputSize = previous;
    }

    public int InputSize { get; }
    public int OutputSize { get; }

    /// <summary>Raw outputs of the last layer for one sample (logits for the cross-entropy losses).</summary>
    public double[] Forward(ReadOnlySpan<double> parameters, ReadOnlySpan<double> input)
    {
        double[] x = input.ToArray();
        foreach (Stage s in _stages)
        {
            var z = new double[s.Rows];
            for (int o = 0; o < s.Rows; o++)
            {
                double sum = s.BiasOffset >= 0 ? parameters[s.BiasOffset + o] : 0;
                for (int i = 0; i < s.In; i++) sum += parameters[s.WeightOffset + o * s.In + i] * x[i];
                z[o] = sum;
            }
            x = Activate(s, z);
        }
        return x;
    }

    /// <summary>Predict's output: the loss's link applied to the raw outputs.</summary>
    public double[] Predict(ReadOnlySpan<double> parameters, ReadOnlySpan<double> input)
    {
        double[] y = Forward(parameters, input);
        return _loss switch
        {
            "SoftmaxCrossEntropy" => Softmax(y),
            "SigmoidBinaryCrossEntropy" => y.Select(Logistic).ToArray(),
            _ => y,
        };
    }

    /// <summary>Mean loss over a batch; targets hold labels (as values) for softmax cross-entropy.</summary>
    public double Loss(ReadOnlySpan<double> parameters, ReadOnlySpan<double> inputs, ReadOnlySpan<double> targets, int batch)
    {
        double total = 0;
        for (int r = 0; r < batch; r++)
        {
            double[] y = Forward(parameters, inputs.Slice(r * InputSize, InputSize));
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

    private static double[] Activate(Stage s, double[] z)
    {
        const double seluScale = 1.0507009873554804934193349852946, seluAlpha = 1.6732632423543772848170429916717;
        switch (s.Activation)
        {
            case "Maxout":
                return Enumerable.Range(0, s.Units).Select(u => z.Skip(u * s.Pieces).Take(s.Pieces).Max()).ToArray();
            case "Softmax":
                return Softmax(z);
        }
        return z.Select(v => s.Activation switch
        {
            "Identity" => v,
            "ReLU" => Math.Max(0, v),
            "LeakyReLU" => v > 0 ? v : s.Value * v,
            "ELU" => v > 0 ? v : s.Value * (Math.Exp(v) - 1),
            "SELU" => seluScale * (v > 0 ? v : seluAlpha * (Math.Exp(v) - 1)),
            "Sigmoid" => Logistic(v),
            "Tanh" => Math.Tanh(v),
            "GELU" => 0.5 * v * (1 + Erf(v / Math.Sqrt(2))),
            "GELUtanh" => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))),
            "Swish" => v * Logistic(s.Value * v),
            "Softplus" => Math.Log(1 + Math.Exp(s.Value * v)) / s.Value,
            _ => throw new FormatException("unknown activation " + s.Activation),
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
