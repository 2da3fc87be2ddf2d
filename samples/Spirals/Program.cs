// Two interleaved spirals: a nonlinear boundary that a small tanh network learns with plain SGD.
using StaticNets;

var data = SyntheticData.Spirals(classes: 2, pointsPerClass: 200, seed: 7);
var net = new SpiralNet(seed: 3, maxBatchSize: 32);
var trainer = new Trainer<SpiralNet>(net, new Sgd(learningRate: 0.3f), batchSize: 32, seed: 5);

trainer.Fit(data, epochs: 400, callbacks: [new EpochCallback(e =>
{
    if (e.Epoch % 50 == 0)
        Console.WriteLine($"epoch {e.Epoch,4}  loss {e.TrainLoss:F4}  accuracy {e.TrainAccuracy:P1}");
})]);

var result = trainer.Evaluate(data);
Console.WriteLine($"training accuracy {result.Accuracy:P1} (loss {result.Loss:F4})");

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(2)]
[Dense(32)] [Tanh]
[Dense(32)] [Tanh]
[Dense(2)]
public partial class SpiralNet;
