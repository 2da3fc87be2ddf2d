using System.Diagnostics;

namespace StaticNets.Tuning.Tests;

public sealed class StudyTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("staticnets-study-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private SqliteStudyStorage Storage(string name = "study.db") => new(Path.Combine(_folder, name));

    private static readonly SearchSpace Space = new(Hyperparameter.LogUniform("lr", 1e-4, 1e-1), Hyperparameter.Uniform("dropout", 0, 0.5));

    // A learning curve per trial: the loss falls towards a floor set by the distance of log10(lr) from −2.5.
    private static double Curve(Trial t, int epochs, Action<int>? perEpoch = null)
    {
        double floor = Math.Pow(Math.Log10(t["lr"]) + 2.5, 2) + 0.1 * t["dropout"], value = 0;
        for (int e = 1; e <= epochs; e++)
        {
            perEpoch?.Invoke(e);
            value = floor + 2.0 / e;
            t.Report(e, value);
        }
        return value;
    }

    [Fact]
    public void A_study_runs_its_trials_in_parallel_stores_them_and_ranks_them()
    {
        var study = Study.CreateOrLoad(Storage(), "curves", Direction.Minimize);
        int calls = 0;
        study.Optimize(t => { Interlocked.Increment(ref calls); return Curve(t, 5); }, new RandomSampler(Space, seed: 1), trials: 8, parallel: 2, dataSeed: 42);
        Assert.Equal(8, calls);
        IReadOnlyList<TrialRecord> trials = study.Trials();
        Assert.Equal(Enumerable.Range(0, 8), trials.Select(t => t.Number));
        Assert.All(trials, t =>
        {
            Assert.Equal(TrialStatus.Complete, t.Status);
            Assert.Equal(5, t.Epochs.Count);
            Assert.Equal(t.Epochs[5], t.Value);
            Assert.Equal(1, t.Attempts);
            Assert.Equal(new RandomSampler(Space, seed: 1).Sample(t.Number), t.Parameters);
        });
        Assert.Equal(8, trials.Select(t => t.Seed).Distinct().Count());
        TrialRecord best = study.Best()!;
        Assert.Equal(trials.Min(t => t.Value), best.Value);
        string table = study.RankedTable();
        Assert.Contains("8 complete, 0 pruned, 0 failed of 8", table);
        string[] first = table.Split('\n')[2].Split(' ', StringSplitOptions.RemoveEmptyEntries); // after the summary and the header
        Assert.Equal(["1", best.Number.ToString(System.Globalization.CultureInfo.InvariantCulture), "complete"], first[..3]);
        Assert.Throws<InvalidOperationException>(() => Study.CreateOrLoad(Storage(), "curves", Direction.Maximize));
    }

    [Fact]
    public void Every_trial_sees_the_same_data_seed_and_its_own_network_seed()
    {
        var study = Study.CreateOrLoad(Storage(), "seeds", Direction.Minimize);
        var seen = new List<(int Data, int Net)>();
        study.Optimize(t => { lock (seen) seen.Add((t.DataSeed, t.Seed)); return 0; }, new RandomSampler(Space), trials: 5, dataSeed: 7);
        Assert.All(seen, s => Assert.Equal(7, s.Data));
        Assert.Equal(5, seen.Select(s => s.Net).Distinct().Count());
    }

    [Fact]
    public void A_resumed_study_reruns_no_finished_trial()
    {
        var ran = new List<int>();
        double Objective(Trial t) { lock (ran) ran.Add(t.Number); return Curve(t, 2); }
        Study.CreateOrLoad(Storage(), "resume", Direction.Minimize).Optimize(Objective, new RandomSampler(Space, 2), trials: 4);
        // A new process would open the file again: a new storage object on the same file.
        var again = Study.CreateOrLoad(Storage(), "resume", Direction.Minimize);
        again.Optimize(Objective, new RandomSampler(Space, 2), trials: 7);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], ran.Order());
        Assert.Equal(7, again.Trials().Count(t => t.Status == TrialStatus.Complete));
    }

    [Fact]
    public void A_trial_whose_worker_died_is_run_again_once_and_its_old_attempt_can_no_longer_write()
    {
        SqliteStudyStorage storage = Storage();
        var study = Study.CreateOrLoad(storage, "crash", Direction.Minimize);
        var sampler = new RandomSampler(Space, 3);
        // A worker takes trial 0 and dies: no heartbeat, no finish.
        ClaimedTrial dead = storage.Claim(study.Id, "dead", 3, n => (sampler.Sample(n), n), TimeSpan.FromSeconds(1))!;
        Assert.True(storage.Report(dead, 1, 5.0));
        Thread.Sleep(1200);
        var ran = new List<int>();
        study.Optimize(t => { lock (ran) ran.Add(t.Number); return Curve(t, 3); }, sampler, trials: 3,
            heartbeat: TimeSpan.FromMilliseconds(100), staleAfter: TimeSpan.FromSeconds(1));
        Assert.Equal([0, 1, 2], ran.Order());
        TrialRecord zero = study.Trials()[0];
        Assert.Equal(TrialStatus.Complete, zero.Status);
        Assert.Equal(2, zero.Attempts);
        Assert.Equal(3, zero.Epochs.Count); // the new attempt's epochs replaced the dead one's
        Assert.False(storage.Finish(dead, TrialStatus.Complete, 0, 1, null)); // a late finish by the dead attempt changes nothing
        Assert.False(storage.Report(dead, 4, 0));
        Assert.Equal(zero.Value, study.Trials()[0].Value);
    }

    [Fact]
    public void A_failing_objective_is_recorded_and_the_search_goes_on()
    {
        var study = Study.CreateOrLoad(Storage(), "fails", Direction.Minimize);
        study.Optimize(t => t.Number == 1 ? throw new InvalidDataException("bad batch") : Curve(t, 1), new RandomSampler(Space), trials: 3);
        IReadOnlyList<TrialRecord> trials = study.Trials();
        Assert.Equal(TrialStatus.Failed, trials[1].Status);
        Assert.Equal("InvalidDataException: bad batch", trials[1].Error);
        Assert.Equal(2, trials.Count(t => t.Status == TrialStatus.Complete));
    }

    [Fact]
    public void Pruning_finds_the_same_best_configuration_in_at_most_half_the_epochs()
    {
        // Random search over the learning rate (the same 16 values in both runs); successive halving keeps the best third
        // at epochs 1, 3 and 9.
        var sampler = new RandomSampler(new SearchSpace(Hyperparameter.LogUniform("lr", 1e-5, 1), Hyperparameter.Uniform("dropout", 0, 0)), seed: 4);
        int Run(IPruner? pruner, string name, out TrialRecord best)
        {
            var study = Study.CreateOrLoad(Storage(name + ".db"), name, Direction.Minimize);
            int epochs = 0;
            study.Optimize(t => Curve(t, 12, _ => Interlocked.Increment(ref epochs)), sampler, trials: 16, pruner: pruner);
            best = study.Best()!;
            return epochs;
        }
        int full = Run(null, "full", out TrialRecord bestFull);
        int pruned = Run(new SuccessiveHalvingPruner(minEpochs: 1, reductionFactor: 3), "pruned", out TrialRecord bestPruned);
        Assert.Equal(16 * 12, full);
        Assert.Equal(bestFull.Parameters, bestPruned.Parameters);
        Assert.True(pruned <= full / 2, $"pruned search ran {pruned} epochs of {full}");
    }

    [Fact]
    public void A_study_file_that_cannot_be_opened_or_is_not_a_study_is_named()
    {
        string notAFile = Path.Combine(_folder, "folder.db");
        Directory.CreateDirectory(notAFile);
        Assert.Contains(notAFile, Assert.Throws<StudyStorageException>(() => new SqliteStudyStorage(notAFile)).Message);

        string garbage = Path.Combine(_folder, "garbage.db");
        File.WriteAllBytes(garbage, Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)).ToArray());
        var error = Assert.Throws<StudyStorageException>(() => Study.CreateOrLoad(new SqliteStudyStorage(garbage), "s", Direction.Minimize));
        Assert.Contains(garbage, error.Message);
    }

    [Fact]
    public void An_objective_that_throws_an_io_error_fails_its_trial_only()
    {
        var study = Study.CreateOrLoad(Storage(), "io", Direction.Minimize);
        study.Optimize(t => t.Number == 0 ? throw new FileNotFoundException("no such file: data.bin") : 1.0, new RandomSampler(Space), trials: 2);
        Assert.Equal([TrialStatus.Failed, TrialStatus.Complete], study.Trials().Select(t => t.Status));
    }
}

