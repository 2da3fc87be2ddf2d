using Xunit.Abstractions;

namespace StaticNets.Tests;

public class TrainerLoopTests(ITestOutputHelper output)
{
    private static (Dataset Train, Dataset Validation) Spirals()
    {
        var (train, validation, _) = SyntheticData.Spirals(2, 150, seed: 4).Split(0.6, 0.2, seed: 1);
        return (train, validation);
    }

    [Fact]
    public void Early_stopping_restores_the_best_epochs_weights_exactly()
    {
        var (train, validation) = Spirals();
        var net = new SpiralThreeLayerNet(seed: 2, maxBatchSize: 16);
        var snapshots = new Dictionary<int, float[]>();
        var record = new EpochCallback(e => snapshots[e.Epoch] = net.Parameters.ToArray());
        var stopping = new EarlyStopping(patience: 5);
        // 90 noisy training points: Adam fits them, then overfits, and the validation loss turns up.
        var trainer = new Trainer<SpiralThreeLayerNet>(net, new Adam(0.03f), batchSize: 16, seed: 3);
        TrainingHistory history = trainer.Fit(train, validation, epochs: 300, callbacks: [record, stopping]);

        int best = history.MinBy(e => e.ValidationLoss!.Value).Epoch;
        output.WriteLine($"stopped after {history.Count} epochs; best validation loss at epoch {best}; restored {history.RestoredEpoch}");
        output.WriteLine(string.Join(" ", history.Select(h => $"{h.ValidationLoss:F3}/{h.TrainLoss:F3}")));
        Assert.True(history.StoppedEarly);
        Assert.Equal(best, stopping.BestEpoch);
        Assert.Equal(best, history.RestoredEpoch);
        Assert.Equal(snapshots[best], net.Parameters.ToArray());
        Assert.Equal(history.Count, best + 5);
        Assert.True(best > 5, "the run should improve for a while before it stalls");
    }

    [Fact]
    public void Early_stopping_on_accuracy_restores_the_most_accurate_epoch()
    {
        var (train, validation) = Spirals();
        var net = new SpiralThreeLayerNet(seed: 2, maxBatchSize: 16);
        var snapshots = new Dictionary<int, float[]>();
        var stopping = new EarlyStopping(patience: 4, metric: StoppingMetric.Accuracy);
        TrainingHistory history = new Trainer<SpiralThreeLayerNet>(net, new Adam(0.03f), batchSize: 16, seed: 3)
            .Fit(train, validation, epochs: 40, callbacks: [new EpochCallback(e => snapshots[e.Epoch] = net.Parameters.ToArray()), stopping]);
        // The first epoch reaching the highest validation accuracy (later ties are not improvements).
        double bestAccuracy = history.Max(e => e.ValidationAccuracy!.Value);
        int best = history.First(e => e.ValidationAccuracy == bestAccuracy).Epoch;
        Assert.Equal(best, stopping.BestEpoch);
        Assert.Equal(snapshots[best], net.Parameters.ToArray());

        var regression = new LinearNetTwo(seed: 1, maxBatchSize: 2);
        Assert.Throws<InvalidOperationException>(() => new Trainer<LinearNetTwo>(regression, new Sgd(0.01f), batchSize: 2)
            .Fit(Dataset.Regression([0, 1, 1, 0], 2, [1f, 2f]), epochs: 2, callbacks: [new EarlyStopping(metric: StoppingMetric.Accuracy)]));
    }

