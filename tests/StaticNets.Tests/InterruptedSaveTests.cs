using System.Diagnostics;
using Xunit.Abstractions;

namespace StaticNets.Tests;

/// <summary>
/// Saves killed with SIGKILL at random moments, in a real second process: the target is always whole, and the next
/// save of the same target removes the temporary files the killed ones left.
/// </summary>
public sealed class InterruptedSaveTests(ITestOutputHelper output) : IDisposable
{
    private const int Kills = 10;
    private readonly string _folder = Directory.CreateTempSubdirectory("staticnets-killed-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("weights")]
    [InlineData("safetensors")]
    [InlineData("standardizer")]
    public void A_save_killed_midway_leaves_the_target_whole_and_the_next_save_clears_its_leftovers(string kind)
    {
        string target = Path.Combine(_folder, "model." + kind);
        var rng = new Rng(17);
        int leftBehind = 0;
        for (int kill = 0; kill < Kills; kill++)
        {
            using Process child = Start(kind, target);
            // Kill at a random moment, but while a save is writing its temporary file (the rest of the loop is
            // serialization in memory, where a kill leaves nothing to test).
            var clock = Stopwatch.StartNew();
            while (Leftovers(target).Length == 0 && clock.ElapsedMilliseconds < 2000) Thread.SpinWait(100);
            Thread.SpinWait(rng.NextInt(20_000));
            child.Kill();
            child.WaitForExit();
            if (Leftovers(target).Length > 0) leftBehind++;
            Load(kind, target); // whole after every kill
        }
        output.WriteLine($"{kind}: {leftBehind} of {Kills} kills left a temporary file");
        Assert.True(leftBehind > 0, "no kill landed during a save; the test proved nothing");

        Save(kind, target);
        Assert.Empty(Leftovers(target));
        Load(kind, target);
    }

    private static string[] Leftovers(string target) =>
        Directory.GetFiles(Path.GetDirectoryName(target)!, "." + Path.GetFileName(target) + ".*.tmp");

    private Process Start(string kind, string target)
    {
        var start = new ProcessStartInfo("dotnet", ["exec", typeof(ChildProcess).Assembly.Location, "save-loop", kind, target])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start)!;
        string? line = process.StandardOutput.ReadLine();
        if (line != "ready")
            Assert.Fail($"the child did not start: {line} {process.StandardError.ReadToEnd()}");
        return process;
    }

    private static void Save(string kind, string target)
    {
        var net = new SaveProbeNet(seed: 3);
        switch (kind)
        {
            case "weights": WeightsFile.Save(net, target); break;
            case "safetensors": SafeTensors.Save(net, target); break;
            default: Standardizer.Fit(TestData.Normal(2 * 40_000, new Rng(4)), 40_000).Save(target); break;
        }
    }

    private static void Load(string kind, string target)
    {
        switch (kind)
        {
            case "weights": WeightsFile.Load(new SaveProbeNet(), target); break;
            case "safetensors": SafeTensors.Load(new SaveProbeNet(), target); break;
            default: Assert.Equal(40_000, Standardizer.Load(target).Width); break;
        }
    }
}
