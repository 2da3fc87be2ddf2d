using System.Runtime.Intrinsics;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;

namespace StaticNets.Benchmarks;

/// <summary>
/// How fast one core reads a block that stays in the cache, for the bandwidth-bound cases: summing it with
/// eight independent vector accumulators at the widest vector width (no other work; both sizes are multiples of
/// 8 vectors). GB/s = bytes / time.
/// - 229 KB is the MLP's int8 weights (234,752 bytes, rounded down to whole groups of 8 vectors), which int8 batch-1
///   inference reads once per call from L2: the time below which that case cannot go.
/// - 940 KB is the MLP's float32 weights, which batch-1 inference reads once per call (from L2 where it holds them:
///   2 MiB per core on the Xeon of rounds 1-4, 1 MiB on the Zen 4 of round 5).
/// - 3,762 KB is what Adam touches per step on the same MLP: parameters, gradients and both moments (L3 on both).
/// </summary>
public class ReadPeak
{
    private ArraySegment<float> _block;

    [Params(229, 940, 3762)]
    public int KB { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _block = AlignedArrays.Allocate(KB * 1024 / sizeof(float));
        _block.AsSpan().Fill(1f);
    }

    [Benchmark(Description = "read KB once (8 vector sums)")]
    public float Read() => Vector512.IsHardwareAccelerated ? Read512(_block) : Read256(_block);

    private static float Read512(ReadOnlySpan<float> block)
    {
        ref float p = ref MemoryMarshal.GetReference(block);
        Vector512<float> a0 = default, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (nuint i = 0; i + 128 <= (nuint)block.Length; i += 128)
        {
            a0 += Vector512.LoadUnsafe(ref p, i); a1 += Vector512.LoadUnsafe(ref p, i + 16);
            a2 += Vector512.LoadUnsafe(ref p, i + 32); a3 += Vector512.LoadUnsafe(ref p, i + 48);
            a4 += Vector512.LoadUnsafe(ref p, i + 64); a5 += Vector512.LoadUnsafe(ref p, i + 80);
            a6 += Vector512.LoadUnsafe(ref p, i + 96); a7 += Vector512.LoadUnsafe(ref p, i + 112);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7);
    }

    private static float Read256(ReadOnlySpan<float> block)
    {
        ref float p = ref MemoryMarshal.GetReference(block);
        Vector256<float> a0 = default, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (nuint i = 0; i + 64 <= (nuint)block.Length; i += 64)
        {
            a0 += Vector256.LoadUnsafe(ref p, i); a1 += Vector256.LoadUnsafe(ref p, i + 8);
            a2 += Vector256.LoadUnsafe(ref p, i + 16); a3 += Vector256.LoadUnsafe(ref p, i + 24);
            a4 += Vector256.LoadUnsafe(ref p, i + 32); a5 += Vector256.LoadUnsafe(ref p, i + 40);
            a6 += Vector256.LoadUnsafe(ref p, i + 48); a7 += Vector256.LoadUnsafe(ref p, i + 56);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7);
    }
}
