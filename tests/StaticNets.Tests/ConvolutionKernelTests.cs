using StaticNets.Kernels;

namespace StaticNets.Tests;

/// <summary>Convolution and pooling kernels against the definitions written as plain loops in double.</summary>
public class ConvolutionKernelTests
{
    // in, h, w, out, kh, kw, sh, sw, ph, pw: stride with padding, non-square kernels and strides, pointwise, a kernel
    // the size of the padded input, padding wider than the stride.
    public static TheoryData<int, int, int, int, int, int, int, int, int, int> Shapes() => new()
    {
        { 3, 7, 6, 4, 3, 3, 2, 2, 1, 1 },
        { 2, 5, 8, 3, 3, 1, 1, 1, 1, 0 },
        { 2, 6, 7, 5, 2, 4, 1, 3, 0, 2 },
        { 5, 4, 4, 3, 1, 1, 1, 1, 0, 0 },
        { 1, 3, 3, 2, 5, 5, 1, 1, 1, 1 },
        { 4, 9, 9, 6, 3, 3, 3, 3, 2, 2 },
        { 17, 5, 5, 9, 3, 3, 1, 1, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_and_backward_match_the_seven_loop_definition(int ci, int h, int w, int co, int kh, int kw, int sh, int sw, int ph, int pw)
    {
        var s = new ConvolutionShape(ci, h, w, co, kh, kw, sh, sw, ph, pw);
        const int batch = 3;
        var rng = new Rng((ulong)(ci * 1000 + h * 100 + kh * 10 + sh));
        float[] x = TestData.Normal(batch * s.InSize, rng), weights = TestData.Normal(co * s.Patch, rng), bias = TestData.Normal(co, rng);
        float[] dz = TestData.Normal(batch * s.OutSize, rng);
        var scratch = new float[s.ScratchLength];

        var z = new float[batch * s.OutSize];
        var a = new float[batch * s.OutSize];
        ConvolutionKernels.Forward(x, weights, bias, z, a, scratch, batch, s, default(Kernels.ReLU));
        double[] expected = Reference(x, weights, bias, batch, s);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], z[i], 1e-4);
            Assert.Equal(Math.Max(0, z[i]), a[i]);
        }

        // dW[o, i, ky, kx] = Σ_r Σ_positions dz·x(patch); db = Σ dz; dx = Σ over the outputs each input feeds.
        var dw = new double[co * s.Patch];
        var db = new double[co];
        var dx = new double[batch * s.InSize];
        for (int r = 0; r < batch; r++)
            ForEachTap(s, (o, oy, ox, i, iy, ix, ky, kx) =>
            {
                double g = dz[r * s.OutSize + (o * s.OutHeight + oy) * s.OutWidth + ox];
                dw[((o * ci + i) * kh + ky) * kw + kx] += g * x[r * s.InSize + (i * h + iy) * w + ix];
                dx[r * s.InSize + (i * h + iy) * w + ix] += g * weights[((o * ci + i) * kh + ky) * kw + kx];
            });
        for (int r = 0; r < batch; r++)
            for (int o = 0; o < co; o++)
                for (int p = 0; p < s.Positions; p++) db[o] += dz[r * s.OutSize + o * s.Positions + p];

        var weightGradient = new float[dw.Length];
        var biasGradient = new float[co];
        ConvolutionKernels.BackwardParameters(dz, x, weightGradient, biasGradient, scratch, batch, s);
        AssertClose(dw, weightGradient);
        AssertClose(db, biasGradient);

        // accumulate: the same gradient again, added.
        ConvolutionKernels.BackwardParameters(dz, x, weightGradient, biasGradient, scratch, batch, s, accumulate: true);
        AssertClose(dw.Select(v => 2 * v).ToArray(), weightGradient);

