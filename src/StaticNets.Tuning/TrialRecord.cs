namespace StaticNets.Tuning;

/// <summary>Where a trial is.</summary>
public enum TrialStatus
{
    /// <summary>Created, not yet claimed by a worker (or given back by one that died).</summary>
    Waiting = 0,
    /// <summary>A worker is running it.</summary>
    Running = 1,
    /// <summary>Finished with a value.</summary>
    Complete = 2,
    /// <summary>Stopped early by the pruner; its last reported value is kept.</summary>
    Pruned = 3,
    /// <summary>The objective threw; the error is kept.</summary>
    Failed = 4,
}

/// <summary>A trial as stored: its hyperparameters, seed, status, per-epoch values and outcome.</summary>
/// <param name="Number">Its number in the study, from 0.</param>
/// <param name="Parameters">Its hyperparameters by name.</param>
/// <param name="Seed">The seed its network was made with (the data seed is the study's, the same for all trials).</param>
/// <param name="Status">Where it is.</param>
/// <param name="Value">The objective's value (the last reported one for a pruned trial); null before the end.</param>
/// <param name="Epochs">Values reported per epoch (from 1).</param>
/// <param name="Seconds">How long it ran (its last attempt).</param>
/// <param name="Attempts">How many times a worker took it (more than 1 after a worker died).</param>
/// <param name="Worker">The worker that ran it last.</param>
/// <param name="Error">The objective's error, for a failed trial.</param>
public sealed record TrialRecord(int Number, IReadOnlyDictionary<string, double> Parameters, int Seed, TrialStatus Status, double? Value,
    IReadOnlyDictionary<int, double> Epochs, double? Seconds, int Attempts, string? Worker, string? Error);
