namespace StaticNets;

/// <summary>Metrics of one epoch. Accuracy is null for regression (mean squared error).</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="TrainLoss">Mean loss over the epoch's mini-batches (weighted by batch size), as the weights changed.</param>
/// <param name="TrainAccuracy">Accuracy over the epoch's mini-batches, measured on each batch's forward pass.</param>
/// <param name="ValidationLoss">Mean loss on the validation set after the epoch, or null without one.</param>
/// <param name="ValidationAccuracy">Accuracy on the validation set after the epoch.</param>
public readonly record struct EpochResult(int Epoch, double TrainLoss, double? TrainAccuracy, double? ValidationLoss, double? ValidationAccuracy);

/// <summary>Loss and accuracy (null for regression) of a network on a data set.</summary>
public readonly record struct Evaluation(double Loss, double? Accuracy);

/// <summary>
/// Trains a network with mini-batches: each epoch shuffles the training set (seeded, so a run is
/// reproducible), computes gradients batch by batch and lets the optimizer update the parameters.
/// Buffers are sized once; a training step allocates nothing.
/// </summary>
public sealed class Trainer<TNetwork> where TNetwork : ITrainableNetwork
{
    private readonly Rng _rng;
    private readonly float[] _batchInputs;
    private readonly int[] _batchLabels;
    private readonly float[] _batchTargets;

