using System.Diagnostics;

namespace StaticNets.Tests;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(64)] [Dense(40)] [BatchNorm] [ReLU] [Dense(72)] [Tanh] [Dense(10)]
public partial class ConcurrencyNet;

/// <summary>
/// Predict from many threads while another thread hands out, loads, writes, rebuilds or trains: every output must be
/// the output of one of the parameter states the writer moves between, bit for bit, and once a write has returned
/// the next prediction must show it.
/// </summary>
public sealed class ConcurrencyTests : IDisposable
{
    private const int Predictors = 8;
    private const int PredictionsPerThread = 4000;
    private static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(3);

    private readonly string _folder = Directory.CreateTempSubdirectory("staticnets-concurrency-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Handing_out_the_parameters_never_gives_a_mixed_prediction()
    {
        var net = Trained(seed: 1);
        var states = new[] { Snapshot(net) };
        RunWhilePredicting(net, states, round => { _ = net.Parameters; _ = net.State; });
    }

    [Fact]
    public void Loading_weights_files_never_gives_a_mixed_prediction()
    {
        var net = Trained(seed: 1);
        var other = Trained(seed: 2);
        string a = Path.Combine(_folder, "a.snw"), b = Path.Combine(_folder, "b.snw");
        WeightsFile.Save(net, a);
        WeightsFile.Save(other, b);
        var states = new[] { Snapshot(net), Snapshot(other) };
        RunWhilePredicting(net, states, round => WeightsFile.Load(net, round % 2 == 0 ? b : a));
    }

    [Fact]
    public void Writes_in_a_write_scope_never_give_a_mixed_prediction()
    {
        var net = Trained(seed: 1);
        var states = new[] { Snapshot(net), Snapshot(Trained(seed: 3)) };
        RunWhilePredicting(net, states, round =>
        {
            var (parameters, state) = states[(round + 1) % 2];
            using (net.BeginWrite())
            {
                parameters.CopyTo(net.Parameters);
                state.CopyTo(net.State);
            }
        });
    }

    [Fact]
    public void Rebuilding_in_a_loop_never_gives_a_mixed_prediction()
    {
        var net = Trained(seed: 1);
        RunWhilePredicting(net, [Snapshot(net)], _ => net.RefreshInference());
    }

    [Fact]
    public void After_training_returns_the_next_prediction_uses_the_trained_parameters()
    {
        var data = Dataset.Classification(TestData.Normal(96 * ConcurrencyNet.InputSize, new Rng(5)), ConcurrencyNet.InputSize,
            TestData.Labels(96, ConcurrencyNet.OutputSize, new Rng(6)));
        float[] x = TestData.Normal(ConcurrencyNet.InputSize, new Rng(7));
        for (int run = 0; run < 20; run++)
        {
            var net = new ConcurrencyNet(seed: run, maxBatchSize: 16);
            var trainer = new Trainer<ConcurrencyNet>(net, new Adam(0.01f), batchSize: 16, seed: run);
            using var stop = new CancellationTokenSource();
            Thread[] predictors = Start(4, _ =>
            {
                var y = new float[ConcurrencyNet.OutputSize];
                while (!stop.IsCancellationRequested) net.Predict(x, y);
            });
            trainer.Fit(data, epochs: 2);
            var afterFit = new float[ConcurrencyNet.OutputSize];
            net.Predict(x, afterFit);
            stop.Cancel();
            Join(predictors);

            // What a network holding exactly these parameters and this state predicts.
            var copy = new ConcurrencyNet(maxBatchSize: 16);
            WeightsFile.Deserialize(copy, WeightsFile.Serialize(net));
            var expected = new float[ConcurrencyNet.OutputSize];
            copy.Predict(x, expected);
            Assert.True(expected.AsSpan().SequenceEqual(afterFit), $"run {run}: after Fit returned, Predict gave [{string.Join(", ", afterFit)}], the trained parameters give [{string.Join(", ", expected)}]");
        }
    }

    [Fact]
    public void Batched_and_Monte_Carlo_predictions_read_one_state_per_call()
    {
        // Dropout at rate 0 keeps Monte-Carlo prediction deterministic: samples drawn from two states would show as a
        // spread above 0 or a mean of neither state. Ten samples take two passes through a workspace of 8 rows.
        var net = new NoDropNet(seed: 1, maxBatchSize: 8);
        var states = new[] { Snapshot(net), Snapshot(new NoDropNet(seed: 9)) };
        float[] inputs = TestData.Normal(8 * NoDropNet.InputSize, new Rng(3));
        float[] x = inputs[..NoDropNet.InputSize];
        var expectedBatch = new float[states.Length][];
        var expectedMean = new float[states.Length][];
        var mean = new float[NoDropNet.OutputSize];
        var std = new float[NoDropNet.OutputSize];
        for (int s = 0; s < states.Length; s++)
        {
            Restore(net, states[s]);
            expectedBatch[s] = new float[8 * NoDropNet.OutputSize];
            net.PredictBatch(inputs, expectedBatch[s], 8);
            net.PredictMonteCarlo(x, mean, std, 10);
            expectedMean[s] = mean.ToArray();
        }
        // Batched and Monte-Carlo prediction use the network's workspace, so they run on one thread while another writes.
        using var stop = new CancellationTokenSource();
        Thread[] writer = Start(1, _ =>
        {
            for (int round = 0; !stop.IsCancellationRequested; round++)
                using (net.BeginWrite()) states[round % 2].Parameters.CopyTo(net.Parameters);
        });
        var outputs = new float[8 * NoDropNet.OutputSize];
        var clock = Stopwatch.StartNew();
        var seen = new int[2];
        for (int i = 0; i < 5000 && clock.Elapsed < TimeLimit; i++)
        {
            net.PredictBatch(inputs, outputs, 8);
            int match = Array.FindIndex(expectedBatch, e => e.AsSpan().SequenceEqual(outputs));
            Assert.True(match >= 0, $"PredictBatch call {i} mixed parameter states");
            seen[match]++;
            net.PredictMonteCarlo(x, mean, std, 10);
            Assert.True(std.All(v => v == 0f) && expectedMean.Any(e => e.AsSpan().SequenceEqual(mean)),
                $"PredictMonteCarlo call {i} mixed parameter states: mean [{string.Join(", ", mean)}], spread [{string.Join(", ", std)}]");
        }
        stop.Cancel();
        Join(writer);
        Assert.All(seen, count => Assert.True(count > 0, "the writer never changed the state the predictions saw"));
    }

    // Predictors compare every output with the expected outputs of the states; one thread runs `write` in rounds.
    private static void RunWhilePredicting(ConcurrencyNet net, (float[] Parameters, float[] State)[] states, Action<int> write)
    {
        float[][] inputs = Enumerable.Range(0, 4).Select(i => TestData.Normal(ConcurrencyNet.InputSize, new Rng((ulong)(100 + i)))).ToArray();
        var expected = new float[states.Length][][];
        for (int s = 0; s < states.Length; s++)
        {
            Restore(net, states[s]);
            expected[s] = inputs.Select(x => { var y = new float[ConcurrencyNet.OutputSize]; net.Predict(x, y); return y; }).ToArray();
        }
        Restore(net, states[0]);

        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        long rounds = 0;
        Thread[] writer = Start(1, _ =>
        {
            for (int round = 0; !stop.IsCancellationRequested; round++)
            {
                write(round);
                Interlocked.Increment(ref rounds);
            }
        });
        var failures = new List<string>();
        long predictions = 0;
        Thread[] predictors = Start(Predictors, t =>
        {
            var y = new float[ConcurrencyNet.OutputSize];
            for (int i = 0; i < PredictionsPerThread && clock.Elapsed < TimeLimit; i++)
            {
                int which = (t + i) % inputs.Length;
                net.Predict(inputs[which], y);
                Interlocked.Increment(ref predictions);
                if (!expected.Any(e => e[which].AsSpan().SequenceEqual(y)))
                    lock (failures) failures.Add($"thread {t}, prediction {i}: [{string.Join(", ", y.Take(3))}, ...]");
            }
        });
        Join(predictors);
        stop.Cancel();
        Join(writer);
        Assert.True(failures.Count == 0, $"{failures.Count} of {predictions} predictions matched no parameter state, e.g. {string.Join("; ", failures.Take(3))}");
        Assert.True(rounds > 0, "the writer never ran");
    }

    // Dedicated threads (not pool tasks), so the predictors really run side by side; an exception in one fails the test.
    private static Thread[] Start(int count, Action<int> body)
    {
        var threads = Enumerable.Range(0, count).Select(i => new Thread(() =>
        {
            try { body(i); }
            catch (Exception e) { lock (s_errors) s_errors.Add(e); }
        }) { IsBackground = true }).ToArray();
        foreach (Thread thread in threads) thread.Start();
        return threads;
    }

    private static readonly List<Exception> s_errors = [];

    private static void Join(Thread[] threads)
    {
        foreach (Thread thread in threads) thread.Join();
        lock (s_errors)
        {
            if (s_errors.Count > 0)
            {
                var first = s_errors[0];
                s_errors.Clear();
                throw new InvalidOperationException("a worker thread failed", first);
            }
        }
    }

    private static ConcurrencyNet Trained(int seed)
    {
        var net = new ConcurrencyNet(seed, maxBatchSize: 32);
        float[] x = TestData.Normal(32 * ConcurrencyNet.InputSize, new Rng((ulong)seed));
        int[] labels = TestData.Labels(32, ConcurrencyNet.OutputSize, new Rng((ulong)seed + 1));
        var trainer = new Trainer<ConcurrencyNet>(net, new Adam(0.01f), batchSize: 32);
        for (int i = 0; i < 5; i++) trainer.TrainStep(x, labels, 32); // running statistics away from their start
        return net;
    }

    private static (float[] Parameters, float[] State) Snapshot(INetwork net) => (net.Parameters.ToArray(), net.State.ToArray());

    private static void Restore(INetwork net, (float[] Parameters, float[] State) state)
    {
        state.Parameters.CopyTo(net.Parameters);
        state.State.CopyTo(net.State);
    }
}
