// XOR: the smallest problem a linear model cannot solve. A 2-8-1 tanh network learns it.
using StaticNets;

const string Usage = """
    Trains a 2-8-1 tanh network on XOR and prints its four predictions.

    usage: Xor [--help]
    """;
if (args is ["--help" or "-h"])
{
    Console.WriteLine(Usage);
    return 0;
}
if (args.Length > 0)
{
    Console.Error.WriteLine($"error: unknown option '{args[0]}'.\n\n{Usage}");
    return 2;
}

float[] inputs = [0, 0, 0, 1, 1, 0, 1, 1];
float[] targets = [0, 1, 1, 0];
var data = Dataset.Regression(inputs, featureCount: 2, targets);

var net = new XorNet(seed: 1, maxBatchSize: 4);
var trainer = new Trainer<XorNet>(net, new Sgd(learningRate: 0.5f), batchSize: 4);
var history = trainer.Fit(data, epochs: 2000);
Console.WriteLine($"final loss {history[^1].TrainLoss:F5}, accuracy {history[^1].TrainAccuracy:P0}");

Span<float> probability = stackalloc float[XorNet.OutputSize];
for (int i = 0; i < 4; i++)
{
    net.Predict(inputs.AsSpan(i * 2, 2), probability);
    Console.WriteLine($"{inputs[i * 2]} xor {inputs[i * 2 + 1]} -> {probability[0]:F3}");
}
return 0;

[Network(Loss = Loss.SigmoidBinaryCrossEntropy)]
[Input(2)]
[Dense(8)] [Tanh]
[Dense(1)]
public partial class XorNet;
