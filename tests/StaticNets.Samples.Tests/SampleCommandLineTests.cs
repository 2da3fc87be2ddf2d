using System.Diagnostics;

namespace StaticNets.Samples.Tests;

/// <summary>
/// Every sample explains itself with --help and refuses what it does not understand (exit code 2, the usage text),
/// before doing any work. The samples run as separate processes from their own build output.
/// </summary>
public class SampleCommandLineTests
{
    public static TheoryData<string> Samples() => ["Xor", "Spirals", "EmbeddedInference", "FashionMnist", "Tuning"];

    [Theory]
    [MemberData(nameof(Samples))]
    public void Help_prints_the_usage_and_exits_0(string sample)
    {
        var (code, output, _) = Run(sample, "--help");
        Assert.Equal(0, code);
        Assert.Contains($"usage: {sample}", output);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void An_unknown_option_is_refused_with_the_usage(string sample)
    {
        var (code, output, error) = Run(sample, "--frobnicate 3");
        Assert.Equal(2, code);
        Assert.Contains("error: unknown option '--frobnicate'", error);
        Assert.Contains($"usage: {sample}", error);
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("FashionMnist")]
    [InlineData("Spirals")]
    [InlineData("Tuning")]
    public void An_output_folder_that_cannot_be_written_is_refused_before_training(string sample)
    {
        string file = Path.GetTempFileName(); // a file where the folder's parent should be
        try
        {
            string output = Path.Combine(file, "out");
            var (code, text, error) = Run(sample, $"--output {output}");
            Assert.Equal(2, code);
            Assert.Contains($"error: --output '{output}' cannot be written", error);
            Assert.DoesNotContain("epoch", text, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            File.Delete(file);
        }
    }

    // The sample's dll in its own output folder, in the configuration these tests were built in.
    internal static (int Code, string Output, string Error) Run(string sample, string arguments)
    {
        string configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name; // …/bin/<configuration>/net10.0
        string dll = RepositoryPaths.Combine($"samples/{sample}/bin/{configuration}/net10.0/{sample}.dll");
        Assert.True(File.Exists(dll), $"{dll} was not built");
        var start = new ProcessStartInfo("dotnet", $"\"{dll}\" {arguments}")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        };
        using Process process = Process.Start(start)!;
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, error.Result);
    }
}
