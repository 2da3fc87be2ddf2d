using StaticNets.Kernels;

namespace StaticNets.Tests;

/// <summary>SIMD kernels against plain scalar loops in double, for every length 0..256 and odd shapes.</summary>
public class KernelTests
{
    // A float sum of n products, each term rounded: error up to about n·ε relative to Σ|terms|.
    private static void AssertSumClose(double expected, float actual, double absSum, int n) =>
        Assert.True(Math.Abs(actual - expected) <= (n + 1) * 1.2e-7 * absSum + 1e-30,
            $"got {actual}, expected {expected} (n = {n})");

    [Fact]
    public void Dot_matches_scalar_for_every_length_up_to_256()
    {
        var rng = new Rng(1);
        for (int n = 0; n <= 256; n++)
        {
            float[] x = TestData.Normal(n, rng), y = TestData.Normal(n, rng);
            double expected = 0, absSum = 0;
            for (int i = 0; i < n; i++) { expected += (double)x[i] * y[i]; absSum += Math.Abs((double)x[i] * y[i]); }
            AssertSumClose(expected, DenseKernels.Dot(x, y), absSum, n);
        }
    }

    [Theory]
    [InlineData(false)] // dot products
    [InlineData(true)]  // tiles of samples
    public void Forward_matches_scalar_for_every_input_length_up_to_256(bool tiled)
    {
        var rng = new Rng(2);
        foreach (int outSize in new[] { 1, 3, 4, 5, 9 })
            for (int inSize = tiled ? 0 : 1; inSize <= 256; inSize += inSize < 40 ? 1 : 7)
                foreach (int batch in new[] { 1, 3 })
                {
                    float[] x = TestData.Normal(batch * inSize, rng), w = TestData.Normal(outSize * inSize, rng), b = TestData.Normal(outSize, rng);
                    var z = new float[batch * outSize];
                    var a = new float[batch * outSize];
                    DenseKernels.Forward(x, w, b, z, a, batch, inSize, outSize, default(Kernels.ReLU), tiled ? new float[DenseKernels.TileLength(inSize, outSize) + 1] : default);
                    AssertForwardMatchesScalar(x, w, b, z, a, batch, inSize, outSize);
                }
    }

    [Fact]
    public void Tiled_forward_matches_scalar_for_every_output_width_and_batch_tails()
    {
        var rng = new Rng(21);
        foreach (int inSize in new[] { 1, 17, 100 })
            for (int outSize = 1; outSize <= 40; outSize++)
                foreach (int batch in new[] { 1, 15, 16, 17, 31, 32, 33, 64, 70 })
                {
                    float[] x = TestData.Normal(batch * inSize, rng), w = TestData.Normal(outSize * inSize, rng), b = TestData.Normal(outSize, rng);
                    var z = new float[batch * outSize];
                    var a = new float[batch * outSize];
                    DenseKernels.Forward(x, w, b, z, a, batch, inSize, outSize, default(Kernels.ReLU), new float[DenseKernels.TileLength(inSize, outSize)]);
                    AssertForwardMatchesScalar(x, w, b, z, a, batch, inSize, outSize);
                }
    }

    // Alone, a sample takes the scalar finish; in a full tile, the 8 × 8 transposes and the vector finish. Every
    // activation kind the vector finish knows (identity, rectifiers) and one it leaves to the scalar form (tanh).
    [Theory]
    [InlineData("identity", true, false)]
    [InlineData("identity", false, false)]
    [InlineData("relu", true, true)]
    [InlineData("leaky", true, true)]
    [InlineData("leaky", false, true)]
    [InlineData("tanh", true, true)]
    public void Tiled_forward_gives_a_sample_the_same_bits_alone_or_anywhere_in_a_batch(string activation, bool bias, bool keepZ)
    {
        switch (activation)
        {
            case "identity": SameBitsAloneAndInBatch(default(Identity), bias, keepZ); break;
            case "relu": SameBitsAloneAndInBatch(default(Kernels.ReLU), bias, keepZ); break;
            case "leaky": SameBitsAloneAndInBatch(new Kernels.LeakyReLU(0.1f), bias, keepZ); break;
            default: SameBitsAloneAndInBatch(default(Kernels.Tanh), bias, keepZ); break;
        }
    }

