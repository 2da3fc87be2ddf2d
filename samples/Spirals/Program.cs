// Two interleaved spirals: a nonlinear boundary a small network learns. Shows the training loop:
// a train/validation/test split, Adam with a cosine schedule, early stopping, history and weights files.
using StaticNets;

const string Usage = """
    Trains a 2-32-32-2 tanh network on two interleaved spirals, prints its progress and test accuracy, and saves the
    history and weights.

    usage: Spirals [options]
      --output DIR    where history.csv and spirals.snw are written     default <temp>/staticnets-spirals
      --help          this text
    """;
string output = Path.Combine(Path.GetTempPath(), "staticnets-spirals");
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--help" or "-h":
            Console.WriteLine(Usage);
            return 0;
        case "--output" when i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal):
            output = args[++i];
            break;
        case "--output":
            Console.Error.WriteLine($"error: --output needs a folder.\n\n{Usage}");
            return 2;
        default:
            Console.Error.WriteLine($"error: unknown option '{args[i]}'.\n\n{Usage}");
            return 2;
    }
}
try
{
    Directory.CreateDirectory(output); // now, so that a folder that cannot be made fails before training
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
{
    Console.Error.WriteLine($"error: --output '{output}' cannot be written: {e.Message}");
    return 2;
}

var (train, validation, test) = SyntheticData.Spirals(classes: 2, pointsPerClass: 300, seed: 7).Split(0.6, 0.2, seed: 1);
var net = new SpiralNet(seed: 3, maxBatchSize: 64);
var trainer = new Trainer<SpiralNet>(net, new Adam(0.01f), batchSize: 32, seed: 5)
{
    Schedule = new CosineSchedule(0.01f, totalEpochs: 150, warmupEpochs: 5),
    ClipNorm = 5f,
};

Console.WriteLine($"{train.Count} training, {validation.Count} validation, {test.Count} test samples; {SpiralNet.ParameterCount} parameters");
Console.WriteLine("epoch  lr        train loss  train acc  valid loss  valid acc");
var history = trainer.Fit(train, validation, epochs: 150, callbacks:
[
    new EarlyStopping(patience: 20),
    new EpochCallback(e =>
    {
        if (e.Epoch == 1 || e.Epoch % 10 == 0)
            Console.WriteLine($"{e.Epoch,5}  {e.LearningRate,-8:G3}  {e.TrainLoss,10:F4}  {e.TrainAccuracy,9:P1}  {e.ValidationLoss,10:F4}  {e.ValidationAccuracy,9:P1}");
    }),
]);
if (history.RestoredEpoch is int best)
    Console.WriteLine($"early stopping after epoch {history.Count}: restored the weights of epoch {best}");

var result = trainer.Evaluate(test);
Console.WriteLine($"test accuracy {result.Accuracy:P1} (loss {result.Loss:F4})");

history.SaveCsv(Path.Combine(output, "history.csv"));
WeightsFile.Save(net, Path.Combine(output, "spirals.snw"));
Console.WriteLine($"history and weights saved in {output}");
return 0;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(2)]
[Dense(32)] [Tanh]
[Dense(32)] [Tanh]
[Dense(2)]
public partial class SpiralNet;
