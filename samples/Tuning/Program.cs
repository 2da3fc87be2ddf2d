using System.Diagnostics;
using FashionMnist;
using StaticNets;
using StaticNets.Tuning;
using Tuning;

// A random search over learning rate, weight decay and dropout on a Fashion-MNIST subset, with pruning (the median rule
// or successive halving), stored in SQLite (or shared through PostgreSQL); then the best configurations retrained as an ensemble.
try
{
    Options options = Options.Parse(args);
    string folder = DataLocator.Find(options.DataFolder, Environment.GetEnvironmentVariable)
        ?? (options.Download ? await DataLocator.DownloadAsync(Console.Out, CancellationToken.None) : throw new OptionsException(DataLocator.HowToGetIt));
    var clock = Stopwatch.StartNew();
    SearchData data = SearchData.Load(folder, options.TrainSize, options.Seed);
    Directory.CreateDirectory(options.Output);
    Console.WriteLine($"Fashion-MNIST: {data.Train.Count} training, {data.Validation.Count} validation, {data.Test.Count} test images");
    Console.WriteLine(MlpDropout2.Summary);
    IStudyStorage storage = options.Postgres is null
        ? new SqliteStudyStorage(Path.Combine(options.Output, "study.db"))
        : new PostgresStudyStorage(options.Postgres);
    // The median rule from the second epoch once four trials have finished; or successive halving, with rungs at epochs
    // 2, 6 and 18, keeping the best third at each (it saves more epochs, and in this search it stopped the best trial).
    IPruner pruner = options.Pruner == "halving" ? new SuccessiveHalvingPruner(minEpochs: 2, reductionFactor: 3) : new MedianPruner(startupTrials: 4, warmupEpochs: 1);

    Study study;
    if (options.ComparePruning)
    {
        var (full, fullEpochs) = Search.Run(storage, options.Name + "-full", data, options, null, Console.Out);
        var (pruned, prunedEpochs) = Search.Run(storage, options.Name + "-pruned", data, options, pruner, Console.Out);
        Console.WriteLine(full.RankedTable(top: 5));
        Console.WriteLine(pruned.RankedTable(top: 5));
        TrialRecord a = full.Best()!, b = pruned.Best()!;
        Console.WriteLine($"without pruning: best trial {a.Number} ({a.Value:F4}) in {fullEpochs} epochs; with pruning: best trial {b.Number} ({b.Value:F4}) in {prunedEpochs} epochs " +
            $"({(double)prunedEpochs / fullEpochs:P0}); same best configuration: {(a.Number == b.Number ? "yes" : "no")}");
        study = pruned;
    }
    else
    {
        (study, int epochs) = Search.Run(storage, options.Name, data, options, options.Pruning ? pruner : null, Console.Out);
        Console.WriteLine($"this run trained {epochs} epochs");
        Console.WriteLine(study.RankedTable());
    }
    string curves = Path.Combine(options.Output, "trials.png");
    TrialCurves.Save(study, curves);
    File.WriteAllText(Path.Combine(options.Output, "trials.txt"), study.RankedTable() + Environment.NewLine);
    Console.WriteLine($"learning curves: {curves}");

    Ensemble<ITrainableNetwork> ensemble = Search.Ensemble(study, data, options, options.Members);
    double[] members = ensemble.MemberAccuracies(data.Test);
    double combined = ensemble.Accuracy(data.Test);
    Console.WriteLine($"test accuracy of the best {members.Length} configurations, retrained: {string.Join(", ", members.Select(m => m.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)))} " +
        $"(mean {members.Average():F4})");
    Console.WriteLine($"test accuracy of their ensemble (probabilities averaged): {combined:F4} ({100 * (combined - members.Average()):+0.00;-0.00} points over the mean member), " +
        $"{clock.Elapsed.TotalSeconds:F0} s in all");
    return 0;
}
catch (OptionsException e)
{
    if (e.HelpOnly)
    {
        Console.WriteLine(Options.Usage);
        return 0;
    }
    Console.Error.WriteLine("error: " + e.Message + "\n");
    Console.Error.WriteLine(Options.Usage);
    return 2;
}
catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or HttpRequestException)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 1;
}
