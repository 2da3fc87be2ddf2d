using System.Diagnostics;

namespace StaticNets.Benchmarks;

/// <summary>
/// `--phases`: where an epoch of the MLP case (d) spends its time on 1 and 2 threads, phase by phase and thread by thread
/// (Trainer.Phases), and the same on 1 thread at batch 32 (the batch of case c). Not a BenchmarkDotNet case: one warm-up
/// epoch, then two timed ones per setting.
/// </summary>
public static class PhaseReport
{
    public static void Run(TextWriter output)
    {
        Dataset data = EpochData.Create();
        var seconds = new Dictionary<(int, int), double>();
        foreach ((int batch, int threads) in new[] { (128, 1), (128, 2), (32, 1) })
        {
            var net = new MnistTrainingMlp(seed: 1, maxBatchSize: batch);
            new Trainer<MnistTrainingMlp>(net, new Adam(1e-3f), batchSize: batch, seed: 1) { Threads = threads }.Fit(data, epochs: 1);
            var phases = new TrainingPhases();
            var trainer = new Trainer<MnistTrainingMlp>(net, new Adam(1e-3f), batchSize: batch, seed: 1) { Threads = threads, Phases = phases };
            var clock = Stopwatch.StartNew();
            trainer.Fit(data, epochs: 2);
            double s = seconds[(batch, threads)] = clock.Elapsed.TotalSeconds / 2;
            output.WriteLine($"== batch {batch}, {threads} thread(s): {s:F3} s per epoch (60,000 samples)");
            output.WriteLine(phases);
        }
        output.WriteLine($"batch 128, 2 threads against 1: {seconds[(128, 1)] / seconds[(128, 2)]:F2}×");
    }
}