        var inputGradient = new float[x.Length];
        inputGradient.AsSpan().Fill(float.NaN); // overwritten, not added to
        ConvolutionKernels.BackwardInput(dz, weights, inputGradient, scratch, batch, s);
        AssertClose(dx, inputGradient);
    }

    [Fact]
    public void A_sample_gets_the_same_bits_alone_and_in_a_batch()
    {
        var s = new ConvolutionShape(3, 9, 9, 8, 3, 3, 1, 1, 1, 1);
        var rng = new Rng(5);
        float[] x = TestData.Normal(4 * s.InSize, rng), weights = TestData.Normal(8 * s.Patch, rng);
        var scratch = new float[s.ScratchLength];
        var all = new float[4 * s.OutSize];
        ConvolutionKernels.Forward(x, weights, default, default, all, scratch, 4, s, default(Identity));
        var one = new float[s.OutSize];
        ConvolutionKernels.Forward(x.AsSpan(2 * s.InSize, s.InSize), weights, default, default, one, scratch, 1, s, default(Identity));
        Assert.Equal(all.AsSpan(2 * s.OutSize, s.OutSize).ToArray(), one);
    }

    [Fact]
    public void Shapes_that_do_not_fit_are_refused_naming_the_sizes()
    {
        var e = Assert.Throws<ArgumentException>(() => new ConvolutionShape(1, 4, 4, 2, 5, 5, 1, 1, 0, 0));
        Assert.Contains("5×5 kernel", e.Message);
        Assert.Throws<ArgumentException>(() => new PoolingShape(1, 2, 2, 3, 3, 1, 1));
        var s = new ConvolutionShape(1, 4, 4, 2, 3, 3, 1, 1, 0, 0);
        var error = Assert.Throws<ArgumentException>(() => ConvolutionKernels.Forward(new float[15], new float[18], default, default, new float[8], new float[s.ScratchLength], 1, s, default(Identity)));
        Assert.Contains("x has 15 values; the convolution needs 16", error.Message);
    }

    [Fact]
    public void Max_pooling_takes_the_first_of_equal_maxima_and_lets_NaN_through()
    {
        var s = new PoolingShape(1, 2, 4, 2, 2, 2, 2);
        float[] x = [1, 5, 2, 2, 5, 0, float.NaN, 2];
        var a = new float[2];
        var indices = new int[2];
        PoolingKernels.MaxForward(x, a, indices, 1, s);
        Assert.Equal(5f, a[0]);
        Assert.Equal(1, indices[0]); // the 5 at (0, 1), not the one at (1, 0)
        Assert.True(float.IsNaN(a[1]));
        Assert.Equal(6, indices[1]);

        var dx = new float[8];
        PoolingKernels.MaxBackward([10f, 20f], indices, dx, 1, s);
        Assert.Equal(new float[] { 0, 10, 0, 0, 0, 0, 20, 0 }, dx);
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(3, 2)] // the window loop that is not unrolled
    public void Max_pooling_follows_the_sequential_rule_for_signed_zeros_infinities_and_NaNs(int size, int stride)
    {
        // PyTorch's rule, value by value in row-major order: a value replaces the maximum if it is greater, and the first
        // NaN wins. −0 and +0 are equal (the first stays), and a NaN of either sign beats +∞.
        float negativeNaN = BitConverter.Int32BitsToSingle(unchecked((int)0xFFC00001));
        float[] values = [0f, -0f, 1f, -1f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, negativeNaN, float.MaxValue, -float.Epsilon, float.Epsilon];
        var s = new PoolingShape(2, 9, 8, size, size, stride, stride);
        var rng = new Rng(5);
        for (int trial = 0; trial < 50; trial++)
        {
            var x = new float[s.InSize];
            for (int i = 0; i < x.Length; i++) x[i] = values[rng.NextInt(trial < 25 ? 4 : values.Length)];
            var a = new float[s.OutSize];
            var indices = new int[s.OutSize];
            PoolingKernels.MaxForward(x, a, indices, 1, s);
            for (int c = 0, o = 0; c < 2; c++)
                for (int oy = 0; oy < s.OutHeight; oy++)
                    for (int ox = 0; ox < s.OutWidth; ox++, o++)
                    {
                        int best = -1;
                        for (int ky = 0; ky < size; ky++)
                            for (int kx = 0; kx < size; kx++)
                            {
                                int at = c * 72 + (oy * stride + ky) * 8 + ox * stride + kx;
                                if (best < 0 || x[at] > x[best] || (float.IsNaN(x[at]) && !float.IsNaN(x[best]))) best = at;
                            }
                        Assert.Equal(best - c * 72, indices[o]);
                        Assert.Equal(BitConverter.SingleToInt32Bits(x[best]), BitConverter.SingleToInt32Bits(a[o]));
                    }
        }
    }

    [Theory]
    [InlineData(3, 7, 6, 2, 2)]
    [InlineData(2, 7, 7, 3, 2)] // overlapping windows
    [InlineData(1, 5, 9, 3, 3)] // the last partial window dropped
    public void Pooling_matches_its_definition(int channels, int h, int w, int size, int stride)
    {
        var s = new PoolingShape(channels, h, w, size, size, stride, stride);
        const int batch = 2;
        var rng = new Rng(9);
        float[] x = TestData.Normal(batch * s.InSize, rng), dy = TestData.Normal(batch * s.OutSize, rng);
        var max = new float[batch * s.OutSize];
        var average = new float[batch * s.OutSize];
        var indices = new int[batch * s.OutSize];
        PoolingKernels.MaxForward(x, max, indices, batch, s);
        PoolingKernels.AverageForward(x, average, batch, s);
        var dxAverage = new double[x.Length];
        var dxMax = new double[x.Length];
        for (int q = 0; q < batch * channels; q++)
            for (int oy = 0; oy < s.OutHeight; oy++)
                for (int ox = 0; ox < s.OutWidth; ox++)
                {
                    int o = (q * s.OutHeight + oy) * s.OutWidth + ox;
                    var window = (from ky in Enumerable.Range(0, size) from kx in Enumerable.Range(0, size)
                                  select q * h * w + (oy * stride + ky) * w + ox * stride + kx).ToArray();
                    Assert.Equal(window.Max(i => x[i]), max[o]);
                    Assert.Equal(window.Average(i => (double)x[i]), average[o], 1e-5);
                    foreach (int i in window) dxAverage[i] += dy[o] / (double)(size * size);
                    dxMax[window.First(i => x[i] == window.Max(j => x[j]))] += dy[o];
                }
        var dx = new float[x.Length];
        PoolingKernels.AverageBackward(dy, dx, batch, s);
        AssertClose(dxAverage, dx);
        PoolingKernels.MaxBackward(dy, indices, dx, batch, s);
        AssertClose(dxMax, dx);
    }

    [Fact]
    public void Global_average_pooling_is_the_mean_of_each_plane_and_spreads_its_gradient_evenly()
    {
        float[] x = [1, 2, 3, 4, 10, 20, 30, 40];
        var a = new float[2];
        PoolingKernels.GlobalAverageForward(x, a, 1, 2, 4);
        Assert.Equal(new float[] { 2.5f, 25f }, a);
        var dx = new float[8];
        PoolingKernels.GlobalAverageBackward([4f, 8f], dx, 1, 2, 4);
        Assert.Equal(new float[] { 1, 1, 1, 1, 2, 2, 2, 2 }, dx);
    }

    [Fact]
    public void Spatial_dropout_drops_whole_channels_and_scales_the_rest()
    {
        const int batch = 4, channels = 50, plane = 9;
        var x = Enumerable.Repeat(1f, batch * channels * plane).ToArray();
        var a = new float[x.Length];
        var mask = new float[batch * channels];
        ElementwiseKernels.SpatialDropoutForward(x, mask, a, batch, channels, plane, 0.5f, new Rng(3));
        int dropped = 0;
        for (int q = 0; q < batch * channels; q++)
        {
            float value = a[q * plane];
            Assert.True(value is 0f or 2f, $"channel {q} scaled by {value}");
            Assert.All(a.AsSpan(q * plane, plane).ToArray(), v => Assert.Equal(value, v));
            if (value == 0f) dropped++;
        }
        Assert.InRange(dropped, 70, 130);
        var dx = new float[x.Length];
        ElementwiseKernels.SpatialDropoutBackward(x, mask, dx, batch, channels, plane);
        Assert.Equal(a, dx);
    }

    private static double[] Reference(float[] x, float[] weights, float[] bias, int batch, ConvolutionShape s)
    {
        var y = new double[batch * s.OutSize];
        for (int r = 0; r < batch; r++)
        {
            for (int o = 0; o < s.OutChannels; o++)
                for (int p = 0; p < s.Positions; p++) y[r * s.OutSize + o * s.Positions + p] = bias[o];
            ForEachTap(s, (o, oy, ox, i, iy, ix, ky, kx) =>
                y[r * s.OutSize + (o * s.OutHeight + oy) * s.OutWidth + ox] +=
                    (double)weights[((o * s.InChannels + i) * s.KernelHeight + ky) * s.KernelWidth + kx] * x[r * s.InSize + (i * s.Height + iy) * s.Width + ix]);
        }
        return y;
    }

    // The seven loops: every (output channel, output position, input channel, kernel tap) whose input lies inside.
    private static void ForEachTap(ConvolutionShape s, Action<int, int, int, int, int, int, int, int> visit)
    {
        for (int o = 0; o < s.OutChannels; o++)
            for (int oy = 0; oy < s.OutHeight; oy++)
                for (int ox = 0; ox < s.OutWidth; ox++)
                    for (int i = 0; i < s.InChannels; i++)
                        for (int ky = 0; ky < s.KernelHeight; ky++)
                            for (int kx = 0; kx < s.KernelWidth; kx++)
                            {
                                int iy = oy * s.StrideHeight - s.PaddingHeight + ky, ix = ox * s.StrideWidth - s.PaddingWidth + kx;
                                if (iy >= 0 && iy < s.Height && ix >= 0 && ix < s.Width) visit(o, oy, ox, i, iy, ix, ky, kx);
                            }
    }

    private static void AssertClose(double[] expected, float[] actual)
    {
        double scale = Math.Max(1, expected.Max(Math.Abs));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * scale, $"value {i}: expected {expected[i]}, got {actual[i]}");
    }
}
