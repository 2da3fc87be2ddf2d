using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;

namespace StaticNets.Benchmarks;

/// <summary>
/// The core's FP32 peak, for the "fraction of peak" column: a register-only loop of independent fused
/// multiply-adds (12 accumulators, more than latency × ports), at the widest vector width the JIT uses.
/// One call runs <see cref="Iterations"/> × 12 FMAs per thread; GFLOP/s = threads × 2 × lanes × 12 × Iterations / time.
/// </summary>
public class FmaPeak
{
    public const int Iterations = 4_000_000; // ~10 ms per call, so starting the second thread is noise

    /// <summary>Floats per vector on this machine (16 with AVX-512).</summary>
    public static int Lanes => Vector512.IsHardwareAccelerated ? Vector512<float>.Count : Vector256<float>.Count;

    /// <summary>1: one core's peak; 2: the same loop on two threads at once (each does the full count), which shows
    /// how much FMA throughput a second core adds on this machine.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [Benchmark(Description = "FMA peak (12 x Iterations vector FMAs per thread)")]
    public float Peak()
    {
        if (Threads == 1) return Loop();
        float other = 0;
        var thread = new Thread(() => other = Loop());
        thread.Start();
        float mine = Loop();
        thread.Join();
        return mine + other;
    }

    private static float Loop() => Vector512.IsHardwareAccelerated ? Loop512() : Loop256();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Loop512()
    {
        Vector512<float> a0 = Vector512.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        Vector512<float> m = Vector512.Create(0.9999f), c = Vector512.Create(1e-4f);
        for (int i = 0; i < Iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c); a1 = Vector512.FusedMultiplyAdd(a1, m, c); a2 = Vector512.FusedMultiplyAdd(a2, m, c);
            a3 = Vector512.FusedMultiplyAdd(a3, m, c); a4 = Vector512.FusedMultiplyAdd(a4, m, c); a5 = Vector512.FusedMultiplyAdd(a5, m, c);
            a6 = Vector512.FusedMultiplyAdd(a6, m, c); a7 = Vector512.FusedMultiplyAdd(a7, m, c); a8 = Vector512.FusedMultiplyAdd(a8, m, c);
            a9 = Vector512.FusedMultiplyAdd(a9, m, c); a10 = Vector512.FusedMultiplyAdd(a10, m, c); a11 = Vector512.FusedMultiplyAdd(a11, m, c);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float Loop256()
    {
        Vector256<float> a0 = Vector256.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        Vector256<float> m = Vector256.Create(0.9999f), c = Vector256.Create(1e-4f);
        for (int i = 0; i < Iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, c); a1 = Vector256.FusedMultiplyAdd(a1, m, c); a2 = Vector256.FusedMultiplyAdd(a2, m, c);
            a3 = Vector256.FusedMultiplyAdd(a3, m, c); a4 = Vector256.FusedMultiplyAdd(a4, m, c); a5 = Vector256.FusedMultiplyAdd(a5, m, c);
            a6 = Vector256.FusedMultiplyAdd(a6, m, c); a7 = Vector256.FusedMultiplyAdd(a7, m, c); a8 = Vector256.FusedMultiplyAdd(a8, m, c);
            a9 = Vector256.FusedMultiplyAdd(a9, m, c); a10 = Vector256.FusedMultiplyAdd(a10, m, c); a11 = Vector256.FusedMultiplyAdd(a11, m, c);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }
}