    [Fact]
    public void Two_threads_compute_the_same_steps_as_one()
    {
        // Without BatchNorm or dropout, the size-weighted mean of the slices' mean gradients is the batch's
        // mean gradient: two threads must follow one thread's trajectory up to float rounding.
        var (train, validation) = Spirals();
        (float[] Parameters, double[] Norms) Train(int threads)
        {
            var net = new SpiralThreeLayerNet(seed: 2, maxBatchSize: 32);
            var history = new Trainer<SpiralThreeLayerNet>(net, new Sgd(0.1f), batchSize: 32, seed: 3) { Threads = threads }.Fit(train, validation, epochs: 2);
            return (net.Parameters.ToArray(), history.Select(e => e.GradientNorm).ToArray());
        }
        var (one, oneNorms) = Train(1);
        var (two, twoNorms) = Train(2);
        double worst = one.Zip(two, (a, b) => Math.Abs(a - b) / Math.Max(1e-3, Math.Abs(a))).Max();
        output.WriteLine($"largest relative difference after 2 epochs, 1 vs 2 threads: {worst:E2}");
        Assert.True(worst < 1e-4, $"two threads diverged from one: {worst:E2}");
        // Two threads take the norm from the reduction's per-range sums; it is the same norm.
        for (int e = 0; e < oneNorms.Length; e++)
            Assert.True(Math.Abs(oneNorms[e] - twoNorms[e]) <= 1e-4 * oneNorms[e], $"epoch {e + 1}: mean gradient norm {twoNorms[e]} on two threads, {oneNorms[e]} on one");
        Assert.Equal(two, Train(2).Parameters); // a given thread count is reproducible to the bit
        // Three threads split the parameters at 64-byte lines into unequal ranges (reduction and update): every value
        // must still be reduced and updated once.
        var (three, _) = Train(3);
        double worstThree = one.Zip(three, (a, b) => Math.Abs(a - b) / Math.Max(1e-3, Math.Abs(a))).Max();
        Assert.True(worstThree < 1e-4, $"three threads diverged from one: {worstThree:E2}");
    }

    [Fact]
    public void Replicas_read_the_networks_parameters_and_predict_with_their_current_values()
    {
        var net = new MnistMlp(seed: 1, maxBatchSize: 4);
        var replica = net.CreateReplica(1);
        Assert.True(replica.Parameters.Overlaps(net.Parameters)); // shared, not copied
        Assert.False(replica.Gradients.Overlaps(net.Gradients));
        float[] x = TestData.Normal(784, new Rng(2)), fromNet = new float[10], fromReplica = new float[10];
        replica.Predict(x, fromReplica);
        net.Dense1Bias.Fill(0.5f); // written through the network, unseen by the replica's inference copy
        net.Predict(x, fromNet);
        replica.Predict(x, fromReplica);
        Assert.Equal(fromNet, fromReplica);
    }

    [Fact]
    public void BatchNorm_and_dropout_networks_train_on_two_threads()
    {
        // BatchNorm sees 16-sample slices instead of 32, so results differ from one thread, but training must
        // work as well: compare with the same run on one thread.
        var (train, validation) = Spirals();
        (TrainingHistory History, SpiralBatchNormNet Net) Train(int threads)
        {
            var net = new SpiralBatchNormNet(seed: 1, maxBatchSize: 32);
            return (new Trainer<SpiralBatchNormNet>(net, new Adam(0.01f), batchSize: 32, seed: 2) { Threads = threads }.Fit(train, validation, epochs: 30), net);
        }
        var (one, _) = Train(1);
        var (two, net) = Train(2);
        output.WriteLine($"after 30 epochs: 1 thread loss {one[^1].TrainLoss:F4}, validation accuracy {one[^1].ValidationAccuracy:P1}; " +
            $"2 threads loss {two[^1].TrainLoss:F4}, validation accuracy {two[^1].ValidationAccuracy:P1} (first epoch loss {two[0].TrainLoss:F4})");
        Assert.True(two[^1].TrainLoss < two[0].TrainLoss / 2, "two threads did not train");
        Assert.True(two[^1].ValidationAccuracy >= one[^1].ValidationAccuracy - 0.05, "two threads trained markedly worse than one");
        Assert.True(net.BatchNorm1RunningVariance.ToArray().All(v => float.IsFinite(v) && v > 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer<SpiralBatchNormNet>(net, new Sgd(), batchSize: 32) { Threads = 0 });
    }

    [Fact]
    public void Checkpoints_hold_the_best_epochs_weights()
    {
        var (train, validation) = Spirals();
        var net = new SpiralThreeLayerNet(seed: 2, maxBatchSize: 16);
        string path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "best.snw");
        var snapshots = new Dictionary<int, float[]>();
        TrainingHistory history = new Trainer<SpiralThreeLayerNet>(net, new Adam(0.03f), batchSize: 16, seed: 3)
            .Fit(train, validation, epochs: 15, callbacks: [new Checkpoint(path, bestOnly: true), new EpochCallback(e => snapshots[e.Epoch] = net.Parameters.ToArray())]);
        int best = history.MinBy(e => e.ValidationLoss!.Value).Epoch;
        var restored = new SpiralThreeLayerNet();
        WeightsFile.Load(restored, path);
        Assert.Equal(snapshots[best], restored.Parameters.ToArray());
        Directory.Delete(Path.GetDirectoryName(path)!, true);
    }

