using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace StaticNets;

/// <summary>
/// Trains a network with mini-batches. Each epoch shuffles the training set (seeded, so a run is
/// reproducible), and for each batch computes the gradient in training mode, adds the regularization
/// penalty, clips, and lets the optimizer update the parameters; the learning rate comes from the
/// schedule before each epoch. Buffers are sized once: a training step allocates nothing.
/// </summary>
public sealed class Trainer<TNetwork> where TNetwork : ITrainableNetwork
{
    private static readonly long ReportInterval = Stopwatch.Frequency / 10;

    private readonly Rng _rng;
    private readonly ArraySegment<float> _batchInputs;
    private readonly int[] _batchLabels;
    private readonly ArraySegment<float> _batchTargets;
    private readonly float[] _goodState;
    private float _clipValue = float.NaN, _clipNorm = float.NaN;
    private readonly int _threads = 1;

    // Data-parallel training during Fit: replica 0 is the network itself.
    private ITrainableNetwork[] _replicas = [];
    private const int MaxThreads = 64;
    private readonly float[] _partLoss = new float[MaxThreads];
    private readonly int[] _partStart = new int[MaxThreads + 1];
    private int _parts;
    // Each range's sum of squared gradients from the parallel reduction (the global norm without another pass),
    // valid in a step whose batch was split (_parts > 1).
    private readonly double[] _rangeSquares = new double[MaxThreads];
    // Whether each range's parallel update left its parameters finite.
    private readonly bool[] _rangeFinite = new bool[MaxThreads];
    // For an optimizer of another kind: the parameters before its step, to undo a step that is not finite.
    private ArraySegment<float> _previous;
    // The batch to gather in the current step: samples order[first ..] of the training set.
    private Dataset? _gatherFrom;
    private int[] _gatherOrder = [];
    private int _gatherFirst;
    private WorkerPool? _pool;
    private readonly int _seed;
    private int _epoch;
    // What the worker pool runs (RunPool sets it): a slice of the batch each (Gradients), then a range of the gradient
    // reduction (Reduce), then a range of the optimizer update (Update).
    private TrainingPhase _phase;

