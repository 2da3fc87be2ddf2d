using StaticNets.Kernels;

namespace StaticNets.Tests;

/// <summary>
/// Kernels with a vector path and a scalar path promise the same bits from both: each feature or value is
/// computed once through the vector path (in a wide call) and once through the scalar path (alone).
/// </summary>
public class VectorPathTests
{
    [Theory]
    [InlineData(6)]
    [InlineData(37)]
    public void BatchNorm_train_and_backward_give_the_scalar_bits_for_every_feature(int batch)
    {
        const int n = 11; // two groups of four on the vector path, three features on the scalar path
        var rng = new Rng(21);
        float[] x = TestData.Normal(batch * n, rng, std: 3), gamma = TestData.Normal(n, rng), beta = TestData.Normal(n, rng), dy = TestData.Normal(batch * n, rng);
        float[] meanBefore = TestData.Normal(n, rng), varianceBefore = TestData.Uniform01(n, rng);
        float[] runningMean = (float[])meanBefore.Clone(), runningVariance = (float[])varianceBefore.Clone();
        var (xhat, invStd, y, a) = (new float[batch * n], new float[n], new float[batch * n], new float[batch * n]);
        var (dGamma, dBeta, dx) = (new float[n], new float[n], new float[batch * n]);
        NormalizationKernels.BatchNormTrain(x, gamma, beta, runningMean, runningVariance, xhat, invStd, y, a, batch, n, 0.1f, 1e-5f, new LeakyReLU(0.2f));
        NormalizationKernels.BatchNormBackward(dy, xhat, invStd, gamma, dGamma, dBeta, dx, batch, n);

        float[] Column(float[] values, int j) => Enumerable.Range(0, batch).Select(r => values[r * n + j]).ToArray();
        for (int j = 0; j < n; j++)
        {
            float[] mean = [meanBefore[j]], variance = [varianceBefore[j]];
            var (hj, ij, yj, aj) = (new float[batch], new float[1], new float[batch], new float[batch]);
            var (dgj, dbj, dxj) = (new float[1], new float[1], new float[batch]);
            NormalizationKernels.BatchNormTrain(Column(x, j), [gamma[j]], [beta[j]], mean, variance, hj, ij, yj, aj, batch, 1, 0.1f, 1e-5f, new LeakyReLU(0.2f));
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
    public void Dropout_masks_are_the_draws_of_NextSingle()
    {
        const int n = 1001;
        const float rate = 0.3f, scale = 1f / (1f - rate);
        var mask = new float[n];
        var a = new float[n];
        float[] x = TestData.Normal(n, new Rng(23));
        ElementwiseKernels.DropoutForward(x, mask, a, rate, new Rng(24));
        var draws = new Rng(24);
        float[] expected = Enumerable.Range(0, n).Select(_ => draws.NextSingle() >= rate ? scale : 0f).ToArray();
        Assert.Equal(expected, mask);
        Assert.Equal(x.Select((v, i) => v * expected[i]).ToArray(), a);
    }
}