    private static void SameBitsAloneAndInBatch<TAct>(TAct activation, bool hasBias, bool keepZ) where TAct : struct, IActivation
    {
        var rng = new Rng(22);
        const int inSize = 50, outSize = 21, batch = 45; // a full tile, a partial one, 8-output blocks and 5 left over
        float[] x = TestData.Normal(batch * inSize, rng), w = TestData.Normal(outSize * inSize, rng);
        float[] b = hasBias ? TestData.Normal(outSize, rng) : [];
        var tile = new float[DenseKernels.TileLength(inSize, outSize)];
        float[] all = new float[batch * outSize], allZ = keepZ ? new float[batch * outSize] : [];
        DenseKernels.Forward(x, w, b, allZ, all, batch, inSize, outSize, activation, tile);
        float[] one = new float[outSize], oneZ = keepZ ? new float[outSize] : [];
        for (int r = 0; r < batch; r++)
        {
            DenseKernels.Forward(x.AsSpan(r * inSize, inSize), w, b, oneZ, one, 1, inSize, outSize, activation, tile);
            Assert.Equal(all.AsSpan(r * outSize, outSize).ToArray(), one);
            if (keepZ) Assert.Equal(allZ.AsSpan(r * outSize, outSize).ToArray(), oneZ);
        }
    }

    private static void AssertForwardMatchesScalar(float[] x, float[] w, float[] b, float[] z, float[] a, int batch, int inSize, int outSize)
    {
                    for (int r = 0; r < batch; r++)
                        for (int o = 0; o < outSize; o++)
                        {
                            double expected = b[o], absSum = Math.Abs(b[o]);
                            for (int i = 0; i < inSize; i++)
                            {
                                double term = (double)x[r * inSize + i] * w[o * inSize + i];
                                expected += term;
                                absSum += Math.Abs(term);
                            }
                            AssertSumClose(expected, z[r * outSize + o], absSum, inSize + 1);
                            Assert.Equal(Math.Max(0f, z[r * outSize + o]), a[r * outSize + o]);
                        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Forward_without_bias_or_kept_z(bool tiled)
    {
        float[] x = [1, 2, 3], w = [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1];
        var a = new float[4];
        DenseKernels.Forward(x, w, default, default, a, 1, 3, 4, default(Identity), tiled ? new float[DenseKernels.TileLength(3, 4)] : default);
        Assert.Equal([1f, 2f, 3f, 6f], a);
    }

    [Fact]
    public void Backward_kernels_match_scalar_for_odd_shapes()
    {
        var rng = new Rng(3);
        foreach (int inSize in new[] { 1, 7, 16, 17, 33, 100, 256 })
            foreach (int outSize in new[] { 1, 3, 4, 6, 8, 17 }) // 8 and 17 take the 8-row blocks of dW
                foreach (int batch in new[] { 1, 4, 5, 9 })
                {
                    float[] x = TestData.Normal(batch * inSize, rng), w = TestData.Normal(outSize * inSize, rng), dz = TestData.Normal(batch * outSize, rng);
                    var dw = new float[outSize * inSize];
                    var db = new float[outSize];
                    var dx = TestData.Normal(batch * inSize, rng); // stale values must be overwritten
                    DenseKernels.BackwardParameters(dz, x, dw, db, batch, inSize, outSize);
                    DenseKernels.BackwardInput(dz, w, dx, batch, inSize, outSize);
                    for (int o = 0; o < outSize; o++)
                    {
                        double bias = 0, biasAbs = 0;
                        for (int r = 0; r < batch; r++) { bias += dz[r * outSize + o]; biasAbs += Math.Abs(dz[r * outSize + o]); }
                        AssertSumClose(bias, db[o], biasAbs, batch);
                        for (int i = 0; i < inSize; i++)
                        {
                            double g = 0, abs = 0;
                            for (int r = 0; r < batch; r++) { double t = (double)dz[r * outSize + o] * x[r * inSize + i]; g += t; abs += Math.Abs(t); }
                            AssertSumClose(g, dw[o * inSize + i], abs, batch);
                        }
                    }
                    for (int r = 0; r < batch; r++)
                        for (int i = 0; i < inSize; i++)
                        {
                            double g = 0, abs = 0;
                            for (int o = 0; o < outSize; o++) { double t = (double)dz[r * outSize + o] * w[o * inSize + i]; g += t; abs += Math.Abs(t); }
                            AssertSumClose(g, dx[r * inSize + i], abs, outSize);
                        }
                    // Written instead of added: stale values are replaced by the same sums.
                    float[] written = TestData.Normal(outSize * inSize, rng), writtenBias = TestData.Normal(outSize, rng);
                    DenseKernels.BackwardParameters(dz, x, written, writtenBias, batch, inSize, outSize, accumulate: false);
                    Assert.Equal(dw, written);
                    Assert.Equal(db, writtenBias);
                }
    }

    [Fact]
    public void Kernels_reject_wrong_lengths_with_a_clear_message()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            DenseKernels.Forward(new float[5], new float[6], default, default, new float[2], 1, 3, 2, default(Identity)));
        Assert.Contains("input has 5 values; the layer needs 3", e.Message);
        e = Assert.Throws<ArgumentException>(() =>
            DenseKernels.Forward(new float[3], new float[6], default, default, new float[2], 1, 3, 2, default(Identity), new float[DenseKernels.TileLength(3, 2) - 1]));
        Assert.Equal("tile", e.ParamName);
        Assert.Throws<ArgumentException>(() => DenseKernels.Dot(new float[3], new float[4]));
    }