    [Fact]
    public void History_is_written_as_csv_and_json()
    {
        var (train, validation) = Spirals();
        var net = new SpiralThreeLayerNet(seed: 2, maxBatchSize: 16);
        var trainer = new Trainer<SpiralThreeLayerNet>(net, new Adam(0.01f), batchSize: 16)
        {
            Schedule = new StepSchedule(0.01f, everyEpochs: 2),
        };
        TrainingHistory history = trainer.Fit(train, validation, epochs: 3);
        string[] csv = history.ToCsv().TrimEnd().Split('\n');
        Assert.Equal("epoch,learning_rate,train_loss,train_accuracy,validation_loss,validation_accuracy,gradient_norm,seconds", csv[0]);
        Assert.Equal(4, csv.Length);
        string[] third = csv[3].Split(',');
        Assert.Equal("3", third[0]);
        Assert.Equal(0.001, double.Parse(third[1], System.Globalization.CultureInfo.InvariantCulture), 9);
        using var json = System.Text.Json.JsonDocument.Parse(history.ToJson());
        Assert.Equal(3, json.RootElement.GetArrayLength());
        Assert.Equal(history[1].ValidationAccuracy!.Value, json.RootElement[1].GetProperty("validationAccuracy").GetDouble());
        Assert.Equal(0.001f, history[2].LearningRate, 6);

        string folder = Directory.CreateTempSubdirectory().FullName;
        history.SaveCsv(Path.Combine(folder, "h.csv"));
        history.SaveJson(Path.Combine(folder, "h.json"));
        Assert.Equal(history.ToCsv(), File.ReadAllText(Path.Combine(folder, "h.csv")));
        Directory.Delete(folder, true);
        output.WriteLine(history.ToCsv());
    }

    [Fact]
    public void Progress_reports_epochs_batches_loss_and_throughput()
    {
        var (train, _) = Spirals();
        var net = new SpiralThreeLayerNet(seed: 2, maxBatchSize: 16);
        var reports = new List<TrainingProgress>();
        new Trainer<SpiralThreeLayerNet>(net, new Sgd(0.1f), batchSize: 16).Fit(train, epochs: 2, progress: new SynchronousProgress(reports.Add));
        Assert.Contains(reports, r => r.Epoch == 2 && r.Batch == r.Batches && r.Batches == (train.Count + 15) / 16);
        Assert.All(reports, r => Assert.True(r.SamplesPerSecond > 0 && double.IsFinite(r.Loss)));
    }

    [Fact]
    public void Cancellation_stops_between_batches()
    {
        var (train, _) = Spirals();
        var net = new SpiralThreeLayerNet(seed: 2, maxBatchSize: 16);
        using var cancel = new CancellationTokenSource();
        var stopAfterFirst = new EpochCallback(_ => cancel.Cancel());
        Assert.ThrowsAny<OperationCanceledException>(() =>
            new Trainer<SpiralThreeLayerNet>(net, new Sgd(0.1f), batchSize: 16).Fit(train, epochs: 5, callbacks: [stopAfterFirst], cancellationToken: cancel.Token));
    }

