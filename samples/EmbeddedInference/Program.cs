// Inference as an app would do it: load the weights and input standardization the FashionMnist sample saved, then
// classify test images one at a time with zero allocations, timing each. Runs the same under the JIT and published
// with NativeAOT (see the README).
using System.Diagnostics;
using FashionMnist;
using StaticNets;

const string Usage = """
    Classifies Fashion-MNIST test images one at a time with the model the FashionMnist sample saved.

    usage: EmbeddedInference [options]
      --model DIR     folder with the weights and standardizer.json          default ./fashion-mnist-output
      --network NAME  mlp (fashion-mnist.snw) or cnn (fashion-mnist-cnn.snw)  default mlp
      --int8          the model quantized to int8 (fashion-mnist[-cnn].int8.safetensors) instead of float32
      --data DIR      folder with the Fashion-MNIST files (else found as the FashionMnist sample finds them)
      --images N      how many test images to classify, from the first          default 10000 (all)
      --help          this text
    """;

string modelFolder = "fashion-mnist-output";
string? dataFolder = null;
Model network = Model.Mlp;
bool int8 = false;
int count = 10_000;
for (int i = 0; i < args.Length; i++)
{
    string option = args[i];
    string? value = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[i + 1] : null;
    switch (option)
    {
        case "--help" or "-h":
            Console.WriteLine(Usage);
            return 0;
        case "--model" when value is not null: modelFolder = value; i++; break;
        case "--data" when value is not null: dataFolder = value; i++; break;
        case "--images" when int.TryParse(value, out int n) && n is >= 1 and <= 10_000: count = n; i++; break;
        case "--network" when value is "mlp" or "cnn": network = value == "cnn" ? Model.Cnn : Model.Mlp; i++; break;
        case "--int8": int8 = true; break;
        case "--model" or "--data" or "--images" or "--network":
            string needs = option switch { "--images" => "a whole number from 1 to 10000", "--network" => "mlp or cnn", _ => "a folder" };
            Console.Error.WriteLine($"error: {option} needs {needs}.\n\n{Usage}");
            return 2;
        default:
            Console.Error.WriteLine($"error: unknown option '{option}'.\n\n{Usage}");
            return 2;
    }
}

string weights = Path.Combine(modelFolder, int8 ? Models.Int8FileName(network) : Models.WeightsFileName(network)), standardization = Path.Combine(modelFolder, "standardizer.json");
if (!File.Exists(weights) || !File.Exists(standardization))
{
    Console.Error.WriteLine($"No trained {(network == Model.Cnn ? "CNN" : "MLP")} in '{Path.GetFullPath(modelFolder)}'. Train one first:\n" +
        $"  dotnet run -c Release --project samples/FashionMnist -- --output {modelFolder}{(network == Model.Cnn ? " --model cnn" : "")}");
    return 1;
}
string? folder;
try
{
    folder = DataLocator.Find(dataFolder, Environment.GetEnvironmentVariable);
}
catch (OptionsException e)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 2;
}
if (folder is null)
{
    Console.Error.WriteLine(DataLocator.HowToGetIt);
    return 1;
}

try
{
    if (int8) return Run(new Int8(QuantizedNetwork.Load(weights)), standardization, folder, count);
    if (network == Model.Cnn)
    {
        var cnn = new FashionCnn(maxBatchSize: 1);
        WeightsFile.Load(cnn, weights);
        return Run(new Float<FashionCnn>(cnn), standardization, folder, count);
    }
    var mlp = new FashionMlp(maxBatchSize: 1);
    WeightsFile.Load(mlp, weights);
    return Run(new Float<FashionMlp>(mlp), standardization, folder, count);
}
catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 1;
}

// Generic over the classifier type, so Predict is a direct call the JIT (or NativeAOT) can inline into the loop.
static int Run<TClassifier>(TClassifier net, string standardization, string folder, int count) where TClassifier : struct, IClassifier
{
    Standardizer standardizer = Standardizer.Load(standardization);
    Dataset test = Idx.LoadClassification(DataLocator.PathOf(folder, "t10k-images-idx3-ubyte"), DataLocator.PathOf(folder, "t10k-labels-idx1-ubyte"));
    count = Math.Min(count, test.Count);

    Span<float> pixels = stackalloc float[net.InputSize];
    Span<float> probabilities = stackalloc float[net.OutputSize];
    Classify(net, standardizer, test.FeaturesOf(0), pixels, probabilities); // the first call builds the inference copy

    var latencies = new double[count];
    var predicted = new int[count];
    var confidence = new float[count];
    long allocated = GC.GetAllocatedBytesForCurrentThread();
    for (int i = 0; i < count; i++)
    {
        long start = Stopwatch.GetTimestamp();
        predicted[i] = Classify(net, standardizer, test.FeaturesOf(i), pixels, probabilities);
        latencies[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        confidence[i] = probabilities[predicted[i]];
    }
    allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

    Console.WriteLine("image  true          predicted     probability  latency");
    for (int i = 0; i < Math.Min(12, count); i++)
        Console.WriteLine($"{i,5}  {FashionMlp.Classes[test.Labels![i]],-12}  {FashionMlp.Classes[predicted[i]],-12}  {confidence[i],11:P1}  {latencies[i],6:F1} µs");
    int correct = Enumerable.Range(0, count).Count(i => predicted[i] == test.Labels![i]);
    Array.Sort(latencies);
    Console.WriteLine($"\naccuracy {correct / (double)count:F4} over {count} images");
    Console.WriteLine($"latency per image (standardize + predict): median {latencies[count / 2]:F2} µs, mean {latencies.Average():F2} µs; {allocated} bytes allocated");
    return 0;

    // What an app does per image: standardize as in training, predict, take the likeliest class.
    static int Classify(TClassifier net, Standardizer standardizer, ReadOnlySpan<float> image, Span<float> pixels, Span<float> probabilities)
    {
        standardizer.Transform(image, pixels);
        net.Predict(pixels, probabilities);
        return System.Numerics.Tensors.TensorPrimitives.IndexOfMax(probabilities);
    }
}

/// <summary>What the loop needs of a model: sizes and one-sample Predict.</summary>
internal interface IClassifier
{
    int InputSize { get; }
    int OutputSize { get; }
    void Predict(ReadOnlySpan<float> input, Span<float> output);
}

internal readonly struct Float<TNetwork>(TNetwork network) : IClassifier where TNetwork : INetwork
{
    public int InputSize => network.InputSize;
    public int OutputSize => network.OutputSize;
    public void Predict(ReadOnlySpan<float> input, Span<float> output) => network.Predict(input, output);
}

internal readonly struct Int8(QuantizedNetwork network) : IClassifier
{
    public int InputSize => network.InputSize;
    public int OutputSize => network.OutputSize;
    public void Predict(ReadOnlySpan<float> input, Span<float> output) => network.Predict(input, output);
}