    [Fact]
    public void Softmax_is_stable_and_sums_to_one()
    {
        float[] z = [1000f, 1001f, 999f, -1000f];
        var a = new float[4];
        OutputKernels.Softmax(z, a, 1, 4);
        Assert.Equal(1.0, a.Sum(), 6);
        Assert.True(a[1] > a[0] && a[0] > a[2] && a[3] == 0f);
    }

    [Fact]
    public void Maxout_routes_gradient_to_the_largest_piece()
    {
        float[] z = [1, 5, 3, -2, -1, -4];
        var a = new float[2];
        OutputKernels.MaxoutForward(z, a, 1, 2, 3);
        Assert.Equal([5f, -1f], a);
        var dz = new float[6];
        OutputKernels.MaxoutBackward(z, [2f, 3f], dz, 1, 2, 3);
        Assert.Equal([0f, 2f, 0f, 0f, 3f, 0f], dz);
    }

    [Fact]
    public void Losses_match_hand_computed_values()
    {
        // MSE of y = (1, 2), t = (0, 4): ((1)² + (−2)²)/2 = 2.5; gradient 2(y − t)/2 = (1, −2).
        var g = new float[2];
        Assert.Equal(2.5f, LossKernels.MeanSquaredError([1f, 2f], [0f, 4f], g, 1, 2));
        Assert.Equal([1f, -2f], g);

        // Cross-entropy of logits (0, ln 3) with label 1: −ln(3/4); gradient (1/4, 3/4 − 1).
        g = new float[2];
        float loss = LossKernels.SoftmaxCrossEntropy([0f, MathF.Log(3f)], [1], g, 1, 2);
        Assert.Equal(-Math.Log(0.75), loss, 6);
        Assert.Equal(0.25f, g[0], 6);
        Assert.Equal(-0.25f, g[1], 6);

        // BCE of logit 0 with target 1: ln 2; gradient σ(0) − 1 = −0.5.
        g = new float[1];
        Assert.Equal(Math.Log(2), LossKernels.SigmoidBinaryCrossEntropy([0f], [1f], g, 1, 1), 6);
        Assert.Equal(-0.5f, g[0]);
    }

    [Fact]
    public void Erf_matches_tabulated_values()
    {
        // Abramowitz & Stegun table 7.1.
        Assert.Equal(0.5204998778, SpecialFunctions.Erf(0.5), 7);
        Assert.Equal(0.8427007929, SpecialFunctions.Erf(1.0), 7);
        Assert.Equal(-0.9953222650, SpecialFunctions.Erf(-2.0), 7);
        // Φ(−5) = 2.8665157e-7: a relative-accurate tail, as GELU needs for negative inputs.
        Assert.Equal(2.8665157187919e-7, SpecialFunctions.NormalCdf(-5), 1e-13);
    }
}