    /// <summary>A trainer for <paramref name="network"/>.</summary>
    /// <param name="network">The network; its parameters are updated in place.</param>
    /// <param name="optimizer">The update rule.</param>
    /// <param name="batchSize">Samples per step, at most the network's MaxBatchSize.</param>
    /// <param name="seed">Fixes the shuffling order.</param>
    public Trainer(TNetwork network, IOptimizer optimizer, int batchSize = 32, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(optimizer);
        if (batchSize < network.MinBatchSize || batchSize > network.MaxBatchSize)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
                $"batchSize must be in [{network.MinBatchSize}, {network.MaxBatchSize}] (the network's MinBatchSize and maxBatchSize); construct the network with a larger maxBatchSize for larger batches.");
        Network = network;
        Optimizer = optimizer;
        BatchSize = batchSize;
        _rng = new Rng(unchecked((ulong)seed) ^ 0x5DEECE66DUL);
        _seed = seed;
        _batchInputs = AlignedArrays.Allocate(batchSize * network.InputSize);
        _batchLabels = network.Loss == Loss.SoftmaxCrossEntropy ? new int[batchSize] : [];
        _batchTargets = AlignedArrays.Allocate(network.Loss == Loss.SoftmaxCrossEntropy ? 0 : batchSize * network.OutputSize);
        _goodState = new float[network.State.Length];
    }

    /// <summary>The network being trained.</summary>
    public TNetwork Network { get; }

    /// <summary>The update rule.</summary>
    public IOptimizer Optimizer { get; }

    /// <summary>Samples per step.</summary>
    public int BatchSize { get; }

    /// <summary>Sets the optimizer's learning rate before each epoch; null keeps it as it is.</summary>
    public ILearningRateSchedule? Schedule { get; init; }

    /// <summary>
    /// Changes each training sample anew every epoch (flips, shifts, noise, ...), in the batch buffer, never in the data
    /// set; null for none. Validation and <see cref="Evaluate"/> see the samples unchanged.
    /// </summary>
    public ImageAugmentation? Augmentation { get; init; }

    /// <summary>A weight penalty added to the loss and gradient; null for none.</summary>
    public Regularization? Regularization { get; init; }

    /// <summary>Clip each gradient element to [−c, c]; NaN (the default) for no clipping.</summary>
    public float ClipValue
    {
        get => _clipValue;
        init => _clipValue = float.IsNaN(value) || value > 0f ? value : throw new ArgumentOutOfRangeException(nameof(ClipValue), value, "ClipValue must be positive (or NaN for none).");
    }

    /// <summary>Scale the gradient to at most this global L2 norm; NaN (the default) for no clipping.</summary>
    public float ClipNorm
    {
        get => _clipNorm;
        init => _clipNorm = float.IsNaN(value) || value > 0f ? value : throw new ArgumentOutOfRangeException(nameof(ClipNorm), value, "ClipNorm must be positive (or NaN for none).");
    }

    /// <summary>
    /// Threads for data-parallel training in <see cref="Fit"/> (default 1): each batch is split into contiguous
    /// slices, one per thread, each computed by a replica of the network; the gradients are averaged (weighted
    /// by slice size) in a fixed order, so a given thread count is reproducible, and BatchNorm's running
    /// statistics are averaged over the replicas. BatchNorm normalizes each slice with its own statistics,
    /// as PyTorch's DistributedDataParallel does, so results differ between thread counts.
    /// </summary>
    public int Threads
    {
        get => _threads;
        init => _threads = value is >= 1 and <= MaxThreads ? value : throw new ArgumentOutOfRangeException(nameof(Threads), value, $"Threads must be from 1 to {MaxThreads}.");
    }

    /// <summary>
    /// Times the phases of every step of <see cref="Fit"/> thread by thread (null, the default: not timed), to see where
    /// a thread waits; see <see cref="TrainingPhases"/>.
    /// </summary>
    public TrainingPhases? Phases { get; init; }

    /// <summary>
    /// Per-layer statistics every few steps (activations, dead and saturated units, gradient norms, update-to-weight
    /// ratios), reported on each epoch's <see cref="EpochResult.Diagnostics"/>; null (the default) for none, at no cost.
    /// </summary>
    public TrainingDiagnostics? Diagnostics { get; init; }

    /// <summary>An exponential moving average of the parameters, updated after every step; null (the default) for none.</summary>
    public ExponentialMovingAverage? WeightAverage { get; init; }

    /// <summary>The global gradient norm before clipping in the last step.</summary>
    public float LastGradientNorm { get; private set; }

    /// <summary>
    /// Trains for up to <paramref name="epochs"/> epochs and returns each epoch's metrics. Training steps run in
    /// training mode; validation runs in inference mode. A last batch smaller than the network's MinBatchSize
    /// (one sample, with BatchNorm) is left out of that epoch. Callbacks run after every epoch and may stop
    /// training; progress is reported at most about ten times a second. If the loss or gradient becomes NaN or
    /// infinite, training stops with an <see cref="InvalidOperationException"/> and the parameters keep the
    /// values of the last good step; cancellation throws <see cref="OperationCanceledException"/> between batches.
    /// </summary>
    public TrainingHistory Fit(Dataset train, Dataset? validation = null, int epochs = 10, IReadOnlyList<ITrainingCallback>? callbacks = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        CheckMatches(train, nameof(train));
        if (train.Count < Network.MinBatchSize)
            throw new ArgumentException($"train has {train.Count} sample(s); the network trains on batches of at least {Network.MinBatchSize}.", nameof(train));
        if (validation is not null) CheckMatches(validation, nameof(validation));
        if (Augmentation is not null && Augmentation.Size != Network.InputSize)
            throw new InvalidOperationException(
                $"Augmentation works on {Augmentation.Channels}×{Augmentation.Height}×{Augmentation.Width} = {Augmentation.Size} values per sample; the network takes {Network.InputSize}.");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);
        callbacks ??= [];

        var order = new int[train.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var history = new TrainingHistory();
        var context = new TrainingContext(Network, history);
        int batches = (train.Count + BatchSize - 1) / BatchSize;
        using WorkerPool? pool = _threads > 1 ? new WorkerPool(_threads, Work) : null;
        _pool = pool;
        _replicas = [Network, .. Enumerable.Range(1, _threads - 1).Select(Network.CreateReplica)];
        Diagnostics?.Begin(Network);
        try
        {
            for (int epoch = 1; epoch <= epochs && !context.StopRequested; epoch++)
            {
                if (Schedule is not null)
                    Optimizer.LearningRate = Schedule.LearningRateFor(epoch - 1, history.Count > 0 ? history[^1] : null);
                long start = Stopwatch.GetTimestamp(), lastReport = start;
                _rng.Shuffle(order.AsSpan());
                _epoch = epoch;
                double lossSum = 0, normSum = 0;
                long correct = 0, judged = 0, trained = 0;
                int steps = 0;
                for (int first = 0; first < order.Length; first += BatchSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int n = Math.Min(BatchSize, order.Length - first);
                    if (n < Network.MinBatchSize)
                        break;
                    (_gatherFrom, _gatherOrder, _gatherFirst) = (train, order, first);
                    long stepStart = Phases is null ? 0 : Stopwatch.GetTimestamp(), timedBefore = Phases?.ParallelTicks ?? 0;
                    KeepState();
                    float loss = Step(ComputeGradients(pool, n), epoch, first / BatchSize + 1, Diagnostics?.Samples(steps + 1) == true);
                    lossSum += (double)loss * n;
                    normSum += LastGradientNorm;
                    trained += n;
                    steps++;
                    for (int part = 0; part < _parts; part++)
                    {
                        int from = _partStart[part], size = _partStart[part + 1] - from;
                        (long c, long j) = CountCorrect(_replicas[part].BatchOutputs, size,
                            _batchLabels.AsSpan(Math.Min(from, _batchLabels.Length)), _batchTargets.AsSpan(Math.Min(from * Network.OutputSize, _batchTargets.Count)));
                        correct += c;
                        judged += j;
                    }
                    if (Phases is not null)
                    {
                        // The rest of the step's wall time is the calling thread's own work.
                        long serial = Stopwatch.GetTimestamp() - stepStart - (Phases.ParallelTicks - timedBefore);
                        Phases.AddAlone(TrainingPhase.Serial, serial);
                        Phases.EndStep(_parts);
                    }
                    long now = Stopwatch.GetTimestamp();
                    if (progress is not null && now - lastReport >= ReportInterval)
                    {
                        lastReport = now;
                        progress.Report(new TrainingProgress(epoch, epochs, steps, batches, lossSum / trained, trained / Stopwatch.GetElapsedTime(start).TotalSeconds));
                    }
                }
                double trainSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                progress?.Report(new TrainingProgress(epoch, epochs, steps, batches, lossSum / trained, trained / trainSeconds));
                Evaluation? valid = validation is null ? null : Evaluate(validation);
                history.Add(new EpochResult(epoch, Optimizer.LearningRate, lossSum / trained, judged > 0 ? (double)correct / judged : null,
                    valid?.Loss, valid?.Accuracy, normSum / steps, Stopwatch.GetElapsedTime(start).TotalSeconds) { Diagnostics = Diagnostics?.EndEpoch(epoch, Network) });
                foreach (ITrainingCallback callback in callbacks) callback.OnEpochEnd(context);
            }
            history.StoppedEarly = context.StopRequested;
        }
        finally
        {
            (_pool, _gatherFrom) = (null, null);
            if (history.Count > 0)
                foreach (ITrainingCallback callback in callbacks) callback.OnTrainingEnd(context);
        }
        return history;
    }

    /// <summary>
    /// One optimizer step on a batch already in the network's input layout: gradients, penalty, clipping,
    /// update, on the calling thread. Returns the batch's mean loss (with the penalty). Allocates nothing.
    /// </summary>
    public float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, int batchSize)
    {
        _parts = 1;
        KeepState();
        return Step(Network.ComputeGradients(inputs, labels, batchSize), 0, 0);
    }

    /// <inheritdoc cref="TrainStep(ReadOnlySpan{float}, ReadOnlySpan{int}, int)"/>
    public float TrainStep(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize)
    {
        _parts = 1;
        KeepState();
        return Step(Network.ComputeGradients(inputs, targets, batchSize), 0, 0);
    }

    /// <summary>
    /// Gradients of the step's batch (each part gathers its own rows) into the network's gradient block: on this
    /// thread, or split over the replicas and reduced in a fixed order (slice 0 first).
    /// </summary>
    private float ComputeGradients(WorkerPool? pool, int n)
    {
        _parts = pool is null ? 1 : Math.Min(pool.Parts, n / Network.MinBatchSize);
        for (int part = 0; part <= _parts; part++) _partStart[part] = Boundary(n, part);
        if (_parts == 1)
        {
            long start = Phases is null ? 0 : Stopwatch.GetTimestamp();
            ComputePart(0);
            Phases?.AddAlone(TrainingPhase.Gradients, Stopwatch.GetTimestamp() - start);
            return _partLoss[0];
        }
        // Replicas start from the network's state (small, copied here) and read its parameters. The write scopes here end
        // before the pool runs: a worker's own scope must never wait on one this thread holds while it waits for the workers.
        using (Network.BeginWrite())
            for (int part = 1; part < _parts; part++) Network.State.CopyTo(_replicas[part].State);
        RunPool(TrainingPhase.Gradients);
        RunPool(TrainingPhase.Reduce);
        double loss = 0;
        for (int part = 0; part < _parts; part++)
            loss += (double)_partLoss[part] * PartWeight(part, n);
        if (_goodState.Length > 0)
        {
            // Each replica moved the running statistics toward its slice's: average them.
            using ParameterWrite write = Network.BeginWrite();
            Span<float> state = Network.State;
            for (int part = 1; part < _parts; part++) TensorPrimitives.Add(state, _replicas[part].State, state);
            TensorPrimitives.Multiply(state, 1f / _parts, state);
        }
        return (float)loss;
    }

    private void Work(int part)
    {
        if (part >= _parts) return;
        long start = Phases is null ? 0 : Stopwatch.GetTimestamp();
        switch (_phase)
        {
            case TrainingPhase.Gradients: ComputePart(part); break;
            case TrainingPhase.Reduce: ReducePart(part); break;
            default: UpdatePart(part); break;
        }
        Phases?.AddBusy(_phase, part, Stopwatch.GetTimestamp() - start);
    }

    // Runs `phase` on the pool and adds its wall time.
    private void RunPool(TrainingPhase phase)
    {
        _phase = phase;
        long start = Phases is null ? 0 : Stopwatch.GetTimestamp();
        _pool!.Run();
        Phases?.AddWall(phase, Stopwatch.GetTimestamp() - start);
    }

    // Where part `part` of `length` items split into _parts near-equal runs begins (the batch's rows, the parameters).
    private int Boundary(int length, int part) => (int)((long)length * part / _parts);

    // One of _parts near-equal ranges of the parameter block, starting on a 64-byte line (16 floats from the block's
    // aligned start), so two threads never write one line.
    private (int Start, int End) Range(int part)
    {
        int length = Network.Gradients.Length;
        int LineStart(int p) => p == _parts ? length : Boundary(length, p) / 16 * 16;
        return (LineStart(part), LineStart(part + 1));
    }

    // The update of range `part`, the range this thread summed in the reduction: its gradients are in this core's cache,
    // and so are the optimizer's moments and kept values, which only this thread touches (ranges by thread count, so
    // the same from step to step). The update is elementwise, so who updates a value does not change a bit.
    private void UpdatePart(int part)
    {
        (int start, int end) = Range(part);
        ClaimLines(Network.Parameters[start..end]);
        _rangeFinite[part] = ((Optimizer)Optimizer).UpdateRange(Network.Parameters, Network.Gradients, Network.ParameterTensors, start, end);
    }

    // Takes the cache lines of `values` into this core's cache for writing, before the update writes them. Every replica
    // read every parameter in the gradients phase, so each line is also in the other cores' caches, and the update's
    // first write to a line waits for the other copies to be invalidated. Inside the update's loop, bound by its division
    // and square root, those waits come one after another; written back here in a tight loop (one store per 64-byte
    // line, the value it holds, so nothing changes) they overlap (benchmarks/README.md has the phase times). Nothing else
    // reads or writes the parameters during the update phase.
    private static void ClaimLines(Span<float> values)
    {
        Span<int> bits = MemoryMarshal.Cast<float, int>(values);
        ref int first = ref MemoryMarshal.GetReference(bits);
        for (int i = 0; i < bits.Length; i += 16)
            Volatile.Write(ref Unsafe.Add(ref first, i), Unsafe.Add(ref first, i));
    }

    // The global norm from the reduction's per-range sums, added in range order (so a thread count stays reproducible).
    private float ReducedNorm()
    {
        double sum = 0;
        for (int range = 0; range < _parts; range++) sum += _rangeSquares[range];
        return (float)Math.Sqrt(sum);
    }

    private float PartWeight(int part, int n) => (float)(_partStart[part + 1] - _partStart[part]) / n;

    // The weighted sum of the replicas' gradients over one range of the gradient block, slice 0 first: each thread
    // owns a range, and every element is summed in the same order as on one thread.
    private void ReducePart(int range)
    {
        int n = _partStart[_parts];
        (int start, int end) = Range(range);
        // Block by block, so the passes over each block after the first find it in L1: on the whole range every
        // pass streamed it again, and the reduction took as long as the optimizer update.
        const int Block = 2048;
        double squares = 0;
        for (int from = start; from < end; from += Block)
        {
            int to = Math.Min(end, from + Block);
            Span<float> gradients = Network.Gradients[from..to];
            TensorPrimitives.Multiply(gradients, PartWeight(0, n), gradients);
            for (int part = 1; part < _parts; part++)
                TensorPrimitives.MultiplyAdd(_replicas[part].Gradients[from..to], PartWeight(part, n), gradients, gradients);
            squares += GradientClipping.SumOfSquares(gradients);
        }
        _rangeSquares[range] = squares;
    }

    private void ComputePart(int part)
    {
        // Generated replicas read the network's own parameter block; any other replica gets a copy.
        if (part > 0 && !Network.Parameters.Overlaps(_replicas[part].Parameters)) Network.Parameters.CopyTo(_replicas[part].Parameters);
        int start = _partStart[part], size = _partStart[part + 1] - start;
        Gather(_gatherFrom!, _gatherOrder.AsSpan(_gatherFirst + start, size), start);
        ITrainableNetwork replica = _replicas[part];
        ReadOnlySpan<float> x = _batchInputs.AsSpan(start * Network.InputSize, size * Network.InputSize);
        _partLoss[part] = Network.Loss == Loss.SoftmaxCrossEntropy
            ? replica.ComputeGradients(x, _batchLabels.AsSpan(start, size), size)
            : replica.ComputeGradients(x, _batchTargets.AsSpan(start * Network.OutputSize, size * Network.OutputSize), size);
    }

    // The forward pass of a step updates running statistics; a step that diverges must not keep them.
    private void KeepState()
    {
        if (_goodState.Length > 0) Network.State.CopyTo(_goodState);
    }

    /// <summary>Mean loss and accuracy over a whole data set, in inference mode, in chunks of MaxBatchSize.</summary>
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
            ReadOnlySpan<int> labels = default;
            ReadOnlySpan<float> targets = default;
            float loss;
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

    private float Step(float loss, int epoch, int batch, bool sample = false)
    {
        Span<float> gradients = Network.Gradients;
        if (sample) Diagnostics!.BeforeUpdate(Network);
        if (Regularization is not null)
            loss += Regularization.Apply(Network.Parameters, gradients, Network.ParameterTensors);
        float norm = Regularization is null && _parts > 1 ? ReducedNorm() : GradientClipping.Norm(gradients);
        string where = epoch > 0 ? $" at epoch {epoch}, batch {batch}" : "";
        if (!float.IsFinite(loss) || !float.IsFinite(norm))
        {
            RestoreState();
            string what = float.IsFinite(loss) ? $"The gradient norm became {norm}" : $"The loss became {loss}";
            throw new InvalidOperationException(
                $"{what}{where}; training stopped and the parameters keep the values of the last good step. Lower the learning rate, clip gradients (ClipNorm), or check the data for extreme values.");
        }
        bool clipValue = !float.IsNaN(ClipValue);
        if (clipValue) GradientClipping.Clamp(gradients, ClipValue);
        // The norm is recomputed only if clipping by value changed the gradient.
        if (!float.IsNaN(ClipNorm)) GradientClipping.Rescale(gradients, ClipNorm, clipValue ? GradientClipping.Norm(gradients) : norm);
        LastGradientNorm = norm;
        string? overflow;
        using (Network.BeginWrite()) // the workers of a parallel update write under this thread's scope and take none of their own
            overflow = Update(gradients);
        if (overflow is not null)
        {
            RestoreState();
            throw new InvalidOperationException(
                $"The update{where} would have set {overflow}; training stopped and the parameters keep the values of the last finite step. Lower the learning rate or clip gradients (ClipNorm).");
        }
        if (sample) Diagnostics!.AfterUpdate(Network);
        WeightAverage?.Update(Network.Parameters);
        return loss;
    }

    // The optimizer's step on the network's parameters. A step that would leave a parameter NaN or infinite is undone
    // exactly; the first such parameter is returned (null when the step is finite).
    private string? Update(Span<float> gradients)
    {
        Span<float> parameters = Network.Parameters;
        ReadOnlySpan<ParameterTensor> layout = Network.ParameterTensors;
        bool finite;
        if (Optimizer is Optimizer optimizer)
        {
            optimizer.BeginStep(parameters, gradients, layout);
            if (_parts > 1 && optimizer.UpdatesElementwise)
            {
                // Elementwise optimizers update ranges of the parameters in parallel, with the same result.
                RunPool(TrainingPhase.Update);
                finite = !_rangeFinite.AsSpan(0, _parts).Contains(false);
            }
            else
            {
                long start = Phases is null ? 0 : Stopwatch.GetTimestamp();
                finite = optimizer.UpdateRange(parameters, gradients, layout, 0, parameters.Length);
                Phases?.AddAlone(TrainingPhase.Update, Stopwatch.GetTimestamp() - start);
            }
            if (finite) return null;
            string? overflow = WeightsFile.FirstNonFinite(parameters, layout);
            optimizer.Undo(parameters);
            return overflow ?? "a parameter NaN or infinite";
        }
        if (_previous.Count != parameters.Length) _previous = AlignedArrays.Allocate(parameters.Length);
        parameters.CopyTo(_previous);
        Optimizer.Step(parameters, gradients, layout);
        finite = Guard.AllFinite(parameters);
        if (finite) return null;
        string? first = WeightsFile.FirstNonFinite(parameters, layout);
        _previous.AsSpan().CopyTo(parameters);
        return first ?? "a parameter NaN or infinite";
    }

    // The forward pass of a diverging step moved the running statistics; put back those of the last good step.
    private void RestoreState()
    {
        if (_goodState.Length > 0)
            using (Network.BeginWrite()) _goodState.CopyTo(Network.State);
    }

    // Copies samples indices[0..] to rows first.. of the batch buffers (each part gathers its own rows).
    private void Gather(Dataset data, ReadOnlySpan<int> indices, int first)
    {
        int inSize = Network.InputSize, outSize = Network.OutputSize;
        for (int row = 0; row < indices.Length; row++)
        {
            int i = indices[row], k = first + row;
            Span<float> features = _batchInputs.AsSpan(k * inSize, inSize);
            data.FeaturesOf(i).CopyTo(features);
            Augmentation?.Apply(features, ImageAugmentation.SeedFor(_seed, _epoch, i));
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
                    if (TensorPrimitives.IndexOfMax(outputs.Slice(r * k, k)) == labels[r]) correct++;
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
        // Every label before the first step: one out of range would otherwise stop training after earlier batches
        // had changed the parameters, and name a row of a shuffled batch instead of the sample.
        if (data.Labels is { } labels && labels.AsSpan().IndexOfAnyExceptInRange(0, Network.OutputSize - 1) is int bad and >= 0)
            throw new ArgumentOutOfRangeException(argument,
                $"{argument} has label {labels[bad]} at sample {bad}; the network has {Network.OutputSize} outputs, so labels must be in [0, {Network.OutputSize - 1}].");
    }
}
