namespace StaticNets.Tests;

[Network(Loss = Loss.MeanSquaredError)]
[Input(512)] [Dense(512)] [Dense(512)]
public partial class SaveProbeNet;

/// <summary>
/// The test assembly's entry point, for tests that need a second process (the test host loads the assembly as a
/// library and never calls it): <c>dotnet exec StaticNets.Tests.dll save-loop KIND PATH</c> saves to PATH again and
/// again until it is killed, printing "ready" after the first save.
/// </summary>
public static class ChildProcess
{
    public static int Main(string[] args)
    {
        if (args is not ["save-loop", string kind, string path])
        {
            Console.Error.WriteLine("usage: save-loop weights|safetensors|standardizer PATH");
            return 2;
        }
        var net = new SaveProbeNet(seed: 1);
        Standardizer standardizer = Standardizer.Fit(TestData.Normal(2 * 40_000, new Rng(2)), 40_000);
        Action save = kind switch
        {
            "weights" => () => WeightsFile.Save(net, path),
            "safetensors" => () => SafeTensors.Save(net, path),
            "standardizer" => () => standardizer.Save(path),
            _ => throw new ArgumentException($"unknown kind '{kind}'"),
        };
        save();
        Console.WriteLine("ready");
        Console.Out.Flush();
        while (true) save();
    }
}