/// <summary>PostgreSQL: several worker processes on one study.</summary>
public sealed class PostgresStudyTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    [Fact]
    public void Three_workers_share_a_study_one_is_killed_mid_trial_and_every_trial_completes_exactly_once()
    {
        string study = "workers-" + Guid.NewGuid().ToString("N")[..8], log = Path.GetTempFileName();
        const int trials = 9;
        string assembly = typeof(Worker).Assembly.Location;
        Process Start(string name)
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (string a in new[] { "exec", assembly, "worker", server.ConnectionString, study, trials.ToString(System.Globalization.CultureInfo.InvariantCulture), log, name })
                info.ArgumentList.Add(a);
            return Process.Start(info)!;
        }
        try
        {
            Process[] workers = [Start("w0"), Start("w1"), Start("w2")];
            var storage = new PostgresStudyStorage(server.ConnectionString);
            long id = Study.CreateOrLoad(storage, study, Direction.Minimize).Id;
            // Kill w1 while it runs a trial, after its first report.
            var clock = Stopwatch.StartNew();
            while (!storage.Trials(id).Any(t => t.Worker == "w1/0" && t.Status == TrialStatus.Running && t.Epochs.Count >= 1))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "w1 never ran a trial");
                Thread.Sleep(20);
            }
            int killed = storage.Trials(id).Single(t => t.Worker == "w1/0" && t.Status == TrialStatus.Running).Number;
            workers[1].Kill(entireProcessTree: true);
            foreach (int w in new[] { 0, 2 })
            {
                Assert.True(workers[w].WaitForExit(TimeSpan.FromSeconds(120)), $"worker w{w} did not finish");
                Assert.True(workers[w].ExitCode == 0, workers[w].StandardError.ReadToEnd());
            }
            IReadOnlyList<TrialRecord> records = storage.Trials(id);
            Assert.Equal(Enumerable.Range(0, trials), records.Select(t => t.Number));
            Assert.All(records, t => Assert.Equal(TrialStatus.Complete, t.Status));
            Assert.Equal(2, records[killed].Attempts);
            Assert.NotEqual("w1/0", records[killed].Worker);
            // Each trial's objective ran to its end exactly once, in the surviving workers.
            string[] completions = File.ReadAllLines(log);
            Assert.Equal(Enumerable.Range(0, trials), completions.Select(l => int.Parse(l.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture)).Order());
            Assert.DoesNotContain(completions, l => l.StartsWith("w1 ", StringComparison.Ordinal) && l.EndsWith($" {killed}", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(log);
        }
    }
}
