using System.ComponentModel;

namespace StaticNets;

/// <summary>
/// Coordinates everything that writes a parameter block and its state (training steps, loads, restores, a user's
/// <see cref="INetwork.BeginWrite"/> scope) with the rebuilds of the inference copies that read them. One guard
/// serves a network and all its replicas, which share the parameter block.
/// </summary>
/// <remarks>
/// Writers hold the guard in shared mode, so replicas computing in parallel never wait on each other; a rebuild
/// holds it alone, so it never reads a half-written block. A rebuild that is waiting goes before writers that
/// arrive after it, so predictions during training are not starved. A thread already writing may open further
/// write scopes (loads inside a user's scope); it cannot rebuild the inference copy of the block it is writing.
/// <see cref="Version"/> changes whenever a write may have happened: at the end of every write scope and whenever a
/// span of the parameters or state is handed out; an inference copy built at one version is current until it moves.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ParameterGuard
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.SupportsRecursion);
    private long _version = 1;

    /// <summary>Moves whenever the parameters or state may have changed; never 0.</summary>
    public long Version => Volatile.Read(ref _version);

    /// <summary>Records that the parameters or state may change (a span of them was handed out).</summary>
    public void Touch() => Interlocked.Increment(ref _version);

    /// <summary>Starts a write; dispose the scope when the write is complete.</summary>
    public ParameterWrite BeginWrite()
    {
        _lock.EnterReadLock();
        return new ParameterWrite(this);
    }

    internal void EndWrite()
    {
        // The version moves before the scope ends, so a rebuild that starts once the lock is free sees the write.
        Interlocked.Increment(ref _version);
        _lock.ExitReadLock();
    }

    /// <summary>Whether the calling thread is inside a write scope of this guard.</summary>
    public bool IsWriting => _lock.IsReadLockHeld;

    /// <summary>
    /// Runs a rebuild alone: waits for the current writes to end, keeps new ones out until it returns, and reports
    /// the version the rebuild saw. Throws when the calling thread is itself writing (it would wait for itself).
    /// </summary>
    internal long EnterRebuild()
    {
        if (_lock.IsReadLockHeld)
            throw new InvalidOperationException(
                "The inference copy cannot be rebuilt while this thread is inside a BeginWrite scope of the same network: the rebuild would wait for the write to end. Predict after disposing the scope.");
        _lock.EnterWriteLock();
        return Version;
    }

    internal void ExitRebuild() => _lock.ExitWriteLock();

    /// <summary>Keeps rebuilds out while the caller reads an inference copy (shared with writers, which do not touch it).</summary>
    internal void EnterHold() => _lock.EnterReadLock();

    internal void ExitHold() => _lock.ExitReadLock();
}

/// <summary>
/// A write to a network's parameters or state in progress (<see cref="INetwork.BeginWrite"/>). Predictions on other
/// threads keep using the last complete parameters until it is disposed; the next prediction after that uses the new
/// ones. Dispose it once, on the thread that began it.
/// </summary>
public readonly ref struct ParameterWrite
{
    private readonly ParameterGuard? _guard;

    internal ParameterWrite(ParameterGuard guard) => _guard = guard;

    /// <summary>Ends the write: later predictions see it.</summary>
    public void Dispose() => _guard?.EndWrite();
}