    [Fact]
    public void A_diverging_loss_stops_training_and_keeps_the_last_good_weights()
    {
        var data = Dataset.Regression([1e18f, 1e18f, 1f, 1f], 2, [1f, 1f]);
        var net = new LinearNetTwo(seed: 1, maxBatchSize: 1);
        var good = new List<float[]>();
        var e = Assert.Throws<InvalidOperationException>(() => new Trainer<LinearNetTwo>(net, new Sgd(1f), batchSize: 1)
            .Fit(data, epochs: 5, callbacks: [new EpochCallback(_ => good.Add(net.Parameters.ToArray()))]));
        Assert.Contains("training stopped and the parameters keep the values of the last good step", e.Message);
        Assert.All(net.Parameters.ToArray(), p => Assert.True(float.IsFinite(p)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void An_overflowing_update_stops_training_and_keeps_the_last_finite_parameters(int threads)
    {
        // Sgd(3e38) and gradients above 1: an update overflows some parameters while the loss of its own batch looks
        // fine. One batch per epoch, so the epoch callback sees the parameters after every good step; when Fit stops
        // they must be those of the last one, every value finite.
        var data = Dataset.Regression(TestData.Normal(16 * NoBiasNet.InputSize, new Rng(5)), NoBiasNet.InputSize,
            TestData.Normal(16 * NoBiasNet.OutputSize, new Rng(6), std: 50), NoBiasNet.OutputSize);
        var net = new NoBiasNet(seed: 1, maxBatchSize: 16);
        var after = new List<float[]> { net.Parameters.ToArray() };
        var trainer = new Trainer<NoBiasNet>(net, new Sgd(3e38f), batchSize: 16) { Threads = threads };
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Fit(data, epochs: 20, callbacks: [new EpochCallback(_ => after.Add(net.Parameters.ToArray()))]));
        output.WriteLine(e.Message);
        Assert.Contains("would have set", e.Message);
        Assert.Equal(Checksum(after[^1]), Checksum(net.Parameters.ToArray()));
        Assert.All(net.Parameters.ToArray(), p => Assert.True(float.IsFinite(p)));

        // One step at a time: the refused step changes nothing at all.
        net = new NoBiasNet(seed: 1, maxBatchSize: 16);
        trainer = new Trainer<NoBiasNet>(net, new Sgd(3e38f), batchSize: 16);
        float[] before = net.Parameters.ToArray();
        Assert.Throws<InvalidOperationException>(() => trainer.TrainStep(data.Features, data.Targets, 16));
        Assert.Equal(before, net.Parameters.ToArray());
    }

    [Fact]
    public void A_label_out_of_range_is_refused_before_training_changes_anything()
    {
        Assert.Contains("labels[2] is -3", Assert.Throws<ArgumentOutOfRangeException>(() =>
            Dataset.Classification(new float[4 * 2], 2, [0, 1, -3, 1])).Message);

        int[] labels = TestData.Labels(200, CrossEntropyNet.OutputSize, new Rng(2));
        labels[137] = int.MaxValue;
        var data = Dataset.Classification(TestData.Normal(200 * CrossEntropyNet.InputSize, new Rng(1)), CrossEntropyNet.InputSize, labels);
        var net = new CrossEntropyNet(seed: 1, maxBatchSize: 16);
        float[] before = net.Parameters.ToArray();
        var trainer = new Trainer<CrossEntropyNet>(net, new Adam(), batchSize: 16);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(data, epochs: 1));
        Assert.Contains($"label {int.MaxValue} at sample 137", e.Message);
        Assert.Equal(before, net.Parameters.ToArray());
        Assert.Contains("sample 137", Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Evaluate(data)).Message);
        var good = Dataset.Classification(data.Features, CrossEntropyNet.InputSize, TestData.Labels(200, CrossEntropyNet.OutputSize, new Rng(3)));
        Assert.Contains("validation", Assert.Throws<ArgumentOutOfRangeException>(() => trainer.Fit(good, data, epochs: 1)).Message);
        Assert.Equal(before, net.Parameters.ToArray());
    }

