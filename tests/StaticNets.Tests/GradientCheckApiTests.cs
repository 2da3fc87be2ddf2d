using Xunit.Abstractions;

namespace StaticNets.Tests;

/// <summary>The public <see cref="GradientCheck"/>: correct gradients pass, a wrong one fails and is named, nothing is disturbed.</summary>
public class GradientCheckApiTests(ITestOutputHelper output)
{
    public static TheoryData<string> TrainableNetworks()
    {
        var data = new TheoryData<string>();
        foreach (var (name, factory) in NetworkFactories.All)
            if (factory(0) is ITrainableNetwork) data.Add(name);
        return data;
    }

    private static GradientCheckResult Check(ITrainableNetwork net, int batch, Rng rng, GradientCheckOptions? options = null)
    {
        float[] inputs = TestData.Normal(batch * net.InputSize, rng);
        var targets = TestData.TargetsFor(net, batch, rng);
        return net.Loss == Loss.SoftmaxCrossEntropy
            ? GradientCheck.Run(net, inputs, targets.Labels, batch, options)
            : GradientCheck.Run(net, inputs, targets.Targets, batch, options);
    }

    [Theory]
    [MemberData(nameof(TrainableNetworks))]
    public void The_generated_gradients_pass(string name)
    {
        var net = (ITrainableNetwork)NetworkFactories.All[name](3);
        var result = Check(net, Math.Max(4, net.MinBatchSize), new Rng(21));
        output.WriteLine(result.ToString());
        Assert.True(result.Passed, result.ToString());
        Assert.Equal(net.ParameterTensors.Length + 1, result.Tensors.Count);
    }

    [Theory]
    [InlineData("dense2.weight", 1.1f)]
    [InlineData("dense3.bias", -1f)]
    [InlineData("layernorm1.weight", 0.9f)]
    public void A_wrong_gradient_fails_and_names_its_layer(string tensor, float factor)
    {
        Assert.True(Check(new LayerNormNet(seed: 3), 6, new Rng(5)).Passed); // the same data with the right gradients
        var result = Check(new WrongGradient(new LayerNormNet(seed: 3), tensor, factor), 6, new Rng(5));
        output.WriteLine(result.ToString());
        Assert.False(result.Passed);
        Assert.Equal([tensor[..tensor.LastIndexOf('.')]], result.FailingLayers);
        Assert.Equal(tensor, result.Worst.Tensor);
        Assert.Contains("FAILED: " + tensor[..tensor.LastIndexOf('.')], result.ToString());
    }

    [Fact]
    public void The_check_leaves_parameters_state_and_random_stream_as_they_were()
    {
        ITrainableNetwork net = new DeepStackNet(seed: 4), twin = new DeepStackNet(seed: 4);
        float[] parameters = net.Parameters.ToArray(), state = net.State.ToArray();
        Check(net, 6, new Rng(8));
        Assert.Equal(parameters, net.Parameters.ToArray());
        Assert.Equal(state, net.State.ToArray());
        // The network's own dropout stream did not move: its next step draws what an untouched twin draws.
        var rng = new Rng(9);
        float[] x = TestData.Normal(6 * net.InputSize, rng);
        int[] labels = TestData.Labels(6, net.OutputSize, rng);
        Assert.Equal(twin.ComputeGradients(x, labels, 6), net.ComputeGradients(x, labels, 6));
        Assert.Equal(twin.Gradients.ToArray(), net.Gradients.ToArray());
    }

    [Fact]
    public void Bad_arguments_are_named()
    {
        ITrainableNetwork net = new BatchNormNet(seed: 1);
        int n = net.InputSize, m = net.OutputSize;
        var wrongLength = Assert.Throws<ArgumentException>(() => GradientCheck.Run(net, new float[7], new float[6 * m], 6));
        Assert.Contains("inputs has 7 values", wrongLength.Message);
        var labels = Assert.Throws<ArgumentException>(() => GradientCheck.Run(net, new float[6 * n], new int[6], 6));
        Assert.Contains("MeanSquaredError", labels.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientCheck.Run(net, new float[n], new float[m], 1)); // BatchNorm needs 2
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientCheck.Run(net, new float[6 * n], new float[6 * m], 6, new GradientCheckOptions { Step = 0 }));
    }

    /// <summary>A network whose gradient for one tensor is scaled: the bug a gradient check exists to find.</summary>
    private sealed class WrongGradient(ITrainableNetwork inner, string tensor, float factor) : ITrainableNetwork
    {
        public int InputSize => inner.InputSize;
        public int OutputSize => inner.OutputSize;
        public int MaxBatchSize => inner.MaxBatchSize;
        public Loss Loss => inner.Loss;
        public string Architecture => inner.Architecture;
        public Span<float> Parameters => inner.Parameters;
        public ReadOnlySpan<ParameterTensor> ParameterTensors => inner.ParameterTensors;
        public Span<float> State => inner.State;
        public ReadOnlySpan<ParameterTensor> StateTensors => inner.StateTensors;
        public ParameterWrite BeginWrite() => inner.BeginWrite();
        public void Predict(ReadOnlySpan<float> input, Span<float> outputs) => inner.Predict(input, outputs);
        public void PredictLogits(ReadOnlySpan<float> input, Span<float> logits) => inner.PredictLogits(input, logits);
        public void PredictBatch(ReadOnlySpan<float> inputs, Span<float> outputs, int batchSize) => inner.PredictBatch(inputs, outputs, batchSize);
        public Span<float> Gradients => inner.Gradients;
        public ITrainableNetwork CreateReplica(int stream) => new WrongGradient(inner.CreateReplica(stream), tensor, factor);
        public int MinBatchSize => inner.MinBatchSize;
        public ReadOnlySpan<float> BatchOutputs => inner.BatchOutputs;
        public float ComputeLoss(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, int batchSize) => inner.ComputeLoss(inputs, labels, batchSize);
        public float ComputeLoss(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize) => inner.ComputeLoss(inputs, targets, batchSize);

        public float ComputeGradients(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, int batchSize, Span<float> inputGradients = default) =>
            Spoil(inner.ComputeGradients(inputs, labels, batchSize, inputGradients));

        public float ComputeGradients(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize, Span<float> inputGradients = default) =>
            Spoil(inner.ComputeGradients(inputs, targets, batchSize, inputGradients));

        private float Spoil(float loss)
        {
            foreach (var t in inner.ParameterTensors)
                if (t.Name == tensor)
                    foreach (ref float g in inner.Gradients.Slice(t.Offset, t.Length)) g *= factor;
            return loss;
        }
    }
}
