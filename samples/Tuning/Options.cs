using System.Globalization;
using FashionMnist;

namespace Tuning;

/// <summary>The command line.</summary>
public sealed record Options(int Trials = 24, int Epochs = 16, int Parallel = 2, int TrainSize = 10_000, int Members = 5, string Output = "tuning-output",
    string? Postgres = null, string Name = "fashion-mnist-mlp", string? DataFolder = null, bool Pruning = true, bool ComparePruning = false, int Seed = 1,
    bool Download = false, string Pruner = "median")
{
    public const string Usage = """
        usage: Tuning [options]      (dotnet run -c Release --project samples/Tuning -- [options])
          --trials N         trials in the study (counting those already run)        default 24
          --epochs N         most epochs per trial                                     default 16
          --parallel N       trials at once on this machine                           default 2
          --train-size N     training images (from the 60,000; 5,000 more validate)   default 10000
          --members N        best configurations retrained into the ensemble           default 5
          --output DIR       the study file, table and curves                          default ./tuning-output
          --postgres CONN    share the study through PostgreSQL: run this on several machines as workers
          --name NAME        the study's name                                           default fashion-mnist-mlp
          --data DIR         the Fashion-MNIST files (else as samples/FashionMnist finds them)
          --download         fetch the files into the user cache first if they are missing
          --pruner KIND      median (the median rule) or halving (successive halving)  default median
          --no-pruning       run every trial to its last epoch
          --compare-pruning  run the search with and without pruning (two studies) and compare
          --seed N           the search's seed (hyperparameters, data order)           default 1
        """;

    public static Options Parse(string[] args)
    {
        var o = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new OptionsException($"{args[i]} needs a value.");
            int Number(int min) => int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= min
                ? n : throw new OptionsException($"{args[i - 1]} needs a whole number of at least {min}, not '{args[i]}'.");
            o = args[i] switch
            {
                "--trials" => o with { Trials = Number(1) },
                "--epochs" => o with { Epochs = Number(1) },
                "--parallel" => o with { Parallel = Number(1) },
                "--train-size" => o with { TrainSize = Number(100) },
                "--members" => o with { Members = Number(1) },
                "--output" => o with { Output = Value() },
                "--postgres" => o with { Postgres = Value() },
                "--name" => o with { Name = Value() },
                "--data" => o with { DataFolder = Value() },
                "--download" => o with { Download = true },
                "--no-pruning" => o with { Pruning = false },
                "--pruner" => o with { Pruner = Value() is "median" or "halving" ? args[i] : throw new OptionsException($"--pruner takes median or halving, not '{args[i]}'.") },
                "--compare-pruning" => o with { ComparePruning = true },
                "--seed" => o with { Seed = Number(0) },
                "--help" or "-h" => throw new OptionsException(null),
                _ => throw new OptionsException($"unknown option '{args[i]}'"),
            };
        }
        if (o.Members > o.Trials) throw new OptionsException($"--members {o.Members} is more than --trials {o.Trials}.");
        if (o.Postgres is null) OptionsException.CheckWritable(o.Output);
        return o;
    }
}
