using System.Diagnostics;
using FashionMnist;
using Xunit.Abstractions;

namespace StaticNets.Samples.Tests;

public class FashionMnistTests(ITestOutputHelper output)
{
    [Fact]
    public void Two_epochs_on_the_real_data_reach_80_percent_test_accuracy()
    {
        string? folder = DataLocator.Find(null, Environment.GetEnvironmentVariable);
        Assert.True(folder is not null, "This test trains on Fashion-MNIST, which is not installed.\n" + DataLocator.HowToGetIt);
        var log = new StringWriter();
        string outputFolder = Directory.CreateTempSubdirectory("staticnets-fashion-").FullName;
        double accuracy = TrainingRun.Run(new Options(null, Epochs: 2, BatchSize: 128, Seed: 1, Threads: 2, outputFolder, false), folder!, log);
        output.WriteLine(log.ToString());
        Assert.True(accuracy > 0.80, $"test accuracy {accuracy:F4} after 2 epochs");
        // The int8 MLP within 0.3 points of float32 (issue 16's target).
        var int8 = System.Text.RegularExpressions.Regex.Match(log.ToString(), @"int8 \(post-training quantization, calibrated on 1000 training images\): test accuracy (0\.\d{4}) \(([+-]\d+\.\d\d) points against float32\)");
        Assert.True(int8.Success, "no int8 accuracy line");
        Assert.True(Math.Abs(double.Parse(int8.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)) <= 0.3, int8.Value);
        foreach (string file in new[] { "fashion-mnist.snw", Models.Int8FileName(Model.Mlp), "standardizer.json", "history.csv", "curves.png" })
            Assert.True(File.Exists(Path.Combine(outputFolder, file)), file + " was not written");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(Path.Combine(outputFolder, "curves.png"))[..4]);
        Directory.Delete(outputFolder, true);
    }

    [Fact]
    public void The_CNN_with_augmentation_learns_from_a_few_thousand_images()
    {
        string? folder = DataLocator.Find(null, Environment.GetEnvironmentVariable);
        Assert.True(folder is not null, "This test trains on Fashion-MNIST, which is not installed.\n" + DataLocator.HowToGetIt);
        var log = new StringWriter();
        string outputFolder = Directory.CreateTempSubdirectory("staticnets-fashion-cnn-").FullName;
        // A quick check of the whole CNN path (the test command builds Debug, where the kernels run unoptimized).
        var options = new Options(null, Epochs: 2, BatchSize: 64, Seed: 1, Threads: 2, outputFolder, false, Model.Cnn, Augment: true, TrainSize: 3000);
        double accuracy = TrainingRun.Run(options, folder!, log);
        output.WriteLine(log.ToString());
        Assert.True(accuracy > 0.70, $"test accuracy {accuracy:F4} after 2 epochs of 3,000 images");
        Assert.Contains("Conv2D(32,3x3", log.ToString());
        Assert.True(File.Exists(Path.Combine(outputFolder, "fashion-mnist-cnn.snw")), "the CNN's weights were not written");
        // The CNN quantized too: its int8 accuracy beside the float one, and a file that loads.
        var int8 = System.Text.RegularExpressions.Regex.Match(log.ToString(), @"int8 \(post-training quantization, calibrated on 200 training images\): test accuracy (0\.\d{4}) \(([+-]\d+\.\d\d) points against float32\)");
        Assert.True(int8.Success, "no int8 accuracy line for the CNN");
        Assert.True(Math.Abs(double.Parse(int8.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)) <= 1.0, int8.Value);
        Assert.Equal(FashionCnn.InputSize, QuantizedNetwork.Load(Path.Combine(outputFolder, Models.Int8FileName(Model.Cnn))).InputSize);
        var net = new FashionCnn(maxBatchSize: 1);
        WeightsFile.Load(net, Path.Combine(outputFolder, "fashion-mnist-cnn.snw"));
        Directory.Delete(outputFolder, true);
    }

    [Fact]
    public void The_multi_head_MLP_reports_its_heads_beside_their_average_and_saves_and_loads()
    {
        string? folder = DataLocator.Find(null, Environment.GetEnvironmentVariable);
        Assert.True(folder is not null, "This test trains on Fashion-MNIST, which is not installed.\n" + DataLocator.HowToGetIt);
        var log = new StringWriter();
        string outputFolder = Directory.CreateTempSubdirectory("staticnets-fashion-heads-").FullName;
        var options = new Options(null, Epochs: 2, BatchSize: 64, Seed: 1, Threads: 2, outputFolder, false, Model.Heads, TrainSize: 3000);
        double accuracy = TrainingRun.Run(options, folder!, log);
        output.WriteLine(log.ToString());
        Assert.True(accuracy > 0.70, $"test accuracy {accuracy:F4} after 2 epochs of 3,000 images");
        var report = System.Text.RegularExpressions.Regex.Match(log.ToString(), @"the 5 heads alone: (0\.\d{4}), (0\.\d{4}), (0\.\d{4}), (0\.\d{4}), (0\.\d{4}) \(mean (0\.\d{4})\); their average (0\.\d{4})");
        Assert.True(report.Success, "no line comparing the heads with their average");
        Assert.Equal(accuracy.ToString("F4", System.Globalization.CultureInfo.InvariantCulture), report.Groups[7].Value);
        var net = new FashionMlpHeads(maxBatchSize: 1);
        WeightsFile.Load(net, Path.Combine(outputFolder, "fashion-mnist-heads.snw"));
        Directory.Delete(outputFolder, true);
    }

    [Theory]
    [InlineData("--epochs", "Unknown")]
    [InlineData("--epochs abc", "--epochs must be a whole number from 1 to 1000; got 'abc'")]
    [InlineData("--epochs 0", "--epochs must be a whole number from 1 to 1000; got '0'")]
    [InlineData("--batch-size 1", "--batch-size must be a whole number from 2 to 4096")]
    [InlineData("--threads 999", "--threads must be a whole number from 1 to")]
    [InlineData("--output", "--output needs a value")]
    [InlineData("--data --epochs 3", "--data needs a value")]
    [InlineData("--learning-rate 3", "unknown option '--learning-rate'")]
    [InlineData("--model rnn", "--model must be mlp, cnn or heads; got 'rnn'")]
    [InlineData("--train-size 10", "--train-size must be a whole number from 100 to 55000")]
    public void Bad_options_are_explained(string arguments, string fragment)
    {
        string[] args = arguments.Split(' ');
        if (fragment == "Unknown")
        {
            Assert.Contains("--epochs needs a value", Assert.Throws<OptionsException>(() => Options.Parse(args)).Message);
            return;
        }
        Assert.Contains(fragment, Assert.Throws<OptionsException>(() => Options.Parse(args)).Message);
    }

    [Fact]
    public void Options_have_sensible_defaults()
    {
        Options o = Options.Parse([]);
        Assert.Equal((30, 128, 1, 1), (o.Epochs, o.BatchSize, o.Seed, o.Threads));
        Assert.Equal(5, Options.Parse(["--epochs", "5", "--seed", "-3"]).Epochs);
        Assert.True(Assert.Throws<OptionsException>(() => Options.Parse(["--help"])).HelpOnly);
    }

    [Fact]
    public void A_missing_or_incomplete_data_folder_is_explained()
    {
        var e = Assert.Throws<OptionsException>(() => DataLocator.Find("/no/such/folder", _ => null));
        Assert.Contains("--data '/no/such/folder' is not a folder", e.Message);
        string empty = Directory.CreateTempSubdirectory().FullName;
        e = Assert.Throws<OptionsException>(() => DataLocator.Find(empty, _ => null));
        Assert.Contains("has no train-images-idx3-ubyte(.gz)", e.Message);
        Directory.Delete(empty);
        Assert.Contains("apt-get install dataset-fashion-mnist", DataLocator.HowToGetIt);
    }

    [Fact]
    public void The_command_line_exits_with_code_2_and_a_message_for_bad_input()
    {
        string dll = typeof(Options).Assembly.Location;
        var (code, text) = RunSample(dll, "--data /no/such/folder");
        Assert.Equal(2, code);
        Assert.Contains("error: --data '/no/such/folder' is not a folder", text);
        (code, text) = RunSample(dll, "--epochs x");
        Assert.Equal(2, code);
        Assert.Contains("usage: FashionMnist", text);
        (code, text) = RunSample(dll, "--help");
        Assert.Equal(0, code);
    }

    private static (int Code, string Text) RunSample(string dll, string arguments)
    {
        var start = new ProcessStartInfo("dotnet", $"\"{dll}\" {arguments}") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        using Process process = Process.Start(start)!;
        string text = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, text);
    }
}
