using System.Diagnostics;
using StaticNets;

namespace FashionMnist;

/// <summary>The whole job: load, standardize, split, train, evaluate, save. Returns the test accuracy.</summary>
public static class TrainingRun
{
    public const int ValidationSize = 5000;

    private const int EvaluationBatch = 1000;
    private const long WorkspaceBudget = 256L << 20;


    public static double Run(Options options, string dataFolder, TextWriter log, CancellationToken cancellationToken = default) => options.Model switch
    {
        Model.Cnn => Run(options, dataFolder, log, (seed, maxBatch) => new FashionCnn(seed, maxBatch), FashionCnn.Summary, cancellationToken),
        Model.Heads => Run(options, dataFolder, log, (seed, maxBatch) => new FashionMlpHeads(seed, maxBatch), FashionMlpHeads.Summary, cancellationToken),
        _ => Run(options, dataFolder, log, (seed, maxBatch) => new FashionMlp(seed, maxBatch), FashionMlp.Summary, cancellationToken),
    };

    private static double Run<TNetwork>(Options options, string dataFolder, TextWriter log, Func<int, int, TNetwork> create, ModelSummary summary,
        CancellationToken cancellationToken)
        where TNetwork : ITrainableNetwork
    {
        var clock = Stopwatch.StartNew();
        Dataset all = Idx.LoadClassification(DataLocator.PathOf(dataFolder, "train-images-idx3-ubyte"), DataLocator.PathOf(dataFolder, "train-labels-idx1-ubyte"));
        Dataset test = Idx.LoadClassification(DataLocator.PathOf(dataFolder, "t10k-images-idx3-ubyte"), DataLocator.PathOf(dataFolder, "t10k-labels-idx1-ubyte"));
        if (all.FeatureCount != 784 || test.FeatureCount != 784)
            throw new InvalidDataException($"Images in '{dataFolder}' have {all.FeatureCount} pixels; Fashion-MNIST's have 784 (28 × 28).");
        var (train, validation) = all.Split((double)(all.Count - ValidationSize) / all.Count, options.Seed);
        if (options.TrainSize > 0 && options.TrainSize < train.Count)
            (train, _) = train.Split((double)options.TrainSize / train.Count, options.Seed);

        // One channel: a single mean and deviation over all pixels, fitted on the training split only.
        Standardizer standardizer = Standardizer.FitChannels(train.Features, channels: 1, valuesPerChannel: 784);
        train = standardizer.ApplyToFeatures(train);
        validation = standardizer.ApplyToFeatures(validation);
        test = standardizer.ApplyToFeatures(test);
        log.WriteLine($"Fashion-MNIST from {dataFolder}: {train.Count} training, {validation.Count} validation, {test.Count} test images " +
            $"(loaded in {clock.Elapsed.TotalSeconds:F1} s)");
        // Evaluation runs in batches of up to 1,000 images, as many as fit a workspace of WorkspaceBudget (the CNN's
        // training workspace takes over 1 MB per image: 1.2 GB at 1,000), never fewer than a training batch.
        int affordable = (int)Math.Clamp(WorkspaceBudget / (4 * summary.WorkspaceValuesPerSample), 1, EvaluationBatch);
        int maxBatch = Math.Max(options.BatchSize, affordable);
        var net = create(options.Seed, maxBatch);
        log.WriteLine(summary.ToString(maxBatch));
        // Mirrored clothes are still the same clothes. (Shifts by a pixel or two cost this small network accuracy in 18
        // epochs: 0.9294 and 0.9239 against 0.9316 with flips alone.)
        ImageAugmentation? augmentation = options.Augment
            ? new ImageAugmentation(1, 28, 28) { HorizontalFlip = true, FillValue = -standardizer.Mean[0] / standardizer.StandardDeviation[0] }
            : null;
        // The CNN overfits sooner (train accuracy 0.97 against 0.93 held out with plain Adam): decoupled weight decay.
        TrainingHistory Train(TNetwork network, int seed, IReadOnlyList<ITrainingCallback> callbacks, IProgress<TrainingProgress>? progress, Dataset? on = null)
        {
            IOptimizer optimizer = options.Model == Model.Cnn ? new AdamW(1e-3f, weightDecay: 0.05f) : new Adam(1e-3f);
            var trainer = new Trainer<TNetwork>(network, optimizer, options.BatchSize, seed)
            {
                Augmentation = augmentation,
                Threads = options.Threads,
                Schedule = new CosineSchedule(2e-3f, totalEpochs: options.Epochs, warmupEpochs: Math.Min(2, options.Epochs - 1), minimum: 1e-5f),
                Diagnostics = options.Diagnostics ? new TrainingDiagnostics() : null,
            };
            return trainer.Fit(on ?? train, validation, options.Epochs,
                callbacks: [new EarlyStopping(patience: 8, metric: StoppingMetric.Accuracy), .. callbacks], progress: progress, cancellationToken: cancellationToken);
        }
        var progress = new ProgressDisplay(log, Console.IsOutputRedirected || log != Console.Out);
        TrainingHistory history = Train(net, options.Seed,
            [new EpochCallback(progress.EpochEnded), new EpochCallback(e => { if (e.Diagnostics is not null) log.WriteLine(e.Diagnostics); })], progress);
        if (history.RestoredEpoch is int best)
            log.WriteLine($"early stopping: restored the weights of epoch {best}");

        int[,] confusion = Evaluate(net, test, options.Threads);
        double accuracy = Enumerable.Range(0, 10).Sum(c => confusion[c, c]) / (double)test.Count;
        log.WriteLine();
        log.WriteLine($"test accuracy {accuracy:F4} ({test.Count} images), {clock.Elapsed.TotalSeconds:F0} s in all");
        if (options.Model == Model.Cnn)
        {
            // Test-time augmentation: each image and three copies flipped at random, predictions averaged (it helps a
            // network trained with flips; the MLP, which sees pixels at fixed places, only loses by it).
            var copies = new ImageAugmentation(1, 28, 28) { HorizontalFlip = true };
            log.WriteLine($"test accuracy with test-time augmentation (the mean over the image and 3 copies flipped at random) {EvaluateAugmented(net, test, copies, 4, options.Threads):F4}");
        }
        QuantizedNetwork? int8 = null;
        if (options.Model != Model.Heads)
        {
            // Post-training int8 quantization, calibrated on training images (never on the test set; the CNN's float
            // calibration pass is slower per image, and 200 images settle its ranges).
            int calibration = Math.Min(options.Model == Model.Cnn ? 200 : 1000, train.Count);
            int8 = QuantizedNetwork.Quantize(net, train.Features.AsSpan(0, calibration * train.FeatureCount), calibration);
            QuantizationComparison comparison = int8.Compare(net, test);
            log.WriteLine($"int8 (post-training quantization, calibrated on {calibration} training images): test accuracy {comparison.Int8Accuracy:F4} " +
                $"({comparison.AccuracyChangePoints:+0.00;-0.00} points against float32); the same class for {comparison.Agreement:P2} of the test images");
        }
        if (net is IMultiHeadNetwork heads)
        {
            double[] headAccuracies = HeadAccuracies(heads, test);
            log.WriteLine($"the {heads.HeadCount} heads alone: {string.Join(", ", headAccuracies.Select(a => a.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)))} " +
                $"(mean {headAccuracies.Average():F4}); their average {accuracy:F4} ({100 * (accuracy - headAccuracies.Average()):+0.00;-0.00} points)");
        }
        if (options.Ensemble > 1)
        {
            // More members from the next seeds, trained the same way (with --bagging each on a resample of the training
            // images); the ensemble averages their probabilities.
            var members = new List<TNetwork> { net };
            for (int m = 1; m < options.Ensemble; m++)
            {
                TNetwork member = create(options.Seed + m, maxBatch);
                Train(member, options.Seed + m, [], null, options.Bagging ? Ensemble<TNetwork>.Bootstrap(train, options.Seed + m) : null);
                members.Add(member);
            }
            var ensemble = new Ensemble<TNetwork>(members);
            double[] accuracies = ensemble.MemberAccuracies(test);
            double combined = ensemble.Accuracy(test);
            log.WriteLine($"ensemble of {members.Count} (seeds {options.Seed} to {options.Seed + members.Count - 1}): test accuracy {combined:F4}; members " +
                $"{string.Join(", ", accuracies.Select(a => a.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)))} (mean {accuracies.Average():F4}, " +
                $"{100 * (combined - accuracies.Average()):+0.00;-0.00} points), {clock.Elapsed.TotalSeconds:F0} s in all");
        }
        log.WriteLine();
        ConfusionMatrix.Write(log, confusion, FashionMlp.Classes);

        Directory.CreateDirectory(options.OutputFolder);
        string weightsName = Models.WeightsFileName(options.Model);
        WeightsFile.Save(net, Path.Combine(options.OutputFolder, weightsName));
        int8?.Save(Path.Combine(options.OutputFolder, Models.Int8FileName(options.Model)));
        standardizer.Save(Path.Combine(options.OutputFolder, "standardizer.json"));
        history.SaveCsv(Path.Combine(options.OutputFolder, "history.csv"));
        Curves.Save(history, Path.Combine(options.OutputFolder, "curves.png"));
        log.WriteLine();
        log.WriteLine($"saved {weightsName}{(int8 is null ? "" : ", " + Models.Int8FileName(options.Model))}, standardizer.json, history.csv and curves.png in {Path.GetFullPath(options.OutputFolder)}");
        return accuracy;
    }

