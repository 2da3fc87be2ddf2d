using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StaticNets;

/// <summary>Metrics of one epoch. Accuracies are null for regression, validation values without a validation set.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="LearningRate">The learning rate used during the epoch.</param>
/// <param name="TrainLoss">Mean loss (with any regularization penalty) over the epoch's batches, weighted by batch size, as the weights changed.</param>
/// <param name="TrainAccuracy">Accuracy over the epoch's batches, from each batch's own forward pass.</param>
/// <param name="ValidationLoss">Mean loss on the validation set after the epoch (inference mode, no penalty).</param>
/// <param name="ValidationAccuracy">Accuracy on the validation set after the epoch.</param>
/// <param name="GradientNorm">Mean global L2 norm of the gradient before clipping, to choose a clipping threshold.</param>
/// <param name="Seconds">Wall time of the epoch, including validation.</param>
public readonly record struct EpochResult(int Epoch, float LearningRate, double TrainLoss, double? TrainAccuracy,
    double? ValidationLoss, double? ValidationAccuracy, double GradientNorm, double Seconds)
{
    /// <summary>What callbacks and schedules watch: the validation loss, or the training loss without a validation set.</summary>
    public double MonitoredLoss => ValidationLoss ?? TrainLoss;

    /// <summary>The validation accuracy, or the training accuracy without a validation set; null for regression.</summary>
    public double? MonitoredAccuracy => ValidationAccuracy ?? TrainAccuracy;

    /// <summary>The epoch's layer and tensor statistics when the trainer has <see cref="Trainer{TNetwork}.Diagnostics"/>; else null.</summary>
    public DiagnosticsReport? Diagnostics { get; init; }
}

/// <summary>Loss and accuracy (null for regression) of a network on a data set.</summary>
public readonly record struct Evaluation(double Loss, double? Accuracy);

/// <summary>Where training is, for <see cref="IProgress{T}"/> reporters (at most about ten reports a second, plus one per epoch end).</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Epochs requested.</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="Batches">Batches in an epoch.</param>
/// <param name="Loss">Mean training loss of the epoch so far.</param>
/// <param name="SamplesPerSecond">Training throughput of the epoch so far.</param>
public readonly record struct TrainingProgress(int Epoch, int Epochs, int Batch, int Batches, double Loss, double SamplesPerSecond);

/// <summary>The epochs of a training run, savable as CSV or JSON (written atomically).</summary>
public sealed class TrainingHistory : IReadOnlyList<EpochResult>
{
    private readonly List<EpochResult> _epochs = [];

    /// <summary>The epoch whose weights early stopping restored, if it did.</summary>
    public int? RestoredEpoch { get; internal set; }

    /// <summary>Whether a callback stopped training before the requested epochs.</summary>
    public bool StoppedEarly { get; internal set; }

    /// <inheritdoc/>
    public EpochResult this[int index] => _epochs[index];

    /// <inheritdoc/>
    public int Count => _epochs.Count;

    internal void Add(EpochResult epoch) => _epochs.Add(epoch);

    /// <inheritdoc/>
    public IEnumerator<EpochResult> GetEnumerator() => _epochs.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>One header line and one line per epoch; empty fields where a value does not apply.</summary>
    public string ToCsv()
    {
        var text = new StringBuilder("epoch,learning_rate,train_loss,train_accuracy,validation_loss,validation_accuracy,gradient_norm,seconds\n");
        foreach (EpochResult e in _epochs)
            text.Append(CultureInfo.InvariantCulture, $"{e.Epoch},{e.LearningRate:R},{e.TrainLoss:R},{e.TrainAccuracy:R},{e.ValidationLoss:R},{e.ValidationAccuracy:R},{e.GradientNorm:R},{e.Seconds:R}\n");
        return text.ToString();
    }

    /// <summary>A JSON array of epoch objects (nulls where a value does not apply).</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartArray();
            foreach (EpochResult e in _epochs)
            {
                json.WriteStartObject();
                json.WriteNumber("epoch", e.Epoch);
                json.WriteNumber("learningRate", e.LearningRate);
                json.WriteNumber("trainLoss", e.TrainLoss);
                WriteNullable(json, "trainAccuracy", e.TrainAccuracy);
                WriteNullable(json, "validationLoss", e.ValidationLoss);
                WriteNullable(json, "validationAccuracy", e.ValidationAccuracy);
                json.WriteNumber("gradientNorm", e.GradientNorm);
                json.WriteNumber("seconds", e.Seconds);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Writes <see cref="ToCsv"/> to <paramref name="path"/> atomically.</summary>
    public void SaveCsv(string path) => AtomicFile.Write(path, Encoding.UTF8.GetBytes(ToCsv()));

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> atomically.</summary>
    public void SaveJson(string path) => AtomicFile.Write(path, Encoding.UTF8.GetBytes(ToJson()));

    private static void WriteNullable(Utf8JsonWriter json, string name, double? value)
    {
        if (value is double v && double.IsFinite(v)) json.WriteNumber(name, v);
        else json.WriteNull(name);
    }
}
