namespace StaticNets;

/// <summary>
/// Runs one action on several threads at once, again and again, without allocating per run: workers
/// wait on their own semaphore, the caller does part 0 itself, then waits for the rest. The first
/// exception from any part is rethrown on the caller.
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
            _done.Wait();
        }
        if (_failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(_failure).Throw();
    }

    private void Loop(int part)
    {
        while (true)
        {
            _start[part - 1].Wait();
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

    public void Dispose()
    {
        _stopping = true;
        foreach (SemaphoreSlim start in _start) start.Release();
        foreach (Thread thread in _threads) thread.Join();
        foreach (SemaphoreSlim start in _start) start.Dispose();
        _done.Dispose();
    }
}