    /// <summary>Each head's own test accuracy (the argmax of its logits), from batched predictions.</summary>
    public static double[] HeadAccuracies(IMultiHeadNetwork net, Dataset test)
    {
        var correct = new int[net.HeadCount];
        int batch = Math.Min(net.MaxBatchSize, test.Count);
        var outputs = new float[batch * net.OutputSize];
        for (int start = 0; start < test.Count; start += batch)
        {
            int n = Math.Min(batch, test.Count - start);
            net.PredictBatch(test.Features.AsSpan(start * test.FeatureCount, n * test.FeatureCount), outputs.AsSpan(0, n * net.OutputSize), n);
            for (int h = 0; h < net.HeadCount; h++)
            {
                ReadOnlySpan<float> logits = net.HeadOutputs(h);
                for (int r = 0; r < n; r++)
                    if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.Slice(r * net.OutputSize, net.OutputSize)) == test.Labels![start + r]) correct[h]++;
            }
        }
        return correct.Select(c => c / (double)test.Count).ToArray();
    }

    /// <summary>Accuracy of predictions averaged over <paramref name="count"/> augmented copies of each image (Predict is thread-safe).</summary>
    public static double EvaluateAugmented(INetwork net, Dataset test, ImageAugmentation augmentation, int count, int threads)
    {
        var correct = new int[threads];
        int chunk = (test.Count + threads - 1) / threads;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var scratch = new float[net.InputSize + net.OutputSize];
            var probabilities = new float[net.OutputSize];
            for (int i = t * chunk; i < Math.Min(test.Count, (t + 1) * chunk); i++)
            {
                TestTimeAugmentation.Predict(net, test.FeaturesOf(i), probabilities, augmentation, count, (ulong)i, scratch);
                if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(probabilities) == test.Labels![i]) correct[t]++;
            }
        });
        return correct.Sum() / (double)test.Count;
    }

    /// <summary>Confusion matrix [true, predicted] over the test set, split over <paramref name="threads"/> copies of the network.</summary>
    public static int[,] Evaluate(ITrainableNetwork net, Dataset test, int threads)
    {
        var copies = Enumerable.Range(0, threads).Select(t => t == 0 ? net : net.CreateReplica(t)).ToArray();
        var matrices = new int[threads][,];
        int chunk = (test.Count + threads - 1) / threads;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            var m = new int[10, 10];
            int batch = net.MaxBatchSize;
            var probabilities = new float[batch * 10];
            int end = Math.Min(test.Count, (t + 1) * chunk);
            for (int start = t * chunk; start < end; start += batch)
            {
                int n = Math.Min(batch, end - start);
                copies[t].PredictBatch(test.Features.AsSpan(start * 784, n * 784), probabilities.AsSpan(0, n * 10), n);
                for (int r = 0; r < n; r++)
                    m[test.Labels![start + r], System.Numerics.Tensors.TensorPrimitives.IndexOfMax(probabilities.AsSpan(r * 10, 10))]++;
            }
            matrices[t] = m;
        });
        var total = new int[10, 10];
        foreach (int[,] m in matrices)
            for (int i = 0; i < 10; i++)
                for (int j = 0; j < 10; j++)
                    total[i, j] += m[i, j];
        return total;
    }
}
