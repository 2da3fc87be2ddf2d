namespace StaticNets;

/// <summary>
/// Runs one action on several threads at once, again and again, without allocating per run: workers
/// wait on their own semaphore, the caller does part 0 itself, then waits for the rest. The first
/// exception from any part is rethrown on the caller. Both sides spin for up to <see cref="SpinTime"/>
/// before they block: a training step runs the pool several times a millisecond, and waking a blocked thread
/// can take longer than the part it runs (on virtual machines especially), so blocking every time would cost more
/// than the work it spreads (benchmarks/README.md has the epoch times).
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    private readonly Action<int> _work;
    private readonly SemaphoreSlim[] _start;
    private readonly CountdownEvent _done;
    private readonly Thread[] _threads;
    private volatile bool _stopping;
    private Exception? _failure;

    public WorkerPool(int parts, Action<int> work)
    {
        _work = work;
        _start = Enumerable.Range(1, parts - 1).Select(_ => new SemaphoreSlim(0)).ToArray();
        _done = new CountdownEvent(parts - 1);
        _threads = Enumerable.Range(1, parts - 1).Select(part => new Thread(() => Loop(part)) { IsBackground = true, Name = $"StaticNets worker {part}" }).ToArray();
        foreach (Thread thread in _threads) thread.Start();
    }

    public int Parts => _threads.Length + 1;

    private static readonly long SpinTime = System.Diagnostics.Stopwatch.Frequency / 1000;

    /// <summary>Runs parts 0 .. Parts − 1 of the work and returns when all are done.</summary>
    public void Run()
    {
        _failure = null;
        _done.Reset(_threads.Length);
        foreach (SemaphoreSlim start in _start) start.Release();
        try
        {
            _work(0);
        }
        finally
        {
            SpinUntil(static done => done.IsSet, _done);
            _done.Wait();
        }
        if (_failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(_failure).Throw();
    }

    private void Loop(int part)
    {
        while (true)
        {
            SemaphoreSlim start = _start[part - 1];
            if (!SpinUntil(static s => s.Wait(0), start)) start.Wait();
            if (_stopping) return;
            try
            {
                _work(part);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }
            finally
            {
                _done.Signal();
            }
        }
    }

    // Spins (without sleeping) until the condition holds or SpinTime passes; returns whether it held.
    private static bool SpinUntil<T>(Func<T, bool> condition, T state)
    {
        long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTime;
        var spinner = new SpinWait();
        while (!condition(state))
        {
            if (System.Diagnostics.Stopwatch.GetTimestamp() > deadline) return false;
            spinner.SpinOnce(sleep1Threshold: -1);
        }
        return true;
    }

    public void Dispose()
    {
        _stopping = true;
        foreach (SemaphoreSlim start in _start) start.Release();
        foreach (Thread thread in _threads) thread.Join();
        foreach (SemaphoreSlim start in _start) start.Dispose();
        _done.Dispose();
    }
}