    /// <summary>A trainer for <paramref name="network"/>.</summary>
    /// <param name="network">The network; its parameters are updated in place.</param>
    /// <param name="optimizer">The update rule.</param>
    /// <param name="batchSize">Samples per step, at most the network's MaxBatchSize.</param>
    /// <param name="seed">Fixes the shuffling order.</param>
    public Trainer(TNetwork network, IOptimizer optimizer, int batchSize = 32, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (batchSize < 1 || batchSize > network.MaxBatchSize)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
                $"batchSize must be in [1, {network.MaxBatchSize}] (the network's maxBatchSize); construct the network with a larger maxBatchSize for larger batches.");
        Network = network;
        Optimizer = optimizer;
        BatchSize = batchSize;
        _rng = new Rng(unchecked((ulong)seed) ^ 0x5DEECE66DUL);
        _batchInputs = new float[batchSize * network.InputSize];
        _batchLabels = network.Loss == Loss.SoftmaxCrossEntropy ? new int[batchSize] : [];
        _batchTargets = network.Loss == Loss.SoftmaxCrossEntropy ? [] : new float[batchSize * network.OutputSize];
    }

    /// <summary>The network being trained.</summary>
    public TNetwork Network { get; }

    /// <summary>The update rule.</summary>
    public IOptimizer Optimizer { get; }

    /// <summary>Samples per step.</summary>
    public int BatchSize { get; }

    /// <summary>
    /// Trains for <paramref name="epochs"/> epochs and returns each epoch's metrics; <paramref name="onEpoch"/>
    /// sees them as they come. Training steps run in training mode (BatchNorm on batch statistics, dropout on);
    /// validation runs in inference mode. A last batch smaller than the network's MinBatchSize (one sample, with
    /// BatchNorm) is left out of that epoch. Throws if the loss becomes NaN or infinite (that step is not applied).
    /// </summary>
    public IReadOnlyList<EpochResult> Fit(Dataset train, int epochs, Dataset? validation = null, Action<EpochResult>? onEpoch = null)
    {
        CheckMatches(train, nameof(train));
        if (train.Count < Network.MinBatchSize)
            throw new ArgumentException($"train has {train.Count} sample(s); the network trains on batches of at least {Network.MinBatchSize}.", nameof(train));
        if (validation is not null) CheckMatches(validation, nameof(validation));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);

        var order = new int[train.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var history = new List<EpochResult>(epochs);
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            _rng.Shuffle(order.AsSpan());
            double lossSum = 0;
            long correct = 0, judged = 0, trained = 0;
            for (int start = 0; start < order.Length; start += BatchSize)
            {
                int n = Math.Min(BatchSize, order.Length - start);
                if (n < Network.MinBatchSize)
                    break; // e.g. a last batch of one sample, which BatchNorm cannot train on

                Gather(train, order.AsSpan(start, n));
                float loss = Step(n, epoch, start / BatchSize + 1);
                lossSum += (double)loss * n;
                trained += n;
                (long c, long j) = CountCorrect(Network.BatchOutputs, n, _batchLabels, _batchTargets);
                correct += c;
                judged += j;
            }
            double? trainAccuracy = judged > 0 ? (double)correct / judged : null;
            Evaluation? valid = validation is null ? null : Evaluate(validation);
            var result = new EpochResult(epoch, lossSum / trained, trainAccuracy, valid?.Loss, valid?.Accuracy);
            history.Add(result);
            onEpoch?.Invoke(result);
        }
        return history;
    }

    /// <summary>
    /// One optimizer step on a batch already in the network's input layout: gradients, then the update.
    /// Returns the batch's mean loss. Allocates nothing.
    /// </summary>
    public float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, int batchSize) =>
        Apply(Network.ComputeGradients(inputs, labels, batchSize), 0, 0);

    /// <inheritdoc cref="TrainStep(ReadOnlySpan{float}, ReadOnlySpan{int}, int)"/>
    public float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize) =>
        Apply(Network.ComputeGradients(inputs, targets, batchSize), 0, 0);

    /// <summary>Mean loss and accuracy over a whole data set, forward only, in chunks of MaxBatchSize.</summary>
    public Evaluation Evaluate(Dataset data)
    {
        CheckMatches(data, nameof(data));
        double lossSum = 0;
        long correct = 0, judged = 0;
        int chunk = Network.MaxBatchSize, inSize = Network.InputSize, outSize = Network.OutputSize;
        for (int start = 0; start < data.Count; start += chunk)
        {
            int n = Math.Min(chunk, data.Count - start);
            ReadOnlySpan<float> x = data.Features.AsSpan(start * inSize, n * inSize);
            float loss;
            ReadOnlySpan<int> labels = default;
            ReadOnlySpan<float> targets = default;
            if (data.Labels is not null)
            {
                labels = data.Labels.AsSpan(start, n);
                loss = Network.ComputeLoss(x, labels, n);
            }
            else
            {
                targets = data.Targets.AsSpan(start * outSize, n * outSize);
                loss = Network.ComputeLoss(x, targets, n);
            }
            lossSum += (double)loss * n;
            (long c, long j) = CountCorrect(Network.BatchOutputs, n, labels, targets);
            correct += c;
            judged += j;
        }
        return new Evaluation(lossSum / data.Count, judged > 0 ? (double)correct / judged : null);
    }

    private float Step(int n, int epoch, int batch) => Network.Loss == Loss.SoftmaxCrossEntropy
        ? Apply(Network.ComputeGradients(_batchInputs.AsSpan(0, n * Network.InputSize), _batchLabels.AsSpan(0, n), n), epoch, batch)
        : Apply(Network.ComputeGradients(_batchInputs.AsSpan(0, n * Network.InputSize), _batchTargets.AsSpan(0, n * Network.OutputSize), n), epoch, batch);

    private float Apply(float loss, int epoch, int batch)
    {
        if (!float.IsFinite(loss))
        {
            string where = epoch > 0 ? $" at epoch {epoch}, batch {batch}" : "";
            throw new InvalidOperationException(
                $"The loss became {loss}{where}; the parameters were not updated by this batch. Lower the learning rate or check the data for extreme values.");
        }
        Optimizer.Step(Network.Parameters, Network.Gradients);
        return loss;
    }

    private void Gather(Dataset data, ReadOnlySpan<int> indices)
    {
        int inSize = Network.InputSize, outSize = Network.OutputSize;
        for (int k = 0; k < indices.Length; k++)
        {
            int i = indices[k];
            data.FeaturesOf(i).CopyTo(_batchInputs.AsSpan(k * inSize, inSize));
            if (data.Labels is not null) _batchLabels[k] = data.Labels[i];
            else data.Targets.AsSpan(i * outSize, outSize).CopyTo(_batchTargets.AsSpan(k * outSize, outSize));
        }
    }

    // Classification accuracy from raw outputs: argmax of logits for softmax cross-entropy, logit > 0
    // (probability > 0.5) against a target ≥ 0.5 for binary cross-entropy; regression has none.
    private (long Correct, long Judged) CountCorrect(ReadOnlySpan<float> outputs, int n, ReadOnlySpan<int> labels, ReadOnlySpan<float> targets)
    {
        int k = Network.OutputSize;
        long correct = 0;
        switch (Network.Loss)
        {
            case Loss.SoftmaxCrossEntropy:
                for (int r = 0; r < n; r++)
                {
                    ReadOnlySpan<float> row = outputs.Slice(r * k, k);
                    int best = 0;
                    for (int c = 1; c < k; c++) if (row[c] > row[best]) best = c;
                    if (best == labels[r]) correct++;
                }
                return (correct, n);
            case Loss.SigmoidBinaryCrossEntropy:
                for (int i = 0; i < n * k; i++)
                    if ((outputs[i] > 0f) == (targets[i] >= 0.5f)) correct++;
                return (correct, (long)n * k);
            default:
                return (0, 0);
        }
    }

    private void CheckMatches(Dataset data, string argument)
    {
        ArgumentNullException.ThrowIfNull(data, argument);
        if (data.FeatureCount != Network.InputSize)
            throw new ArgumentException($"{argument} has {data.FeatureCount} features per sample; the network takes {Network.InputSize}.", argument);
        if (Network.Loss == Loss.SoftmaxCrossEntropy && data.Labels is null)
            throw new ArgumentException($"{argument} has float targets; a network trained with SoftmaxCrossEntropy needs integer class labels (Dataset.Classification).", argument);
        if (Network.Loss != Loss.SoftmaxCrossEntropy && (data.Targets is null || data.TargetCount != Network.OutputSize))
            throw new ArgumentException($"{argument} needs {Network.OutputSize} float targets per sample for {Network.Loss} (Dataset.Regression(..., targetCount: {Network.OutputSize})).", argument);
        if (data.Count == 0)
            throw new ArgumentException($"{argument} is empty.", argument);
    }
}