    private static uint Checksum(float[] values) => System.IO.Hashing.Crc32.HashToUInt32(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));

    [Fact]
    public void A_training_step_with_Adam_clipping_and_L2_allocates_nothing()
    {
        var net = new MnistBatchNormMlp(seed: 1, maxBatchSize: 32);
        var trainer = new Trainer<MnistBatchNormMlp>(net, new Adam(1e-3f), batchSize: 32)
        {
            Regularization = Regularization.ElasticNet(1e-5f, 1e-4f),
            ClipNorm = 1f,
            ClipValue = 0.5f,
        };
        float[] x = TestData.Normal(32 * MnistBatchNormMlp.InputSize, new Rng(1));
        int[] labels = TestData.Labels(32, MnistBatchNormMlp.OutputSize, new Rng(2));
        long bytes = Allocations.Measure(() => trainer.TrainStep(x, labels, 32), repetitions: 10);
        output.WriteLine($"allocated in 10 training steps (Adam, clipping, elastic net, BatchNorm, dropout): {bytes} bytes");
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void Clipping_bounds_the_applied_update()
    {
        var net = new LinearNetTwo(seed: 1, maxBatchSize: 1);
        var trainer = new Trainer<LinearNetTwo>(net, new Sgd(1f), batchSize: 1) { ClipNorm = 0.5f };
        float[] before = net.Parameters.ToArray();
        trainer.TrainStep([100f, 100f], [-100f], 1);
        float[] after = net.Parameters.ToArray();
        double moved = Math.Sqrt(before.Zip(after, (a, b) => (double)(a - b) * (a - b)).Sum());
        Assert.Equal(0.5, moved, 4); // lr 1 × a gradient clipped to norm 0.5
        Assert.True(trainer.LastGradientNorm > 1000f); // the pre-clip norm is what gets reported
    }

    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}

public class DataTests
{
    [Fact]
    public void Standardizer_fits_on_training_data_and_applies_unchanged_elsewhere()
    {
        var train = Dataset.Regression([1, 10, 3, 10, 5, 10], 2, [0f, 0f, 0f]);
        var s = Standardizer.FitFeatures(train);
        Assert.Equal([3f, 10f], s.Mean);
        Assert.Equal(Math.Sqrt(8.0 / 3), s.StandardDeviation[0], 6);
        Assert.Equal(0f, s.StandardDeviation[1]);
        var test = Dataset.Regression([3, 12], 2, [0f]);
        Dataset standardized = s.ApplyToFeatures(test);
        Assert.Equal([0f, 2f], standardized.Features); // centered; a constant training feature is only centered
        var roundTrip = new float[2];
        s.Inverse(standardized.Features, roundTrip);
        Assert.Equal([3f, 12f], roundTrip);
        Assert.Throws<ArgumentException>(() => s.Transform(new float[3], new float[3]));
    }

    [Fact]
    public void Target_standardization_inverts_predictions()
    {
        var train = Dataset.Regression([0, 1, 2], 1, [100f, 200f, 300f]);
        var targets = Standardizer.FitTargets(train);
        Dataset standardized = targets.ApplyToTargets(train);
        Assert.Equal(0.0, standardized.Targets!.Average(), 6);
        var prediction = new float[] { standardized.Targets![2] };
        targets.Inverse(prediction, prediction);
        Assert.Equal(300f, prediction[0], 3);
    }

    [Fact]
    public void Per_channel_standardization_shares_statistics_within_a_channel()
    {
        // Two samples of two channels × two pixels: channel 0 holds 0, 2, 4, 6; channel 1 holds 10 everywhere.
        float[] images = [0, 2, 10, 10, 4, 6, 10, 10];
        var s = Standardizer.FitChannels(images, channels: 2, valuesPerChannel: 2);
        Assert.Equal([3f, 3f, 10f, 10f], s.Mean);
        Assert.Equal(Math.Sqrt(5), s.StandardDeviation[0], 6);
        Assert.Equal(Math.Sqrt(5), s.StandardDeviation[1], 6);
    }

    [Fact]
    public void Mean_image_subtraction_removes_each_values_mean_and_scales_nothing()
    {
        float[] images = [0, 2, 10, 10, 4, 6, 10, 12];
        var s = Standardizer.FitMeanImage(images, width: 4);
        Assert.Equal([2f, 4f, 10f, 11f], s.Mean);
        Assert.Equal([1f, 1f, 1f, 1f], s.StandardDeviation);
        var centred = new float[4];
        s.Transform(images.AsSpan(0, 4), centred);
        Assert.Equal([-2f, -2f, 0f, -1f], centred);
    }

