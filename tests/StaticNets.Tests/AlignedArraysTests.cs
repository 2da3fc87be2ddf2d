namespace StaticNets.Tests;

public class AlignedArraysTests
{
    private static unsafe long AddressOf(ReadOnlySpan<float> span)
    {
        fixed (float* first = span) return (long)first;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(1000)]
    [InlineData(200_000)]
    public void Allocate_returns_zeroed_floats_starting_on_a_cache_line(int length)
    {
        for (int i = 0; i < 20; i++) // many allocations, so several starting misalignments are met
        {
            ArraySegment<float> block = AlignedArrays.Allocate(length);
            Assert.Equal(length, block.Count);
            Assert.True(block.Offset + block.Count <= block.Array!.Length);
            if (length > 0) Assert.Equal(0, AddressOf(block) % AlignedArrays.Alignment);
            Assert.All(block, v => Assert.Equal(0f, v));
        }
    }

    [Fact]
    public void Allocate_rejects_negative_and_oversized_lengths()
    {
        Assert.Equal("length", Assert.Throws<ArgumentOutOfRangeException>(() => AlignedArrays.Allocate(-1)).ParamName);
        Assert.Equal("length", Assert.Throws<ArgumentOutOfRangeException>(() => AlignedArrays.Allocate(Array.MaxLength)).ParamName);
    }

    [Fact]
    public void Generated_networks_keep_parameters_gradients_and_outputs_aligned()
    {
        for (int seed = 0; seed < 5; seed++)
        {
            var net = new MnistMlp(seed, maxBatchSize: 3);
            net.ComputeGradients(new float[3 * 784], [1, 2, 3], 3);
            Assert.Equal(0, AddressOf(net.Parameters) % AlignedArrays.Alignment);
            Assert.Equal(0, AddressOf(net.Gradients) % AlignedArrays.Alignment);
            Assert.Equal(0, AddressOf(net.BatchOutputs) % AlignedArrays.Alignment);
        }
    }
}
