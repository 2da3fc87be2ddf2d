using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace StaticNets.Tuning;

/// <summary>Thrown by <see cref="Trial.Report"/> when the pruner stops the trial; the study records it as pruned.</summary>
public sealed class TrialPrunedException(int trial, int epoch) : Exception($"Trial {trial} was pruned at epoch {epoch}.")
{
    /// <summary>The trial.</summary>
    public int Trial { get; } = trial;

    /// <summary>The epoch of the report that stopped it.</summary>
    public int Epoch { get; } = epoch;
}

/// <summary>
/// One run of the objective: its hyperparameters, seeds, and <see cref="Report"/> for per-epoch values. Used by the
/// thread running the trial only.
/// </summary>
public sealed class Trial
{
    private readonly Study _study;
    private readonly ClaimedTrial _claim;
    private readonly IPruner? _pruner;

    internal Trial(Study study, ClaimedTrial claim, IPruner? pruner, int dataSeed)
    {
        (_study, _claim, _pruner, DataSeed) = (study, claim, pruner, dataSeed);
    }

    /// <summary>Its number in the study, from 0.</summary>
    public int Number => _claim.Number;

    /// <summary>Its hyperparameters by name.</summary>
    public IReadOnlyDictionary<string, double> Parameters => _claim.Parameters;

    /// <summary>The hyperparameter called <paramref name="name"/>.</summary>
    public double this[string name] => _claim.Parameters.TryGetValue(name, out double v) ? v
        : throw new KeyNotFoundException($"Trial {Number} has no hyperparameter '{name}'; it has {string.Join(", ", _claim.Parameters.Keys)}.");

    /// <summary>A seed for the trial's network (its initialization), different per trial.</summary>
    public int Seed => _claim.Seed;

    /// <summary>The seed for data order, splits and augmentation: the study's, the same for every trial, so they compare fairly.</summary>
    public int DataSeed { get; }

    /// <summary>The last epoch reported.</summary>
    public int LastEpoch { get; private set; }

    /// <summary>The last value reported.</summary>
    public double? LastValue { get; private set; }

    /// <summary>
    /// Records the objective's value after <paramref name="epoch"/> (from 1) and asks the pruner: throws
    /// <see cref="TrialPrunedException"/> when the trial should stop (let it propagate: the study catches it).
    /// </summary>
    public void Report(int epoch, double value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(epoch, 1);
        if (double.IsNaN(value)) throw new ArgumentException($"Trial {Number} reported NaN at epoch {epoch}.", nameof(value));
        (LastEpoch, LastValue) = (epoch, value);
        _study.Storage.Report(_claim, epoch, value);
        if (_pruner is not null && _pruner.ShouldPrune(Number, epoch, value, _study.Trials(), _study.Direction))
            throw new TrialPrunedException(Number, epoch);
    }
}

/// <summary>
/// A hyperparameter search that survives crashes and scales out: every trial's hyperparameters, seed, per-epoch values,
/// status and duration are stored as they happen (<see cref="IStudyStorage"/>), so a search that is killed resumes
/// where it stopped and reruns no finished trial, and worker processes on several machines can share one study.
/// </summary>
/// <remarks>
/// Threading: <see cref="Optimize"/> runs up to <c>parallel</c> trials at once on threads of its own; the objective must
/// therefore be safe to call concurrently with different trials (each builds its own network). Other members are
/// safe to call from any thread.
/// </remarks>
public sealed class Study
{
    private Study(IStudyStorage storage, long id, string name, Direction direction) => (Storage, Id, Name, Direction) = (storage, id, name, direction);

    internal IStudyStorage Storage { get; }

    internal long Id { get; }

    /// <summary>The study's name in its storage.</summary>
    public string Name { get; }

    /// <summary>Whether lower or higher values are better.</summary>
    public Direction Direction { get; }

