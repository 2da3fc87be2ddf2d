using StaticNets.Kernels;

namespace StaticNets.Tests;

/// <summary>The packed inference kernel against a scalar double loop over the unpacked weights.</summary>
public class PackedDenseKernelTests
{
    private static (float[] Weights, float[] Bias) Packed(float[] w, float[] b, float[]? scale, float[]? shift, int inSize, int outSize)
    {
        var packed = new float[PackedDenseKernels.PackedLength(inSize, outSize)];
        var packedBias = new float[PackedDenseKernels.PaddedOutputs(outSize)];
        PackedDenseKernels.Pack(w, b, scale, shift, packed, packedBias, inSize, outSize);
        return (packed, packedBias);
    }

    private static void AssertMatchesScalar(float[] x, float[] w, float[] b, float[]? scale, float[]? shift, float[] a, int batch, int inSize, int outSize, bool relu)
    {
        for (int r = 0; r < batch; r++)
            for (int o = 0; o < outSize; o++)
            {
                double s = scale?[o] ?? 1.0;
                double expected = s * b[o] + (shift?[o] ?? 0.0), absSum = Math.Abs(expected);
                for (int i = 0; i < inSize; i++)
                {
                    double term = (double)x[r * inSize + i] * (float)(s * w[o * inSize + i]);
                    expected += term;
                    absSum += Math.Abs(term);
                }
                if (relu) expected = Math.Max(0, expected);
                float actual = a[r * outSize + o];
                Assert.True(Math.Abs(actual - expected) <= (inSize + 2) * 1.2e-7 * absSum + 1e-30,
                    $"in {inSize}, out {outSize}, batch {batch}, row {r}, output {o}: got {actual}, expected {expected}");
            }
    }

    [Fact]
    public void Forward_matches_scalar_for_every_input_length_up_to_256()
    {
        var rng = new Rng(11);
        foreach (int outSize in new[] { 1, 4, 10, 32 })
            for (int inSize = 0; inSize <= 256; inSize += inSize < 40 ? 1 : 7)
                foreach (int batch in new[] { 1, 2, 3 })
                {
                    float[] x = TestData.Normal(batch * inSize, rng), w = TestData.Normal(outSize * inSize, rng), b = TestData.Normal(outSize, rng);
                    var (pw, pb) = Packed(w, b, null, null, inSize, outSize);
                    var a = new float[batch * outSize];
                    PackedDenseKernels.Forward(x, pw, pb, a, batch, inSize, outSize, default(Kernels.ReLU));
                    AssertMatchesScalar(x, w, b, null, null, a, batch, inSize, outSize, relu: true);
                }
    }

    [Fact]
    public void Forward_matches_scalar_for_every_output_width_and_odd_batches()
    {
        var rng = new Rng(12);
        foreach (int inSize in new[] { 1, 5, 33, 100 })
            for (int outSize = 1; outSize <= 300; outSize += outSize < 70 ? 1 : 23)
                foreach (int batch in new[] { 1, 7, 8, 9, 17 })
                {
                    float[] x = TestData.Normal(batch * inSize, rng), w = TestData.Normal(outSize * inSize, rng), b = TestData.Normal(outSize, rng);
                    var (pw, pb) = Packed(w, b, null, null, inSize, outSize);
                    var a = new float[batch * outSize];
                    PackedDenseKernels.Forward(x, pw, pb, a, batch, inSize, outSize, default(Identity));
                    AssertMatchesScalar(x, w, b, null, null, a, batch, inSize, outSize, relu: false);
                }
    }

    [Fact]
    public void Activations_on_vectors_and_on_the_partial_panel_equal_the_scalar_forms()
    {
        var rng = new Rng(15);
        const int inSize = 21, outSize = 70, batch = 9; // two full panels and a partial one
        float[] x = TestData.Normal(batch * inSize, rng), w = TestData.Normal(outSize * inSize, rng), b = TestData.Normal(outSize, rng);
        var (pw, pb) = Packed(w, b, null, null, inSize, outSize);
        var z = new float[batch * outSize];
        PackedDenseKernels.Forward(x, pw, pb, z, batch, inSize, outSize, default(Identity));
        Assert.Contains(z, v => v < 0);
        AssertActivation(default(Kernels.ReLU));
        AssertActivation(new LeakyReLU(0.1f));
        AssertActivation(default(Kernels.Tanh));

        void AssertActivation<TAct>(TAct activation) where TAct : struct, IActivation
        {
            var a = new float[batch * outSize];
            PackedDenseKernels.Forward(x, pw, pb, a, batch, inSize, outSize, activation);
            Assert.Equal(z.Select(activation.Forward).ToArray(), a);
        }
    }

