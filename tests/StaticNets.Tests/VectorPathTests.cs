using StaticNets.Kernels;

namespace StaticNets.Tests;

/// <summary>
/// Kernels with a vector path and a scalar path promise the same bits from both: each feature or value is
/// computed once through the vector path (in a wide call) and once through the scalar path (alone).
/// </summary>
public class VectorPathTests
{
    [Theory]
    [InlineData(6, false)]
    [InlineData(37, false)]
    [InlineData(37, true)]
    public void BatchNorm_train_and_backward_give_the_scalar_bits_for_every_feature(int batch, bool tanh)
    {
        if (tanh) Check(batch, default(Kernels.Tanh));
        else Check(batch, new LeakyReLU(0.2f));
    }

    // The rectifiers run on the vector, other activations value by value.
    private static void Check<TAct>(int batch, TAct activation) where TAct : struct, IActivation
    {
        const int n = 19; // two groups of eight on the vector path, three features on the scalar path
        var rng = new Rng(21);
        float[] x = TestData.Normal(batch * n, rng, std: 3), gamma = TestData.Normal(n, rng), beta = TestData.Normal(n, rng), dy = TestData.Normal(batch * n, rng);
        float[] meanBefore = TestData.Normal(n, rng), varianceBefore = TestData.Uniform01(n, rng);
        float[] runningMean = (float[])meanBefore.Clone(), runningVariance = (float[])varianceBefore.Clone();
        var (xhat, invStd, y, a) = (new float[batch * n], new float[n], new float[batch * n], new float[batch * n]);
        var (dGamma, dBeta, dx) = (new float[n], new float[n], new float[batch * n]);
        NormalizationKernels.BatchNormTrain(x, gamma, beta, runningMean, runningVariance, xhat, invStd, y, a, batch, n, 0.1f, 1e-5f, activation);
        NormalizationKernels.BatchNormBackward(dy, xhat, invStd, gamma, dGamma, dBeta, dx, batch, n);

        float[] Column(float[] values, int j) => Enumerable.Range(0, batch).Select(r => values[r * n + j]).ToArray();
        for (int j = 0; j < n; j++)
        {
            float[] mean = [meanBefore[j]], variance = [varianceBefore[j]];
            var (hj, ij, yj, aj) = (new float[batch], new float[1], new float[batch], new float[batch]);
            var (dgj, dbj, dxj) = (new float[1], new float[1], new float[batch]);
            NormalizationKernels.BatchNormTrain(Column(x, j), [gamma[j]], [beta[j]], mean, variance, hj, ij, yj, aj, batch, 1, 0.1f, 1e-5f, activation);
            NormalizationKernels.BatchNormBackward(Column(dy, j), hj, ij, [gamma[j]], dgj, dbj, dxj, batch, 1);
            Assert.Equal(Column(xhat, j), hj);
            Assert.Equal(invStd[j], ij[0]);
            Assert.Equal(Column(y, j), yj);
            Assert.Equal(Column(a, j), aj);
            Assert.Equal(runningMean[j], mean[0]);
            Assert.Equal(runningVariance[j], variance[0]);
            Assert.Equal(dGamma[j], dgj[0]);
            Assert.Equal(dBeta[j], dbj[0]);
            Assert.Equal(Column(dx, j), dxj);
        }
    }

    [Fact]
    public void Rectifier_backward_gives_the_scalar_bits()
    {
        var rng = new Rng(22);
        const int n = 16 * 5 + 7;
        float[] z = TestData.Normal(n, rng), da = TestData.Normal(n, rng);
        z[3] = 0f;
        z[4] = -0f;
        var dz = new float[n];
        DenseKernels.ActivationBackward(z, z, da, dz, default(Kernels.ReLU));
        Assert.Equal(Enumerable.Range(0, n).Select(i => da[i] * (z[i] > 0f ? 1f : 0f)).ToArray(), dz);
        DenseKernels.ActivationBackward(z, z, da, dz, new LeakyReLU(0.3f));
        Assert.Equal(Enumerable.Range(0, n).Select(i => da[i] * (z[i] > 0f ? 1f : 0.3f)).ToArray(), dz);
    }

    [Fact]
    public void Dropout_masks_are_the_lane_streams_draws_for_every_length_and_call_sequence()
    {
        const float rate = 0.3f, scale = 1f / (1f - rate);
        var rng = new Rng(24);
        var reference = new LaneStreams(24);
        for (int n = 0; n <= 70; n++) // one call per length: tails, and calls that start where the last left the streams
        {
            var mask = new float[n];
            var a = new float[n];
            float[] x = TestData.Normal(n, new Rng(23));
            ElementwiseKernels.DropoutForward(x, mask, a, rate, rng);
            float[] expected = reference.Masks(n, rate, scale);
            Assert.Equal(expected, mask);
            Assert.Equal(x.Select((v, i) => v * expected[i]).ToArray(), a);
        }
    }

    [Fact]
    public void Dropout_keeps_each_position_with_probability_one_minus_rate()
    {
        const int n = 320_000;
        foreach (float rate in new[] { 0f, 0.2f, 0.5f, 0.9f })
        {
            var mask = new float[n];
            ElementwiseKernels.DropoutForward(new float[n], mask, new float[n], rate, new Rng(5));
            for (int position = 0; position < 16; position++) // each half of each lane
            {
                int kept = 0, count = n / 16;
                for (int i = position; i < n; i += 16) kept += mask[i] != 0f ? 1 : 0;
                double sigma = Math.Sqrt(count * rate * (1 - rate));
                Assert.InRange(kept, count * (1 - rate) - 5 * sigma - 0.5, count * (1 - rate) + 5 * sigma + 0.5);
            }
        }
    }

    // The documented dropout draws, written out in scalar code: eight xoshiro256** streams seeded by SplitMix64 after the
    // generator's own four words; each step gives 16 values, lane j's low then high 32 bits, each shifted down to 24 bits.
    private sealed class LaneStreams
    {
        private readonly ulong[,] _s = new ulong[8, 4];

        public LaneStreams(ulong seed)
        {
            ulong x = seed;
            for (int i = 0; i < 4; i++) SplitMix64(ref x);
            for (int lane = 0; lane < 8; lane++)
                for (int word = 0; word < 4; word++) _s[lane, word] = SplitMix64(ref x);
        }

        public float[] Masks(int n, float rate, float scale)
        {
            uint threshold = (uint)Math.Ceiling(rate * (double)(1 << 24));
            var values = new float[(n + 15) / 16 * 16];
            for (int step = 0; step < values.Length / 16; step++)
                for (int lane = 0; lane < 8; lane++)
                {
                    ulong draw = Next(lane);
                    values[16 * step + 2 * lane] = ((uint)draw >> 8) >= threshold ? scale : 0f;
                    values[16 * step + 2 * lane + 1] = ((uint)(draw >> 32) >> 8) >= threshold ? scale : 0f;
                }
            return values[..n];
        }

        private ulong Next(int lane)
        {
            ulong s0 = _s[lane, 0], s1 = _s[lane, 1], s2 = _s[lane, 2], s3 = _s[lane, 3];
            ulong result = ulong.RotateLeft(s1 * 5, 7) * 9, t = s1 << 17;
            s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = ulong.RotateLeft(s3, 45);
            (_s[lane, 0], _s[lane, 1], _s[lane, 2], _s[lane, 3]) = (s0, s1, s2, s3);
            return result;
        }

        private static ulong SplitMix64(ref ulong x)
        {
            ulong z = x += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
