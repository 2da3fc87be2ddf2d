namespace StaticNets.Tuning;

/// <summary>
/// The study's storage failed (unreachable, refused, not a study database): every worker of the process stops, since no
/// result could be kept. The message names the storage.
/// </summary>
public sealed class StudyStorageException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>A trial a worker has claimed: the attempt number proves its ownership in every later write.</summary>
/// <param name="Id">Its key in the storage.</param>
/// <param name="Number">Its number in the study.</param>
/// <param name="Parameters">Its hyperparameters.</param>
/// <param name="Seed">Its network seed.</param>
/// <param name="Attempt">This claim's attempt number.</param>
public sealed record ClaimedTrial(long Id, int Number, IReadOnlyDictionary<string, double> Parameters, int Seed, int Attempt);

/// <summary>
/// Where a study lives. Every change is one transaction, so a process killed at any point leaves the study consistent:
/// a finished trial stays finished, a running one is given back once its heartbeat is older than the stale limit.
/// Implementations: <see cref="SqliteStudyStorage"/> (one file, one machine) and <see cref="PostgresStudyStorage"/>
/// (workers on many machines). Thread-safe: each call opens its own connection from the pool.
/// </summary>
public interface IStudyStorage
{
    /// <summary>The study called <paramref name="name"/>, created if new; its direction must match an existing one's.</summary>
    long CreateOrLoadStudy(string name, Direction direction);

    /// <summary>
    /// Claims the next trial for <paramref name="worker"/>: first gives back trials whose heartbeat is older than
    /// <paramref name="staleAfter"/>, then takes the lowest-numbered waiting trial, or creates trial number n (its values
    /// from <paramref name="sample"/>) while the study has fewer than <paramref name="maxTrials"/>. Null when none is left.
    /// </summary>
    ClaimedTrial? Claim(long study, string worker, int maxTrials, Func<int, (IReadOnlyDictionary<string, double> Parameters, int Seed)> sample, TimeSpan staleAfter);

    /// <summary>Stores a per-epoch value; false when the trial is no longer this attempt's (given to another worker).</summary>
    bool Report(ClaimedTrial trial, int epoch, double value);

    /// <summary>Marks the attempt alive; false when the trial is no longer this attempt's.</summary>
    bool Heartbeat(ClaimedTrial trial);

    /// <summary>Ends the attempt with <paramref name="status"/>; false (and no change) when it is no longer this attempt's.</summary>
    bool Finish(ClaimedTrial trial, TrialStatus status, double? value, double seconds, string? error);

    /// <summary>Every trial of the study, by number, with their reported values.</summary>
    IReadOnlyList<TrialRecord> Trials(long study);
}
