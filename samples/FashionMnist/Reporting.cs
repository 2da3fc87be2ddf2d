using StaticNets;

namespace FashionMnist;

/// <summary>A live progress bar on a terminal, or one plain line per epoch when output is redirected.</summary>
public sealed class ProgressDisplay(TextWriter log, bool plain) : IProgress<TrainingProgress>
{
    private bool _headerWritten;

    public void Report(TrainingProgress p)
    {
        if (plain) return;
        const int width = 30;
        int filled = p.Batches == 0 ? 0 : width * p.Batch / p.Batches;
        log.Write($"\repoch {p.Epoch,2}/{p.Epochs} [{new string('#', filled)}{new string('.', width - filled)}] {p.Batch,4}/{p.Batches} loss {p.Loss:F4} {p.SamplesPerSecond / 1000,5:F1}k samples/s ");
    }

    public void EpochEnded(EpochResult e)
    {
        if (!plain) log.Write("\r" + new string(' ', 100) + "\r");
        if (!_headerWritten)
        {
            log.WriteLine("epoch  learning rate  train loss  train acc  valid loss  valid acc  seconds");
            _headerWritten = true;
        }
        log.WriteLine($"{e.Epoch,5}  {e.LearningRate,13:G3}  {e.TrainLoss,10:F4}  {e.TrainAccuracy,9:F4}  {e.ValidationLoss,10:F4}  {e.ValidationAccuracy,9:F4}  {e.Seconds,7:F1}");
    }
}

public static class ConfusionMatrix
{
    /// <summary>Rows: true class; columns: predicted class; plus each class's recall.</summary>
    public static void Write(TextWriter log, int[,] m, string[] classes)
    {
        log.WriteLine("confusion matrix (rows: true class, columns: predicted)");
        log.WriteLine("              " + string.Concat(Enumerable.Range(0, classes.Length).Select(c => $"{c,6}")) + "  recall");
        for (int i = 0; i < classes.Length; i++)
        {
            int total = Enumerable.Range(0, classes.Length).Sum(j => m[i, j]);
            log.WriteLine($"{i} {classes[i],-11}" + string.Concat(Enumerable.Range(0, classes.Length).Select(j => $"{m[i, j],6}")) + $"  {(double)m[i, i] / Math.Max(1, total),6:F3}");
        }
    }
}

public static class Curves
{
    /// <summary>Training and validation loss (left axis) and accuracy (right axis) per epoch, as a PNG.</summary>
    public static void Save(TrainingHistory history, string path)
    {
        double[] epochs = history.Select(e => (double)e.Epoch).ToArray();
        var plot = new ScottPlot.Plot();
        plot.Title("Fashion-MNIST MLP (StaticNets)");
        plot.XLabel("epoch");
        plot.YLabel("loss");
        plot.Axes.Right.Label.Text = "accuracy";
        var trainLoss = plot.Add.Scatter(epochs, history.Select(e => e.TrainLoss).ToArray());
        trainLoss.LegendText = "train loss";
        var validLoss = plot.Add.Scatter(epochs, history.Select(e => e.ValidationLoss ?? double.NaN).ToArray());
        validLoss.LegendText = "validation loss";
        var trainAccuracy = plot.Add.Scatter(epochs, history.Select(e => e.TrainAccuracy ?? double.NaN).ToArray());
        trainAccuracy.LegendText = "train accuracy";
        trainAccuracy.Axes.YAxis = plot.Axes.Right;
        trainAccuracy.LinePattern = ScottPlot.LinePattern.Dashed;
        var validAccuracy = plot.Add.Scatter(epochs, history.Select(e => e.ValidationAccuracy ?? double.NaN).ToArray());
        validAccuracy.LegendText = "validation accuracy";
        validAccuracy.Axes.YAxis = plot.Axes.Right;
        validAccuracy.LinePattern = ScottPlot.LinePattern.Dashed;
        plot.ShowLegend(ScottPlot.Alignment.UpperCenter);
        plot.SavePng(path, 900, 550);
    }
}