    [Fact]
    public void Packing_folds_a_per_output_scale_and_shift()
    {
        var rng = new Rng(13);
        const int inSize = 37, outSize = 70, batch = 9;
        float[] x = TestData.Normal(batch * inSize, rng), w = TestData.Normal(outSize * inSize, rng), b = TestData.Normal(outSize, rng);
        float[] scale = TestData.Normal(outSize, rng), shift = TestData.Normal(outSize, rng);
        var (pw, pb) = Packed(w, b, scale, shift, inSize, outSize);
        var a = new float[batch * outSize];
        PackedDenseKernels.Forward(x, pw, pb, a, batch, inSize, outSize, default(Identity));
        AssertMatchesScalar(x, w, b, scale, shift, a, batch, inSize, outSize, relu: false);
    }

    [Fact]
    public void Without_bias_the_outputs_are_the_plain_products()
    {
        float[] w = [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1];
        var (pw, pb) = Packed(w, [], null, null, 3, 4);
        var a = new float[4];
        PackedDenseKernels.Forward([1f, 2f, 3f], pw, pb, a, 1, 3, 4, default(Identity));
        Assert.Equal([1f, 2f, 3f, 6f], a);
    }

    [Theory]
    [InlineData(50, 10)]   // one panel: the four-way split path
    [InlineData(50, 100)]  // four panels
    [InlineData(30, 170)]  // six panels: an overlapping last group for single rows
    public void A_sample_gets_the_same_bits_alone_or_in_any_batch(int inSize, int outSize)
    {
        var rng = new Rng(14);
        const int batch = 19;
        float[] x = TestData.Normal(batch * inSize, rng), w = TestData.Normal(outSize * inSize, rng), b = TestData.Normal(outSize, rng);
        var (pw, pb) = Packed(w, b, null, null, inSize, outSize);
        var all = new float[batch * outSize];
        PackedDenseKernels.Forward(x, pw, pb, all, batch, inSize, outSize, default(Identity));
        var one = new float[outSize];
        var single = new float[outSize];
        for (int r = 0; r < batch; r++)
        {
            PackedDenseKernels.Forward(x.AsSpan(r * inSize, inSize), pw, pb, one, 1, inSize, outSize, default(Identity));
            Assert.Equal(all.AsSpan(r * outSize, outSize).ToArray(), one);
            PackedDenseKernels.ForwardOne(x.AsSpan(r * inSize, inSize), pw, pb, single, inSize, outSize, default(Identity));
            Assert.Equal(one, single);
        }
    }

    // Without AVX the one-sample kernel loads weights aligned when their address allows it (Simd128Aligned): a weights
    // span at any other address must take the unaligned path, with the same bits, never a fault.
    [Theory]
    [InlineData(50, 10)]
    [InlineData(30, 170)]
    public void One_sample_gets_the_same_bits_from_weights_at_any_address(int inSize, int outSize)
    {
        var rng = new Rng(15);
        float[] x = TestData.Normal(inSize, rng), w = TestData.Normal(outSize * inSize, rng), b = TestData.Normal(outSize, rng);
        var (pw, pb) = Packed(w, b, null, null, inSize, outSize);
        var expected = new float[outSize];
        PackedDenseKernels.Forward(x, pw, pb, expected, 1, inSize, outSize, default(ReLU));
        for (int offset = 0; offset < AlignedArrays.FloatsPerLine; offset++)
        {
            var shifted = GC.AllocateArray<float>(pw.Length + AlignedArrays.FloatsPerLine, pinned: true);
            pw.CopyTo(shifted, offset);
            var actual = new float[outSize];
            PackedDenseKernels.ForwardOne(x, shifted.AsSpan(offset, pw.Length), pb, actual, inSize, outSize, default(ReLU));
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Wrong_lengths_name_the_span()
    {
        var (pw, pb) = Packed(new float[12], new float[4], null, null, 3, 4);
        var e = Assert.Throws<ArgumentException>(() => PackedDenseKernels.Forward(new float[3], pw.AsSpan(1), pb, new float[4], 1, 3, 4, default(Identity)));
        Assert.Equal("packedWeights", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => PackedDenseKernels.Forward(new float[3], pw, pb, new float[5], 1, 3, 4, default(Identity)));
        Assert.Equal("output", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => PackedDenseKernels.ForwardOne(new float[2], pw, pb, new float[4], 3, 4, default(Identity)));
        Assert.Equal("input", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => PackedDenseKernels.ForwardOne(new float[3], pw, pb.AsSpan(1), new float[4], 3, 4, default(Identity)));
        Assert.Equal("packedBias", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => PackedDenseKernels.Pack(new float[12], new float[4], new float[3], default, pw, pb, 3, 4));
        Assert.Equal("scale", e.ParamName);
    }
}
