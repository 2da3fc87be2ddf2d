using System.Numerics.Tensors;

namespace StaticNets.Kernels;

/// <summary>
/// A multi-head network's output ([Heads]): the heads combined one after another into a running result, then finished.
/// Softmax heads: log of the mean probabilities, summed as log-sum-exp of the heads' log-softmax, so the result stays
/// finite where a probability underflows; sigmoid heads: the logit of the mean probability from the log-sums of p and of
/// 1 − p (no cancellation near 0 or 1); other heads: the mean. The transcendental loops are scalar: they run over
/// OutputSize values per sample and head, next to products of thousands of multiply-adds per value.
/// </summary>
public static class HeadKernels
{
    /// <summary>
    /// sum[r, i] = log(exp(sum[r, i]) + softmax(logits[r])[i]) in the log domain, or the log-softmax itself when
    /// <paramref name="first"/>. Each probability is the one <see cref="OutputKernels.Softmax"/> computes, in the log domain.
    /// </summary>
    public static void AddLogSoftmax(ReadOnlySpan<float> logits, Span<float> sum, int batch, int n, bool first)
    {
        if (logits.Length != batch * n || sum.Length != batch * n)
            throw new ArgumentException($"the heads' softmax needs {batch * n} values in and out; got {logits.Length} and {sum.Length}.");
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<float> z = logits.Slice(r * n, n);
            Span<float> s = sum.Slice(r * n, n);
            float max = z[0];
            for (int i = 1; i < n; i++) if (z[i] > max) max = z[i];
            double total = 0;
            for (int i = 0; i < n; i++) total += MathF.Exp(z[i] - max);
            double logTotal = Math.Log(total);
            for (int i = 0; i < n; i++)
            {
                double logP = z[i] - max - logTotal;
                s[i] = (float)(first ? logP : LogAddExp(s[i], logP));
            }
        }
    }

    /// <summary>
    /// positive += log σ(x), negative += log(1 − σ(x)) = log σ(−x), in the log domain (written when <paramref name="first"/>).
    /// </summary>
    public static void AddLogSigmoid(ReadOnlySpan<float> logits, Span<float> positive, Span<float> negative, bool first)
    {
        if (logits.Length != positive.Length || negative.Length != positive.Length)
            throw new ArgumentException($"the heads' sigmoid needs equal lengths; got {logits.Length}, {positive.Length} and {negative.Length}.");
        for (int i = 0; i < logits.Length; i++)
        {
            double x = logits[i];
            double logP = -Softplus(-x), logQ = -Softplus(x);
            positive[i] = (float)(first ? logP : LogAddExp(positive[i], logP));
            negative[i] = (float)(first ? logQ : LogAddExp(negative[i], logQ));
        }
    }

    /// <summary>sum += x (sum = x when <paramref name="first"/>).</summary>
    public static void AddValues(ReadOnlySpan<float> x, Span<float> sum, bool first)
    {
        if (x.Length != sum.Length) throw new ArgumentException($"the heads' outputs need equal lengths; got {x.Length} and {sum.Length}.");
        if (first) x.CopyTo(sum);
        else TensorPrimitives.Add(x, sum, sum);
    }

    /// <summary>From the log of the summed probabilities to the log of their mean over <paramref name="heads"/>.</summary>
    public static void FinishLogMean(Span<float> sum, int heads) => TensorPrimitives.Subtract(sum, MathF.Log(heads), sum);

    /// <summary>logit = log Σp − log Σ(1 − p), written over <paramref name="positive"/> (the heads' count cancels).</summary>
    public static void FinishLogit(Span<float> positive, ReadOnlySpan<float> negative) => TensorPrimitives.Subtract(positive, negative, positive);

    /// <summary>The mean of <paramref name="heads"/> summed outputs.</summary>
    public static void FinishMean(Span<float> sum, int heads) => TensorPrimitives.Divide(sum, heads, sum);

    /// <summary>A head's share of the mean loss: its loss gradient divided by the number of heads.</summary>
    public static void ShareGradient(Span<float> gradient, int heads) => TensorPrimitives.Divide(gradient, heads, gradient);

    private static double LogAddExp(double a, double b)
    {
        double max = Math.Max(a, b);
        return max + Math.Log(1 + Math.Exp(-Math.Abs(a - b)));
    }

    // log(1 + eˣ) without overflow.
    private static double Softplus(double x) => x > 0 ? x + Math.Log(1 + Math.Exp(-x)) : Math.Log(1 + Math.Exp(x));
}
