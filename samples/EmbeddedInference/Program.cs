// Inference as an app would do it: load the weights and input standardization the FashionMnist sample
// saved, then classify test images one at a time with zero allocations, timing each.
// usage: EmbeddedInference [model folder, default ./fashion-mnist-output] [data folder, default /usr/share/datasets/fashion-mnist]
using System.Diagnostics;
using FashionMnist;
using StaticNets;

string modelFolder = args.Length > 0 ? args[0] : "fashion-mnist-output";
string dataFolder = args.Length > 1 ? args[1] : "/usr/share/datasets/fashion-mnist";
string weights = Path.Combine(modelFolder, "fashion-mnist.snw"), standardization = Path.Combine(modelFolder, "standardizer.json");
if (!File.Exists(weights) || !File.Exists(standardization))
{
    Console.Error.WriteLine($"No trained model in '{Path.GetFullPath(modelFolder)}'. Train one first:\n  dotnet run -c Release --project samples/FashionMnist -- --output {modelFolder}");
    return 1;
}
string images = Path.Combine(dataFolder, "t10k-images-idx3-ubyte.gz"), labels = Path.Combine(dataFolder, "t10k-labels-idx1-ubyte.gz");
if (!File.Exists(images) || !File.Exists(labels))
{
    Console.Error.WriteLine($"No Fashion-MNIST test files in '{dataFolder}' (apt-get install dataset-fashion-mnist, or pass the folder).");
    return 1;
}

try
{
    var net = new FashionMlp(maxBatchSize: 1);
    WeightsFile.Load(net, weights);
    Standardizer standardizer = Standardizer.Load(standardization);
    Dataset test = Idx.LoadClassification(images, labels);

    Span<float> pixels = stackalloc float[FashionMlp.InputSize];
    Span<float> probabilities = stackalloc float[FashionMlp.OutputSize];
    Classify(net, standardizer, test.FeaturesOf(0), pixels, probabilities); // the first call pays for JIT compilation and folding BatchNorm into the weights

    const int shown = 12, timed = 2000;
    Console.WriteLine("image  true          predicted     probability  latency");
    for (int i = 0; i < shown; i++)
    {
        long start = Stopwatch.GetTimestamp();
        int predicted = Classify(net, standardizer, test.FeaturesOf(i), pixels, probabilities);
        double microseconds = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        Console.WriteLine($"{i,5}  {FashionMlp.Classes[test.Labels![i]],-12}  {FashionMlp.Classes[predicted],-12}  {probabilities[predicted],11:P1}  {microseconds,6:F1} µs");
    }

    long allocated = GC.GetAllocatedBytesForCurrentThread();
    long begin = Stopwatch.GetTimestamp();
    int correct = 0;
    for (int i = 0; i < timed; i++)
        if (Classify(net, standardizer, test.FeaturesOf(i), pixels, probabilities) == test.Labels![i]) correct++;
    double perImage = Stopwatch.GetElapsedTime(begin).TotalMicroseconds / timed;
    allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
    Console.WriteLine($"\n{timed} images: {perImage:F1} µs per image (standardize + predict), accuracy {correct / (double)timed:P1}, {allocated} bytes allocated");
    return 0;

    // What an app does per image: standardize as in training, predict, take the likeliest class.
    static int Classify(FashionMlp net, Standardizer standardizer, ReadOnlySpan<float> image, Span<float> pixels, Span<float> probabilities)
    {
        standardizer.Transform(image, pixels);
        net.Predict(pixels, probabilities);
        return System.Numerics.Tensors.TensorPrimitives.IndexOfMax(probabilities);
    }
}
catch (Exception e) when (e is IOException or InvalidDataException)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 1;
}
