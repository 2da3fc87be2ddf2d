using System.Globalization;

namespace FashionMnist;

/// <summary>The command line, parsed and checked.</summary>
public sealed record Options(string? DataFolder, int Epochs, int BatchSize, int Seed, int Threads, string OutputFolder, bool Download, Model Model = Model.Mlp, bool Augment = false, int TrainSize = 0,
    int Ensemble = 1, bool Bagging = false, bool Diagnostics = false)
{
    public const string Usage = """
        Trains a network on Fashion-MNIST and reports test accuracy.

        usage: FashionMnist [options]
          --model mlp|cnn|heads
                            the MLP (FashionMlp), the convolutional network (FashionCnn), or the MLP
                            as a multi-head ensemble of 5 heads on one trunk (FashionMlpHeads)  default mlp
          --data DIR        folder with the four IDX files (else $STATICNETS_FASHION_MNIST,
                            /usr/share/datasets/fashion-mnist, then ~/.cache/staticnets/fashion-mnist)
          --epochs N        most epochs to train (early stopping may end sooner)   default 30
          --batch-size N    samples per training step                              default 128
          --seed N          fixes initialization, shuffling and dropout            default 1
          --threads N       threads for data-parallel training and evaluation      default 1
          --output DIR      where weights, history and plot are written            default ./fashion-mnist-output
          --augment         mirror the training images at random, anew each epoch
          --train-size N    train on the first N of the 55,000 training images (a quick check)  default all
          --ensemble N      train N networks (seeds seed .. seed+N-1) and report their averaged predictions  default 1
          --bagging         train each further ensemble member on a bootstrap resample of the training images
          --diagnostics     print per-layer statistics and warnings after every epoch (TrainingDiagnostics)
          --download        download the data into the cache if it is not found (official mirror, checksummed)
          --help            this text
        """;

    /// <summary>Parses <paramref name="args"/>; throws <see cref="OptionsException"/> with a message saying what is wrong.</summary>
    public static Options Parse(string[] args)
    {
        var options = new Options(null, 30, 128, 1, 1, "fashion-mnist-output", false);
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)
                ? args[++i]
                : throw new OptionsException($"{name} needs a value.");
            int Number(int min, int max)
            {
                string text = Value();
                if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
                    throw new OptionsException($"{name} must be a whole number from {min} to {max}; got '{text}'.");
                return value;
            }
            options = name switch
            {
                "--data" => options with { DataFolder = Value() },
                "--epochs" => options with { Epochs = Number(1, 1000) },
                "--batch-size" => options with { BatchSize = Number(2, 4096) },
                "--seed" => options with { Seed = Number(int.MinValue, int.MaxValue) },
                "--threads" => options with { Threads = Number(1, Environment.ProcessorCount) },
                "--output" => options with { OutputFolder = Value() },
                "--download" => options with { Download = true },
                "--augment" => options with { Augment = true },
                "--train-size" => options with { TrainSize = Number(100, 55_000) },
                "--ensemble" => options with { Ensemble = Number(1, 100) },
                "--bagging" => options with { Bagging = true },
                "--diagnostics" => options with { Diagnostics = true },
                "--model" => options with
                {
                    Model = Value() switch
                    {
                        "mlp" => Model.Mlp,
                        "cnn" => Model.Cnn,
                        "heads" => Model.Heads,
                        var other => throw new OptionsException($"--model must be mlp, cnn or heads; got '{other}'."),
                    },
                },
                "--help" or "-h" => throw new OptionsException(null),
                _ => throw new OptionsException($"unknown option '{name}'."),
            };
        }
        return options;
    }

    /// <summary>
    /// Creates the output folder and writes (and deletes) a file in it, so that an --output that cannot be written
    /// fails now, not after training; throws <see cref="OptionsException"/> saying why.
    /// </summary>
    public void CheckOutputWritable() => OptionsException.CheckWritable(OutputFolder);
}