    /// <summary>The study called <paramref name="name"/> in <paramref name="storage"/>, created if new.</summary>
    public static Study CreateOrLoad(IStudyStorage storage, string name, Direction direction)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return new Study(storage, storage.CreateOrLoadStudy(name, direction), name, direction);
    }

    /// <summary>
    /// Runs trials until the study has <paramref name="trials"/> of them (counting those of earlier runs and other
    /// workers) and every one has ended (a worker with nothing to claim waits while others still run trials, to take
    /// over one whose worker dies). Each trial gets its values from <paramref name="sampler"/> by its number, a
    /// network seed derived from it, and <paramref name="dataSeed"/>; the objective returns its final value. A pruned
    /// trial keeps its last reported value; one that throws is recorded as failed with its error, and the search
    /// goes on. A heartbeat marks each running trial alive every <paramref name="heartbeat"/>; a trial whose heartbeat
    /// is older than <paramref name="staleAfter"/> (its worker died) is given to the next worker that asks.
    /// </summary>
    public void Optimize(Func<Trial, double> objective, ISampler sampler, int trials, int parallel = 1, IPruner? pruner = null,
        int dataSeed = 0, string? worker = null, TimeSpan? heartbeat = null, TimeSpan? staleAfter = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentOutOfRangeException.ThrowIfLessThan(trials, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallel, 1);
        if (sampler.Count is int size && trials > size) trials = size;
        TimeSpan beat = heartbeat ?? TimeSpan.FromSeconds(10), stale = staleAfter ?? TimeSpan.FromSeconds(60);
        if (stale <= beat) throw new ArgumentException($"staleAfter ({stale}) must be longer than the heartbeat ({beat}).", nameof(staleAfter));
        string name = worker ?? $"{Environment.MachineName}:{Environment.ProcessId}";
        Exception? failure = null;
        var threads = Enumerable.Range(0, parallel).Select(t => new Thread(() => Work($"{name}/{t}")) { Name = $"trial worker {t}" }).ToArray();
        foreach (Thread thread in threads) thread.Start();
        foreach (Thread thread in threads) thread.Join();
        if (failure is not null) throw new InvalidOperationException($"The study '{Name}' stopped: {failure.Message}", failure);
        cancellationToken.ThrowIfCancellationRequested();

        void Work(string me)
        {
            try
            {
                while (!cancellationToken.IsCancellationRequested && Volatile.Read(ref failure) is null)
                {
                    ClaimedTrial? claim = Storage.Claim(Id, me, trials, n => (sampler.Sample(n), TrialSeed(n)), stale);
                    if (claim is not null)
                    {
                        Run(claim, me);
                        continue;
                    }
                    // Nothing to claim. While other workers still run trials, wait: if one of them dies, its trial
                    // turns stale and is claimed here, so the study always ends complete.
                    if (!Storage.Trials(Id).Any(t => t.Status == TrialStatus.Running)) return;
                    cancellationToken.WaitHandle.WaitOne(beat < Poll ? beat : Poll);
                }
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, e, null); // the storage failed: stop every worker
            }
        }

        void Run(ClaimedTrial claim, string me)
        {
            var trial = new Trial(this, claim, pruner, dataSeed);
            var clock = Stopwatch.StartNew();
            // A heartbeat that fails is left alone (a timer's exception would end the process): if the storage is gone,
            // the trial's next report or its finish says so.
            using var alive = new Timer(_ => { try { Storage.Heartbeat(claim); } catch (Exception) { } }, null, beat, beat);
            try
            {
                double value = objective(trial);
                if (double.IsNaN(value)) throw new InvalidOperationException($"The objective returned NaN for trial {claim.Number}.");
                Storage.Finish(claim, TrialStatus.Complete, value, clock.Elapsed.TotalSeconds, null);
            }
            catch (TrialPrunedException)
            {
                Storage.Finish(claim, TrialStatus.Pruned, trial.LastValue, clock.Elapsed.TotalSeconds, null);
            }
            catch (Exception e) when (e is not StudyStorageException)
            {
                Storage.Finish(claim, TrialStatus.Failed, trial.LastValue, clock.Elapsed.TotalSeconds, $"{e.GetType().Name}: {e.Message}");
            }
        }
    }

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    // Trial n's network seed: fixed by its number, so a retried trial starts from the same weights.
    private static int TrialSeed(int number) => unchecked((int)((uint)number * 2654435761u >> 1));

    /// <summary>Every trial so far, by number.</summary>
    public IReadOnlyList<TrialRecord> Trials() => Storage.Trials(Id);

    /// <summary>The best complete trial, or null before the first.</summary>
    public TrialRecord? Best() => Ranked().FirstOrDefault();

    /// <summary>Complete trials, best first (ties by number).</summary>
    public IReadOnlyList<TrialRecord> Ranked() => Rank(Trials());

    private List<TrialRecord> Rank(IEnumerable<TrialRecord> trials) =>
        trials.Where(t => t.Status == TrialStatus.Complete && t.Value is not null)
            .OrderBy(t => Direction == Direction.Minimize ? t.Value!.Value : -t.Value!.Value).ThenBy(t => t.Number).ToList();

    /// <summary>
    /// A table of the trials: complete ones ranked best first, then pruned, failed and unfinished ones; with their
    /// hyperparameters, value, epochs run and seconds.
    /// </summary>
    public string RankedTable(int? top = null)
    {
        var all = Trials();
        var ranked = Rank(all);
        var rest = all.Where(t => !ranked.Contains(t)).OrderBy(t => t.Status).ThenBy(t => t.Number);
        var rows = (top is int n ? ranked.Take(n) : ranked).Concat(top is null ? rest : []).ToList();
        string[] names = all.SelectMany(t => t.Parameters.Keys).Distinct().ToArray();
        var c = CultureInfo.InvariantCulture;
        var table = new List<string[]> { new[] { "rank", "trial", "status" }.Concat(names).Concat(["value", "epochs", "seconds"]).ToArray() };
        foreach (var t in rows)
        {
            int rank = ranked.IndexOf(t);
            table.Add(new[] { rank >= 0 ? (rank + 1).ToString(c) : "", t.Number.ToString(c), t.Status.ToString().ToLowerInvariant() }
                .Concat(names.Select(name => t.Parameters.TryGetValue(name, out double v) ? v.ToString("G4", c) : ""))
                .Concat([t.Value?.ToString("F4", c) ?? "", t.Epochs.Count.ToString(c), t.Seconds?.ToString("F1", c) ?? ""]).ToArray());
        }
        int[] widths = Enumerable.Range(0, table[0].Length).Select(i => table.Max(r => r[i].Length)).ToArray();
        var text = new StringBuilder();
        text.AppendLine(c, $"study '{Name}' ({Direction.ToString().ToLowerInvariant()}): {ranked.Count} complete, {all.Count(t => t.Status == TrialStatus.Pruned)} pruned, {all.Count(t => t.Status == TrialStatus.Failed)} failed of {all.Count}");
        foreach (var row in table) text.AppendLine(string.Join("  ", row.Select((cell, i) => cell.PadLeft(widths[i]))).TrimEnd());
        return text.ToString().TrimEnd();
    }
}
