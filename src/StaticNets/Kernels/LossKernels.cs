namespace StaticNets.Kernels;

/// <summary>
/// Losses over a batch, each returning the mean loss and, when <c>gradient</c> is not empty,
/// writing d(mean loss)/d(output). Sums run in double so the mean does not depend on batch order
/// beyond float rounding of the inputs.
/// </summary>
public static class LossKernels
{
    /// <summary>Mean over batch·n of (y − t)²; gradient 2(y − t)/(batch·n).</summary>
    public static float MeanSquaredError(ReadOnlySpan<float> y, ReadOnlySpan<float> targets, Span<float> gradient, int batch, int n)
    {
        int count = batch * n;
        CheckLengths(y.Length, targets.Length, gradient.Length, count);
        double sum = 0;
        float scale = 2f / count;
        bool wantGradient = !gradient.IsEmpty;
        for (int i = 0; i < count; i++)
        {
            float d = y[i] - targets[i];
            sum += (double)d * d;
            if (wantGradient) gradient[i] = scale * d;
        }
        return (float)(sum / count);
    }

    /// <summary>
    /// Softmax cross-entropy with integer labels: mean over the batch of logsumexp(z) − z[label];
    /// gradient (softmax(z) − onehot)/batch.
    /// </summary>
    public static float SoftmaxCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<float> gradient, int batch, int classes)
    {
        CheckLengths(logits.Length, labels.Length * classes, gradient.Length, batch * classes);
        if (labels.Length != batch) throw new ArgumentException($"labels has {labels.Length} values; expected {batch} (one per sample).", nameof(labels));
        bool wantGradient = !gradient.IsEmpty;
        double total = 0;
        float invBatch = 1f / batch;
        for (int r = 0; r < batch; r++)
        {
            ReadOnlySpan<float> z = logits.Slice(r * classes, classes);
            float max = z[0];
            for (int i = 1; i < classes; i++) if (z[i] > max) max = z[i];
            double sumExp = 0;
            for (int i = 0; i < classes; i++) sumExp += Math.Exp(z[i] - max);
            double logSumExp = max + Math.Log(sumExp);
            int label = labels[r];
            total += logSumExp - z[label];
            if (wantGradient)
            {
                Span<float> g = gradient.Slice(r * classes, classes);
                for (int i = 0; i < classes; i++)
                    g[i] = (float)Math.Exp(z[i] - logSumExp) * invBatch;
                g[label] -= invBatch;
            }
        }
        return (float)(total / batch);
    }

    /// <summary>
    /// Sigmoid binary cross-entropy on logits, mean over batch·n:
    /// max(z, 0) − z·t + log(1 + e^(−|z|)); gradient (sigmoid(z) − t)/(batch·n).
    /// </summary>
    public static float SigmoidBinaryCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, Span<float> gradient, int batch, int n)
    {
        int count = batch * n;
        CheckLengths(logits.Length, targets.Length, gradient.Length, count);
        bool wantGradient = !gradient.IsEmpty;
        double total = 0;
        float scale = 1f / count;
        for (int i = 0; i < count; i++)
        {
            double z = logits[i], t = targets[i];
            total += Math.Max(z, 0.0) - z * t + Math.Log(1.0 + Math.Exp(-Math.Abs(z)));
            if (wantGradient) gradient[i] = (Sigmoid.Logistic(logits[i]) - targets[i]) * scale;
        }
        return (float)(total / count);
    }

    private static void CheckLengths(int outputs, int targets, int gradient, int expected)
    {
        if (outputs != expected) throw new ArgumentException($"outputs has {outputs} values; expected {expected}.");
        if (targets != expected) throw new ArgumentException($"targets has {targets} values; expected {expected} (batch × outputs).");
        if (gradient != 0 && gradient != expected) throw new ArgumentException($"gradient has {gradient} values; expected {expected}.");
    }
}
