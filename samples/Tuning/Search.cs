using System.Diagnostics;
using FashionMnist;
using StaticNets;
using StaticNets.Tuning;

namespace Tuning;

/// <summary>The data of the search: a training subset, the validation images the trials are judged on, and the test set.</summary>
public sealed record SearchData(Dataset Train, Dataset Validation, Dataset Test)
{
    /// <summary>Loads Fashion-MNIST from <paramref name="folder"/>, standardized on the training subset.</summary>
    public static SearchData Load(string folder, int trainSize, int seed)
    {
        Dataset all = Idx.LoadClassification(DataLocator.PathOf(folder, "train-images-idx3-ubyte"), DataLocator.PathOf(folder, "train-labels-idx1-ubyte"));
        Dataset test = Idx.LoadClassification(DataLocator.PathOf(folder, "t10k-images-idx3-ubyte"), DataLocator.PathOf(folder, "t10k-labels-idx1-ubyte"));
        var (rest, validation) = all.Split((double)(all.Count - 5000) / all.Count, seed);
        Dataset train = trainSize < rest.Count ? rest.Split((double)trainSize / rest.Count, seed).First : rest;
        Standardizer s = Standardizer.FitChannels(train.Features, channels: 1, valuesPerChannel: 784);
        return new SearchData(s.ApplyToFeatures(train), s.ApplyToFeatures(validation), s.ApplyToFeatures(test));
    }
}

/// <summary>The search: the space, the objective, and retraining the best configurations into an ensemble.</summary>
public static class Search
{
    public const int BatchSize = 128, MaxBatch = 1000;

    /// <summary>Learning rate and weight decay on log scales, dropout among the compiled networks.</summary>
    public static readonly SearchSpace Space = new(
        Hyperparameter.LogUniform("lr", 1e-4, 1e-2),
        Hyperparameter.LogUniform("weight_decay", 1e-5, 1e-1),
        Hyperparameter.Choice("dropout", Networks.DropoutRates));

    /// <summary>Runs (or resumes, or joins) the study; returns it and the epochs this process trained.</summary>
    public static (Study Study, int Epochs) Run(IStudyStorage storage, string name, SearchData data, Options options, IPruner? pruner, TextWriter log)
    {
        var study = Study.CreateOrLoad(storage, name, Direction.Maximize);
        int epochs = 0;
        study.Optimize(trial =>
        {
            var clock = Stopwatch.StartNew();
            var (_, history) = Train(trial["lr"], trial["weight_decay"], trial["dropout"], trial.Seed, trial.DataSeed, data, options.Epochs, e =>
            {
                Interlocked.Increment(ref epochs);
                trial.Report(e.Epoch, e.ValidationAccuracy!.Value); // throws when the pruner stops the trial
            });
            double accuracy = history[^1].ValidationAccuracy!.Value;
            lock (log) log.WriteLine($"trial {trial.Number,3}: lr {trial["lr"]:G3}, weight decay {trial["weight_decay"]:G3}, dropout {trial["dropout"]}: validation accuracy {accuracy:F4} ({clock.Elapsed.TotalSeconds:F1} s)");
            return accuracy;
        }, new RandomSampler(Space, options.Seed), options.Trials, options.Parallel, pruner, dataSeed: options.Seed);
        return (study, epochs);
    }

    /// <summary>Trains one configuration with AdamW; <paramref name="onEpoch"/> sees each epoch's metrics.</summary>
    public static (ITrainableNetwork Network, TrainingHistory History) Train(double lr, double weightDecay, double dropout, int seed, int dataSeed,
        SearchData data, int epochs, Action<EpochResult>? onEpoch = null)
    {
        ITrainableNetwork net = Networks.Create(dropout, seed, MaxBatch);
        var trainer = new Trainer<ITrainableNetwork>(net, new AdamW((float)lr, (float)weightDecay), BatchSize, dataSeed);
        TrainingHistory history = trainer.Fit(data.Train, data.Validation, epochs, callbacks: onEpoch is null ? null : [new EpochCallback(onEpoch)]);
        return (net, history);
    }

    /// <summary>The best <paramref name="members"/> configurations, each retrained with its trial's seed, as an averaging ensemble.</summary>
    public static Ensemble<ITrainableNetwork> Ensemble(Study study, SearchData data, Options options, int members)
    {
        var best = study.Ranked().Take(members).ToList();
        if (best.Count == 0) throw new InvalidOperationException("No trial completed: there is nothing to make an ensemble of.");
        var nets = new ITrainableNetwork[best.Count];
        Parallel.For(0, best.Count, new ParallelOptions { MaxDegreeOfParallelism = options.Parallel }, i =>
        {
            TrialRecord t = best[i];
            nets[i] = Train(t.Parameters["lr"], t.Parameters["weight_decay"], t.Parameters["dropout"], t.Seed, options.Seed, data, options.Epochs).Network;
        });
        return new Ensemble<ITrainableNetwork>(nets);
    }
}

/// <summary>The learning curves of every trial, as a PNG.</summary>
public static class TrialCurves
{
    public static void Save(Study study, string path)
    {
        var plot = new ScottPlot.Plot();
        plot.Title($"{study.Name}: validation accuracy per epoch, every trial");
        plot.XLabel("epoch");
        plot.YLabel("validation accuracy");
        TrialRecord? best = study.Best();
        foreach (TrialRecord t in study.Trials().Where(t => t.Epochs.Count > 0))
        {
            var epochs = t.Epochs.OrderBy(e => e.Key).ToList();
            var line = plot.Add.Scatter(epochs.Select(e => (double)e.Key).ToArray(), epochs.Select(e => e.Value).ToArray());
            line.LineWidth = t.Number == best?.Number ? 3 : 1;
            line.MarkerSize = 3;
            if (t.Status == TrialStatus.Pruned) line.LinePattern = ScottPlot.LinePattern.Dotted;
            if (t.Number == best?.Number) line.LegendText = $"best: trial {t.Number}, lr {t.Parameters["lr"]:G2}";
        }
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        plot.SavePng(path, 900, 550);
    }
}