    [Fact]
    public void Standardizer_saves_and_loads()
    {
        var s = Standardizer.Fit([1f, 2f, 3f, 5f], 2);
        string path = Path.GetTempFileName();
        s.Save(path);
        var loaded = Standardizer.Load(path);
        Assert.Equal(s.Mean, loaded.Mean);
        Assert.Equal(s.StandardDeviation, loaded.StandardDeviation);
        File.WriteAllText(path, "{\"mean\": [1]}");
        Assert.Throws<InvalidDataException>(() => Standardizer.Load(path));
        File.Delete(path);
    }

    [Fact]
    public void Split_is_seeded_disjoint_and_sized_60_20_20()
    {
        var data = Dataset.Classification(Enumerable.Range(0, 100).Select(i => (float)i).ToArray(), 1, new int[100]);
        var (train, validation, test) = data.Split(0.6, 0.2, seed: 7);
        Assert.Equal((60, 20, 20), (train.Count, validation.Count, test.Count));
        var all = train.Features.Concat(validation.Features).Concat(test.Features).ToList();
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (float)i), all.Order());
        Assert.Equal(train.Features, data.Split(0.6, 0.2, seed: 7).Train.Features);
        Assert.NotEqual(train.Features, data.Split(0.6, 0.2, seed: 8).Train.Features);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Split(0.9, 0.2));
    }
}

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(2)] [Dense(24)] [Tanh] [Dense(24)] [Tanh] [Dense(2)]
public partial class SpiralThreeLayerNet;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(784)] [Dense(256)] [BatchNorm] [ReLU] [Dropout(0.2f)] [Dense(128)] [BatchNorm] [ReLU] [Dense(10)]
public partial class MnistBatchNormMlp;

public class TrainingPhasesTests
{
    [Fact]
    public void Phases_are_timed_per_thread_and_change_nothing()
    {
        Dataset data = SyntheticData.Spirals(classes: 3, pointsPerClass: 100, seed: 4);
        foreach (int threads in new[] { 1, 2 })
        {
            var plain = new SpiralProbe2Net(seed: 1);
            new Trainer<SpiralProbe2Net>(plain, new Adam(0.01f), batchSize: 30, seed: 2) { Threads = threads }.Fit(data, epochs: 2);
            var timed = new SpiralProbe2Net(seed: 1);
            var phases = new TrainingPhases();
            new Trainer<SpiralProbe2Net>(timed, new Adam(0.01f), batchSize: 30, seed: 2) { Threads = threads, Phases = phases }.Fit(data, epochs: 2);
            Assert.Equal(plain.Parameters.ToArray(), timed.Parameters.ToArray());

            Assert.Equal(2 * 10, phases.Steps);
            Assert.Equal(threads, phases.Threads);
            Assert.True(phases.WallSeconds(TrainingPhase.Gradients) > 0);
            Assert.True(phases.WallSeconds(TrainingPhase.Update) > 0);
            Assert.True(phases.WallSeconds(TrainingPhase.Serial) > 0);
            Assert.Equal(threads > 1, phases.WallSeconds(TrainingPhase.Reduce) > 0);
            for (int t = 0; t < threads; t++)
                Assert.True(phases.BusySeconds(TrainingPhase.Gradients, t) > 0, $"thread {t}");
            // A thread is never busier in a phase than the phase lasted.
            foreach (TrainingPhase phase in Enum.GetValues<TrainingPhase>())
                for (int t = 0; t < threads; t++)
                    Assert.True(phases.BusySeconds(phase, t) <= phases.WallSeconds(phase) + 1e-9, $"{phase}, thread {t}");
            Assert.Contains($"thread {threads - 1} busy", phases.ToString());
            phases.Reset();
            Assert.Equal(0, phases.Steps);
            Assert.Equal(0, phases.TotalSeconds);
        }
    }
}
