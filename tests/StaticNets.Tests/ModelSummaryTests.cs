namespace StaticNets.Tests;

/// <summary>The compile-time <c>Summary</c> of generated networks against their real tensors and hand-computed FLOPs.</summary>
public class ModelSummaryTests
{
    private static ModelSummary SummaryOf(INetwork net) =>
        (ModelSummary)net.GetType().GetProperty("Summary", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)!.GetValue(null)!;

    [Theory]
    [MemberData(nameof(ForwardTests.Networks), MemberType = typeof(ForwardTests))]
    public void Rows_and_totals_agree_with_the_networks_tensors(string name)
    {
        INetwork net = NetworkFactories.All[name](1);
        ModelSummary summary = SummaryOf(net);
        Assert.Equal(net.Parameters.Length, summary.TotalParameters);
        Assert.Equal(4L * net.Parameters.Length, summary.ParameterBytes);
        Assert.Equal(net.State.Length, summary.StateValues);
        // Each layer's parameters are the tensors named after it.
        foreach (var layer in summary.Layers)
        {
            long own = 0;
            foreach (var t in net.ParameterTensors)
                if (t.Name.StartsWith(layer.Name + ".", StringComparison.Ordinal)) own += t.Length;
            Assert.Equal(own, layer.Parameters);
        }
        Assert.Equal(net.OutputSize, summary.Layers[^1].OutputShape.Aggregate(1, (a, b) => a * b));
        Assert.Equal(net.InputSize, summary.InputShape.Aggregate(1, (a, b) => a * b));
        Assert.Equal(summary.Layers.Sum(l => l.Flops), summary.TotalFlops);
        Assert.True(summary.WorkspaceBytes(2) - summary.WorkspaceBytes(1) == 4 * summary.WorkspaceValuesPerSample);
    }

    [Fact]
    public void A_convolutional_network_counts_as_computed_by_hand()
    {
        // [Input(2, 6, 6)] [Conv2D(3, 3, padding: 1)] [ReLU] [MaxPool2D(2)] [Conv2D(4, 2)] [Tanh] [Flatten] [Dense(3)]
        ModelSummary s = ConvNet.Summary;
        Assert.Equal(["conv1", "relu1", "maxpool1", "conv2", "tanh1", "flatten1", "dense1"], s.Layers.Select(l => l.Name));
        Assert.Equal(["[3, 6, 6]", "[3, 6, 6]", "[3, 3, 3]", "[4, 2, 2]", "[4, 2, 2]", "[16]", "[3]"], s.Layers.Select(l => l.Shape));
        Assert.Equal([3 * 2 * 3 * 3 + 3, 0, 0, 4 * 3 * 2 * 2 + 4, 0, 0, 16 * 3 + 3], s.Layers.Select(l => l.Parameters));
        long[] flops =
        [
            (2 * 18 + 1) * 108, // conv1: 2·(2·3·3) per output and the bias, 3·6·6 outputs
            108,                // ReLU: one per value
            4 * 27,             // max pooling: the 4 values of each of 27 windows
            (2 * 12 + 1) * 16,  // conv2: 2·(3·2·2) and the bias, 4·2·2 outputs
            16,                 // tanh
            0,                  // flatten
            (2 * 16 + 1) * 3,   // dense: 2·16 and the bias, 3 outputs
        ];
        Assert.Equal(flops, s.Layers.Select(l => l.Flops));
        Assert.Equal(4727, s.TotalFlops);
        Assert.Equal(ConvNet.FlopsPerSample, s.TotalFlops);
        Assert.Equal(160, s.TotalParameters);
    }

    [Fact]
    public void Normalizations_count_per_value()
    {
        // [Input(7)] [Dense(19)] [BatchNorm] [ReLU] [Dense(5)] [BatchNorm(Momentum = 0.3f)] [Tanh] [Dense(9)] [ReLU] [BatchNorm] [Dense(3)]
        ModelSummary s = BatchNormNet.Summary;
        Assert.Equal(["dense1", "batchnorm1", "relu1", "dense2", "batchnorm2", "tanh1", "dense3", "relu2", "batchnorm3", "dense4"],
            s.Layers.Select(l => l.Name));
        Assert.Equal([(2 * 7 + 1) * 19, 2 * 19, 19, (2 * 19 + 1) * 5, 2 * 5, 5, (2 * 5 + 1) * 9, 9, 2 * 9, (2 * 9 + 1) * 3],
            s.Layers.Select(l => l.Flops));
        Assert.Equal([7 * 19 + 19, 2 * 19, 0, 19 * 5 + 5, 2 * 5, 0, 5 * 9 + 9, 0, 2 * 9, 9 * 3 + 3], s.Layers.Select(l => l.Parameters));
        Assert.Equal("BatchNorm(eps=1E-05,momentum=0.3)", s.Layers[4].Layer);
        Assert.Equal(2 * (19 + 5 + 9), s.StateValues); // each BatchNorm's running mean and variance
        Assert.Equal(new BatchNormNet().State.Length, s.StateValues);
    }

    [Fact]
    public void The_table_prints_every_layer_and_the_totals()
    {
        string table = ConvNet.Summary.ToString(maxBatchSize: 8);
        Assert.Contains("ConvNet", table);
        Assert.Contains("conv1", table);
        Assert.Contains("Conv2D(3,3x3,stride=1x1,padding=1x1)", table);
        Assert.Contains("[4, 2, 2]", table);
        Assert.Contains("parameters: 160 (640 B)", table);
        Assert.Contains("FLOPs per sample (inference): 4,727", table);
        Assert.Contains("at maxBatchSize 8", table);
        Assert.Equal(ConvNet.Summary.ToString(256), ConvNet.Summary.ToString());
    }
}
