using System.Diagnostics;

namespace StaticNets.Benchmarks;

/// <summary>
/// `--phases`: where an epoch of the MLP case (d) spends its time on 1 and 2 threads, phase by phase and thread by thread
/// (Trainer.Phases). Not a BenchmarkDotNet case: one warm-up epoch, then two timed ones per thread count.
/// </summary>
public static class PhaseReport
{
    public static void Run(TextWriter output)
    {
        Dataset data = EpochData.Create();
        var seconds = new Dictionary<int, double>();
        foreach (int threads in new[] { 1, 2 })
        {
            var net = new MnistTrainingMlp(seed: 1, maxBatchSize: 128);
            new Trainer<MnistTrainingMlp>(net, new Adam(1e-3f), batchSize: 128, seed: 1) { Threads = threads }.Fit(data, epochs: 1);
            var phases = new TrainingPhases();
            var trainer = new Trainer<MnistTrainingMlp>(net, new Adam(1e-3f), batchSize: 128, seed: 1) { Threads = threads, Phases = phases };
            var clock = Stopwatch.StartNew();
            trainer.Fit(data, epochs: 2);
            seconds[threads] = clock.Elapsed.TotalSeconds / 2;
            output.WriteLine($"== {threads} thread(s): {seconds[threads]:F3} s per epoch (60,000 samples, batch 128)");
            output.WriteLine(phases);
        }
        output.WriteLine($"2 threads against 1: {seconds[1] / seconds[2]:F2}×");
    }
}
