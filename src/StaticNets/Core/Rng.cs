using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace StaticNets;

/// <summary>
/// Deterministic random numbers: xoshiro256** seeded through SplitMix64. The same seed gives the
/// same sequence on every machine and .NET version (unlike <see cref="System.Random"/>), which
/// makes initialization, shuffling and dropout reproducible.
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spareNormal;
    private bool _hasSpare;
    private LaneStates _lanes;

    // Eight more xoshiro256** states, one per 64-bit lane of a 512-bit vector, for dropout masks: word w of lane j
    // at [w · 8 + j].
    [InlineArray(4 * Lanes)]
    private struct LaneStates
    {
        private ulong _element;
    }

    private const int Lanes = 8;

    /// <summary>A generator whose sequence is fixed by <paramref name="seed"/>.</summary>
    public Rng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
        for (int lane = 0; lane < Lanes; lane++)
            for (int word = 0; word < 4; word++)
                _lanes[word * Lanes + lane] = SplitMix64(ref x);
    }

    /// <summary>64 uniformly random bits.</summary>
    public ulong NextUInt64() => Step(ref _s0, ref _s1, ref _s2, ref _s3);

    // One xoshiro256** step over a state that may be the fields or copies of them in registers.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static ulong Step(ref ulong s0, ref ulong s1, ref ulong s2, ref ulong s3)
    {
        ulong result = RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = RotateLeft(s3, 45);
        return result;
    }

    /// <summary>
    /// An inverted-dropout mask: <paramref name="scale"/> where a 24-bit uniform u has u·2⁻²⁴ ≥ <paramref name="rate"/>,
    /// else 0. The uniforms come from the eight lane streams, two from each 64-bit draw (bits 8–31, then 40–63), so one
    /// step of all eight gives 16 values; the lane streams leave the generator's own sequence untouched. The eight lanes
    /// run as one 512-bit vector where the hardware has it and as four 128-bit pairs elsewhere: every machine draws the
    /// same masks.
    /// </summary>
    internal void FillDropoutMask(Span<float> mask, float rate, float scale)
    {
        uint threshold = (uint)Math.Ceiling(rate * (double)(1 << 24)); // u·2⁻²⁴ ≥ rate ⟺ u ≥ ⌈rate·2²⁴⌉
        ref ulong states = ref _lanes[0];
        ref float m = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(mask);
        int whole = mask.Length / (2 * Lanes) * (2 * Lanes);
        if (Vector512.IsHardwareAccelerated) FillMasks<Lanes512>(ref states, ref m, whole, threshold, scale);
        else if (Vector128.IsHardwareAccelerated) FillMasks<Lanes128>(ref states, ref m, whole, threshold, scale);
        else FillMasks<LanesScalar>(ref states, ref m, whole, threshold, scale);
        if (whole < mask.Length)
        {
            // The last partial step: one more draw of all lanes, the first values of it.
            Span<float> last = stackalloc float[2 * Lanes];
            FillMasks<LanesScalar>(ref states, ref last[0], last.Length, threshold, scale);
            last[..(mask.Length - whole)].CopyTo(mask[whole..]);
        }
    }

    // `length` (whole steps of 16) mask values from the lane states, which it advances.
    private static void FillMasks<TL>(ref ulong states, ref float mask, int length, uint threshold, float scale) where TL : struct, ILaneStreams<TL>
    {
        TL lanes = TL.Load(ref states);
        for (int i = 0; i < length; i += 2 * Lanes)
            lanes.Next(ref Unsafe.Add(ref mask, i), threshold, scale);
        lanes.Store(ref states);
    }

    /// <summary>The eight xoshiro256** lane streams in registers of one width.</summary>
    private interface ILaneStreams<TSelf> where TSelf : struct, ILaneStreams<TSelf>
    {
        static abstract TSelf Load(ref ulong states);
        void Store(ref ulong states);
        /// <summary>One step of every lane: 16 mask values, value 2j from the low half of lane j's draw, 2j + 1 from the high half.</summary>
        void Next(ref float destination, uint threshold, float scale);
    }

    private struct Lanes512 : ILaneStreams<Lanes512>
    {
        private Vector512<ulong> _s0, _s1, _s2, _s3;

        public static Lanes512 Load(ref ulong states) => new()
        {
            _s0 = Vector512.LoadUnsafe(ref states), _s1 = Vector512.LoadUnsafe(ref states, Lanes),
            _s2 = Vector512.LoadUnsafe(ref states, 2 * Lanes), _s3 = Vector512.LoadUnsafe(ref states, 3 * Lanes),
        };

        public readonly void Store(ref ulong states)
        {
            _s0.StoreUnsafe(ref states);
            _s1.StoreUnsafe(ref states, Lanes);
            _s2.StoreUnsafe(ref states, 2 * Lanes);
            _s3.StoreUnsafe(ref states, 3 * Lanes);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Next(ref float destination, uint threshold, float scale)
        {
            // ×5 and ×9 as shifts and adds (the same bits): 64-bit vector multiplies are slow or emulated on most hardware.
            Vector512<ulong> five = (_s1 << 2) + _s1, rotated = (five << 7) | (five >>> 57);
            Vector512<ulong> result = (rotated << 3) + rotated;
            Vector512<ulong> t = _s1 << 17;
            _s2 ^= _s0;
            _s3 ^= _s1;
            _s1 ^= _s2;
            _s0 ^= _s3;
            _s2 ^= t;
            _s3 = (_s3 << 45) | (_s3 >>> 19);
            Vector512<uint> uniform = result.AsUInt32() >>> 8;
            Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(uniform, Vector512.Create(threshold)).AsSingle(), Vector512.Create(scale), Vector512<float>.Zero)
                .StoreUnsafe(ref destination);
        }
    }

    // One lane at a time, on 64-bit integers: the same arithmetic as the vectors, for machines without SIMD.
    private struct LanesScalar : ILaneStreams<LanesScalar>
    {
        private LaneStates _states;

        public static LanesScalar Load(ref ulong states)
        {
            var lanes = new LanesScalar();
            for (int w = 0; w < 4 * Lanes; w++) lanes._states[w] = Unsafe.Add(ref states, w);
            return lanes;
        }

        public readonly void Store(ref ulong states)
        {
            for (int w = 0; w < 4 * Lanes; w++) Unsafe.Add(ref states, w) = _states[w];
        }

        public void Next(ref float destination, uint threshold, float scale)
        {
            for (int j = 0; j < Lanes; j++)
            {
                ulong draw = Step(ref _states[j], ref _states[Lanes + j], ref _states[2 * Lanes + j], ref _states[3 * Lanes + j]);
                Unsafe.Add(ref destination, 2 * j) = ((uint)draw >> 8) >= threshold ? scale : 0f;
                Unsafe.Add(ref destination, 2 * j + 1) = ((uint)(draw >> 32) >> 8) >= threshold ? scale : 0f;
            }
        }
    }

    // Lanes 2k and 2k + 1 in pair k: the same arithmetic on the same lanes as Lanes512, four registers at a time.
    private struct Lanes128 : ILaneStreams<Lanes128>
    {
        private Pair _a, _b, _c, _d;

        public static Lanes128 Load(ref ulong states) => new()
        {
            _a = Pair.Load(ref states, 0), _b = Pair.Load(ref states, 2), _c = Pair.Load(ref states, 4), _d = Pair.Load(ref states, 6),
        };

        public readonly void Store(ref ulong states)
        {
            _a.Store(ref states, 0);
            _b.Store(ref states, 2);
            _c.Store(ref states, 4);
            _d.Store(ref states, 6);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Next(ref float destination, uint threshold, float scale)
        {
            _a.Next(ref destination, threshold, scale);
            _b.Next(ref Unsafe.Add(ref destination, 4), threshold, scale);
            _c.Next(ref Unsafe.Add(ref destination, 8), threshold, scale);
            _d.Next(ref Unsafe.Add(ref destination, 12), threshold, scale);
        }

        private struct Pair
        {
            private Vector128<ulong> _s0, _s1, _s2, _s3;

            // Word w of lane j is at [w · 8 + j].
            public static Pair Load(ref ulong states, int lane) => new()
            {
                _s0 = Vector128.LoadUnsafe(ref states, (nuint)lane), _s1 = Vector128.LoadUnsafe(ref states, (nuint)(Lanes + lane)),
                _s2 = Vector128.LoadUnsafe(ref states, (nuint)(2 * Lanes + lane)), _s3 = Vector128.LoadUnsafe(ref states, (nuint)(3 * Lanes + lane)),
            };

            public readonly void Store(ref ulong states, int lane)
            {
                _s0.StoreUnsafe(ref states, (nuint)lane);
                _s1.StoreUnsafe(ref states, (nuint)(Lanes + lane));
                _s2.StoreUnsafe(ref states, (nuint)(2 * Lanes + lane));
                _s3.StoreUnsafe(ref states, (nuint)(3 * Lanes + lane));
            }

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public void Next(ref float destination, uint threshold, float scale)
            {
                Vector128<ulong> five = (_s1 << 2) + _s1, rotated = (five << 7) | (five >>> 57);
                Vector128<ulong> result = (rotated << 3) + rotated;
                Vector128<ulong> t = _s1 << 17;
                _s2 ^= _s0;
                _s3 ^= _s1;
                _s1 ^= _s2;
                _s0 ^= _s3;
                _s2 ^= t;
                _s3 = (_s3 << 45) | (_s3 >>> 19);
                Vector128<uint> uniform = result.AsUInt32() >>> 8;
                Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(uniform, Vector128.Create(threshold)).AsSingle(), Vector128.Create(scale), Vector128<float>.Zero)
                    .StoreUnsafe(ref destination);
            }
        }
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, 1) with 24 random bits.</summary>
    public float NextSingle() => ToSingle(NextUInt64());

    private static float ToSingle(ulong bits) => (bits >> 40) * (1f / (1 << 24));

    /// <summary>Uniform integer in [0, <paramref name="bound"/>), without modulo bias (Lemire's method).</summary>
    public int NextInt(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        ulong m = (ulong)(uint)NextUInt64() * (uint)bound;
        uint low = (uint)m;
        if (low < (uint)bound)
        {
            uint threshold = (uint)-bound % (uint)bound;
            while (low < threshold)
            {
                m = (ulong)(uint)NextUInt64() * (uint)bound;
                low = (uint)m;
            }
        }
        return (int)(m >> 32);
    }

    /// <summary>Standard normal (Marsaglia's polar method; pairs are cached).</summary>
    public double NextNormal()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spareNormal;
        }
        double u, v, s;
        do
        {
            u = 2.0 * NextDouble() - 1.0;
            v = 2.0 * NextDouble() - 1.0;
            s = u * u + v * v;
        } while (s >= 1.0 || s == 0.0);
        double f = Math.Sqrt(-2.0 * Math.Log(s) / s);
        _spareNormal = v * f;
        _hasSpare = true;
        return u * f;
    }

    /// <summary>Shuffles <paramref name="values"/> in place (Fisher–Yates).</summary>
    public void Shuffle<T>(Span<T> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
