namespace StaticNets.Tests;

/// <summary>Exact allocation measurement for the allocation-free promises (0 bytes is exact, so it is a test).</summary>
public static class Allocations
{
    // Bytes allocated by `repetitions` calls, in the quietest of three windows. Code that allocates per call
    // allocates in every window; the runtime's own one-off work (a tier-up or on-stack-replacement compile that
    // lands in a window, seen once in nine full runs) touches at most one of them.
    public static long Measure(Action action, int repetitions = 20)
    {
        action(); // JIT and first-use work happen outside the measurement
        action();
        long quietest = long.MaxValue;
        for (int window = 0; window < 3; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < repetitions; i++) action();
            quietest = Math.Min(quietest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return quietest;
    }
}
