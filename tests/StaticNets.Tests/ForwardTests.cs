using StaticNets.Tests.Reference;

namespace StaticNets.Tests;

public class ForwardTests
{
    public static TheoryData<string> Networks() => new(NetworkFactories.All.Keys);

    [Theory]
    [MemberData(nameof(Networks))]
    public void Batched_forward_equals_single_sample_forwards(string name)
    {
        INetwork net = NetworkFactories.All[name](1);
        const int batch = 7;
        float[] inputs = TestData.Normal(batch * net.InputSize, new Rng(5));
        var batched = new float[batch * net.OutputSize];
        net.PredictBatch(inputs, batched, batch);

        var single = new float[net.OutputSize];
        for (int r = 0; r < batch; r++)
        {
            net.Predict(inputs.AsSpan(r * net.InputSize, net.InputSize), single);
            // Same kernels on the same row: bit-identical, not just close.
            Assert.Equal(single, batched.AsSpan(r * net.OutputSize, net.OutputSize).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void Predict_matches_the_double_precision_reference(string name)
    {
        INetwork net = NetworkFactories.All[name](1);
        var reference = new ReferenceNetwork(net);
        double[] p = TestData.AsDouble(net.Parameters), state = TestData.AsDouble(net.State);
        var rng = new Rng(9);
        var output = new float[net.OutputSize];
        for (int sample = 0; sample < 5; sample++)
        {
            float[] x = TestData.Normal(net.InputSize, rng);
            net.Predict(x, output);
            double[] expected = reference.Predict(p, state, x.Select(v => (double)v).ToArray());
            double scale = expected.Max(Math.Abs);
            for (int k = 0; k < expected.Length; k++)
                Assert.True(Math.Abs(output[k] - expected[k]) <= 1e-5 * Math.Max(scale, 1e-3),
                    $"{name}: output {k} is {output[k]} but the reference gives {expected[k]}");
        }
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void Predict_sees_parameters_written_after_an_earlier_prediction(string name)
    {
        // Inference reads a packed copy of the weights; handing out Parameters must mark it for repacking.
        INetwork net = NetworkFactories.All[name](1);
        var rng = new Rng(10);
        float[] x = TestData.Normal(net.InputSize, rng);
        var output = new float[net.OutputSize];
        net.Predict(x, output);
        Span<float> parameters = net.Parameters;
        for (int i = 0; i < parameters.Length; i++) parameters[i] *= 1.5f;
        net.Predict(x, output);
        double[] expected = new ReferenceNetwork(net).Predict(TestData.AsDouble(net.Parameters), TestData.AsDouble(net.State), x.Select(v => (double)v).ToArray());
        double scale = expected.Max(Math.Abs);
        for (int k = 0; k < expected.Length; k++)
            Assert.True(Math.Abs(output[k] - expected[k]) <= 1e-5 * Math.Max(scale, 1e-3),
                $"{name}: output {k} is {output[k]} but the reference gives {expected[k]} for the rewritten parameters");
    }

    [Fact]
    public void Classification_outputs_are_probabilities()
    {
        var net = new CrossEntropyNet(seed: 1);
        var probabilities = new float[CrossEntropyNet.OutputSize];
        net.Predict(TestData.Normal(CrossEntropyNet.InputSize, new Rng(2)), probabilities);
        Assert.All(probabilities, p => Assert.InRange(p, 0f, 1f));
        Assert.Equal(1.0, probabilities.Sum(), 5);

        var binary = new BinaryNet(seed: 1);
        var probability = new float[1];
        binary.Predict(TestData.Normal(BinaryNet.InputSize, new Rng(2), std: 100), probability);
        Assert.InRange(probability[0], 0f, 1f);
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void PredictLogits_gives_the_last_layers_values_before_the_output_function(string name)
    {
        INetwork net = NetworkFactories.All[name](1);
        float[] x = TestData.Normal(net.InputSize, new Rng(11));
        var logits = new float[net.OutputSize];
        var output = new float[net.OutputSize];
        net.PredictLogits(x, logits);
        net.Predict(x, output);
        // The same forward as PredictBatch, whose BatchOutputs are the raw values.
        var batch = new float[net.OutputSize];
        net.PredictBatch(x, batch, 1);
        if (net is ITrainableNetwork trainable)
            Assert.Equal(trainable.BatchOutputs.ToArray(), logits);
        switch (net.Loss)
        {
            case Loss.SoftmaxCrossEntropy:
                var softmax = new float[net.OutputSize];
                StaticNets.Kernels.OutputKernels.Softmax(logits, softmax, 1, net.OutputSize);
                Assert.Equal(output, softmax);
                break;
            case Loss.SigmoidBinaryCrossEntropy:
                Assert.Equal(output[0], StaticNets.Kernels.Sigmoid.Logistic(logits[0]));
                break;
            default:
                Assert.Equal(output, logits);
                break;
        }
        Assert.Equal(0, Allocations.Measure(() => net.PredictLogits(x, logits)));
    }

    [Fact]
    public void Extreme_logits_give_finite_loss_and_gradients()
    {
        // Logits of ±1000 overflow a naive softmax or sigmoid; the fused losses must stay finite.
        var net = new LinearCrossEntropy();
        net.Dense1Weights.Clear();
        net.Dense1Bias[0] = 1000f;
        net.Dense1Bias[1] = -1000f;
        float loss = net.ComputeGradients([0f, 0f], [1], 1);
        Assert.Equal(2000f, loss, 1e-3f);
        Assert.All(net.Gradients.ToArray(), g => Assert.True(float.IsFinite(g)));

        var binary = new LinearBinary();
        binary.Dense1Weights.Clear();
        binary.Dense1Bias[0] = -1000f;
        Assert.Equal(1000f, binary.ComputeGradients([0f, 0f], [1f], 1), 1e-3f);
        Assert.All(binary.Gradients.ToArray(), g => Assert.True(float.IsFinite(g)));
    }

    [Fact]
    public void Constant_init_and_bias_init_are_applied_in_nested_classes()
    {
        var net = new Outer.Inner.NestedNet();
        Assert.All(net.Dense1Weights.ToArray(), w => Assert.Equal(0.5f, w));
        Assert.All(net.Dense1Bias.ToArray(), b => Assert.Equal(0.25f, b));
        var y = new float[3];
        net.Predict([1f, 2f], y);
        Assert.All(y, v => Assert.Equal(1.75f, v));
    }

    [Fact]
    public void Inference_only_networks_predict_but_do_not_train()
    {
        INetwork net = new InferenceOnlyNet(seed: 4);
        Assert.IsNotAssignableFrom<ITrainableNetwork>(net);
        var y = new float[3];
        net.Predict([0.1f, 0.2f, 0.3f, 0.4f], y);
        Assert.All(y, v => Assert.InRange(v, -1f, 1f));
    }

    [Fact]
    public void Same_seed_gives_same_parameters_and_other_seeds_differ()
    {
        Assert.Equal(new MnistMlp(seed: 42).Parameters.ToArray(), new MnistMlp(seed: 42).Parameters.ToArray());
        Assert.NotEqual(new MnistMlp(seed: 42).Parameters.ToArray(), new MnistMlp(seed: 43).Parameters.ToArray());
    }

    [Fact]
    public void Parameter_tensors_tile_the_parameter_block()
    {
        foreach (var factory in NetworkFactories.All.Values)
        {
            INetwork net = factory(1);
            int next = 0;
            foreach (var t in net.ParameterTensors)
            {
                Assert.Equal(next, t.Offset);
                next += t.Length;
            }
            Assert.Equal(net.Parameters.Length, next);
        }
    }
}

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(2)] [Dense(2)]
public partial class LinearCrossEntropy;

[Network(Loss = Loss.SigmoidBinaryCrossEntropy)]
[Input(2)] [Dense(1)]
public partial class LinearBinary;

/// <summary>Every network under test by name, built from a seed: one list for all the per-network tests.</summary>
public static class NetworkFactories
{
    public static readonly Dictionary<string, Func<int, INetwork>> All = new()
    {
        ["ReluNet"] = seed => new ReluNet(seed),
        ["LeakyReluNet"] = seed => new LeakyReluNet(seed),
        ["EluNet"] = seed => new EluNet(seed),
        ["SeluNet"] = seed => new SeluNet(seed),
        ["SigmoidNet"] = seed => new SigmoidNet(seed),
        ["TanhNet"] = seed => new TanhNet(seed),
        ["GeluNet"] = seed => new GeluNet(seed),
        ["GeluTanhNet"] = seed => new GeluTanhNet(seed),
        ["SwishNet"] = seed => new SwishNet(seed),
        ["SoftplusNet"] = seed => new SoftplusNet(seed),
        ["MaxoutNet"] = seed => new MaxoutNet(seed),
        ["SoftmaxSmallNet"] = seed => new SoftmaxSmallNet(seed),
        ["SoftmaxWideNet"] = seed => new SoftmaxWideNet(seed),
        ["CrossEntropyNet"] = seed => new CrossEntropyNet(seed),
        ["CrossEntropyWideNet"] = seed => new CrossEntropyWideNet(seed),
        ["BinaryNet"] = seed => new BinaryNet(seed),
        ["NoBiasNet"] = seed => new NoBiasNet(seed),
        ["LinearNet"] = seed => new LinearNet(seed),
        ["MnistMlp"] = seed => new MnistMlp(seed),
        ["InferenceOnlyNet"] = seed => new InferenceOnlyNet(seed),
        ["BatchNormNet"] = seed => new BatchNormNet(seed),
        ["LayerNormNet"] = seed => new LayerNormNet(seed),
        ["PReLUNet"] = seed => new PReLUNet(seed),
        ["SkipNet"] = seed => new SkipNet(seed),
        ["DeepStackNet"] = seed => new DeepStackNet(seed),
        ["DropoutNet"] = seed => new DropoutNet(seed),
        ["ConvNet"] = seed => new ConvNet(seed),
        ["ConvBatchNormNet"] = seed => new ConvBatchNormNet(seed),
        ["ConvResidualNet"] = seed => new ConvResidualNet(seed),
        ["GroupNormNet"] = seed => new GroupNormNet(seed),
        ["InstanceNormNet"] = seed => new InstanceNormNet(seed),
        ["HeadsNet"] = seed => new HeadsNet(seed),
        ["HeadsBinaryNet"] = seed => new HeadsBinaryNet(seed),
        ["HeadsResidualNet"] = seed => new HeadsResidualNet(seed),
        ["HeadsConvNet"] = seed => new HeadsConvNet(seed),
    };
}
