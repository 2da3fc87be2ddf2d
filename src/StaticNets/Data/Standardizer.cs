using System.Numerics.Tensors;
using System.Text.Json;

namespace StaticNets;

/// <summary>
/// Per-feature standardization, x' = (x − mean)/std, fitted on training data only and then applied
/// unchanged to validation and test data and at prediction. The same type standardizes regression
/// targets (with <see cref="Inverse"/> to map predictions back) and, fitted per channel, images.
/// A constant feature (std 0) is only centered.
/// </summary>
public sealed class Standardizer
{
    private readonly float[] _mean, _scale;

    private Standardizer(float[] mean, float[] std)
    {
        _mean = mean;
        StandardDeviation = std;
        _scale = std.Select(s => s > 0f ? 1f / s : 1f).ToArray();
    }

    /// <summary>Per-feature means.</summary>
    public IReadOnlyList<float> Mean => _mean;

    /// <summary>Per-feature (population) standard deviations.</summary>
    public IReadOnlyList<float> StandardDeviation { get; }

    /// <summary>Values per row it applies to.</summary>
    public int Width => _mean.Length;

    /// <summary>Fits each of <paramref name="width"/> columns of row-major <paramref name="values"/>.</summary>
    public static Standardizer Fit(ReadOnlySpan<float> values, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (values.Length == 0 || values.Length % width != 0)
            throw new ArgumentException($"values has {values.Length} numbers, not a positive multiple of width {width}.", nameof(values));
        Guard.Finite(values, nameof(values));
        int rows = values.Length / width;
        var sum = new double[width];
        var squares = new double[width];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < width; j++)
                sum[j] += values[r * width + j];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < width; j++)
            {
                double d = values[r * width + j] - sum[j] / rows;
                squares[j] += d * d;
            }
        return new Standardizer(sum.Select(s => (float)(s / rows)).ToArray(), squares.Select(s => (float)Math.Sqrt(s / rows)).ToArray());
    }

    /// <summary>Fits the features of a (training) data set.</summary>
    public static Standardizer FitFeatures(Dataset train)
    {
        ArgumentNullException.ThrowIfNull(train);
        return Fit(train.Features, train.FeatureCount);
    }

    /// <summary>Fits the float targets of a (training) regression data set.</summary>
    public static Standardizer FitTargets(Dataset train)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Targets is null) throw new ArgumentException("train has class labels, which are not standardized.", nameof(train));
        return Fit(train.Targets, train.TargetCount);
    }

    /// <summary>
    /// Fits one mean and std per channel for samples stored channel after channel
    /// (<paramref name="channels"/> × <paramref name="valuesPerChannel"/>, e.g. pixels), as for images.
    /// </summary>
    public static Standardizer FitChannels(ReadOnlySpan<float> values, int channels, int valuesPerChannel)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(valuesPerChannel);
        int width = channels * valuesPerChannel;
        if (values.Length == 0 || values.Length % width != 0)
            throw new ArgumentException($"values has {values.Length} numbers, not a positive multiple of {channels} × {valuesPerChannel}.", nameof(values));
        Standardizer perChannel = Fit(ChannelMajorToColumns(values, channels, valuesPerChannel), channels);
        var mean = new float[channels * valuesPerChannel];
        var std = new float[channels * valuesPerChannel];
        for (int c = 0; c < channels; c++)
        {
            mean.AsSpan(c * valuesPerChannel, valuesPerChannel).Fill(perChannel._mean[c]);
            std.AsSpan(c * valuesPerChannel, valuesPerChannel).Fill(perChannel.StandardDeviation[c]);
        }
        return new Standardizer(mean, std);
    }

    /// <summary>
    /// Fits the mean of every value over the samples (the mean image, for images) and subtracts only that: the
    /// deviation is 1. <paramref name="width"/> is the values per sample.
    /// </summary>
    public static Standardizer FitMeanImage(ReadOnlySpan<float> values, int width)
    {
        Standardizer fitted = Fit(values, width);
        var ones = new float[width];
        ones.AsSpan().Fill(1f);
        return new Standardizer(fitted._mean, ones);
    }

    // Rearranges samples so each channel's values form one column: [samples × pixels, channels].
    private static float[] ChannelMajorToColumns(ReadOnlySpan<float> values, int channels, int perChannel)
    {
        int samples = values.Length / (channels * perChannel);
        var columns = new float[values.Length];
        for (int s = 0; s < samples; s++)
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < perChannel; p++)
                    columns[(s * perChannel + p) * channels + c] = values[(s * channels + c) * perChannel + p];
        return columns;
    }

    /// <summary>Standardizes whole rows of <paramref name="values"/> into <paramref name="destination"/> (may be the same memory). Allocates nothing.</summary>
    public void Transform(ReadOnlySpan<float> values, Span<float> destination)
    {
        CheckRows(values.Length, destination.Length);
        int width = _mean.Length;
        for (int start = 0; start < values.Length; start += width)
        {
            Span<float> row = destination.Slice(start, width);
            TensorPrimitives.Subtract(values.Slice(start, width), _mean, row);
            TensorPrimitives.Multiply(row, _scale, row);
        }
    }

    /// <summary>Maps standardized values back: x = x'·std + mean (for regression predictions). Allocates nothing.</summary>
    public void Inverse(ReadOnlySpan<float> values, Span<float> destination)
    {
        CheckRows(values.Length, destination.Length);
        int width = _mean.Length;
        for (int start = 0; start < values.Length; start += width)
        {
            Span<float> row = destination.Slice(start, width);
            TensorPrimitives.Divide(values.Slice(start, width), _scale, row);
            TensorPrimitives.Add(row, _mean, row);
        }
    }

    /// <summary>A copy of <paramref name="data"/> with standardized features.</summary>
    public Dataset ApplyToFeatures(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var features = new float[data.Features.Length];
        Transform(data.Features, features);
        return data.WithFeatures(features);
    }

    /// <summary>A copy of the regression set <paramref name="data"/> with standardized targets.</summary>
    public Dataset ApplyToTargets(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Targets is null) throw new ArgumentException("data has class labels, which are not standardized.", nameof(data));
        var targets = new float[data.Targets.Length];
        Transform(data.Targets, targets);
        return Dataset.Regression(data.Features, data.FeatureCount, targets, data.TargetCount);
    }

    /// <summary>Saves the means and deviations as JSON, atomically, to apply the same transform in an app.</summary>
    public void Save(string path)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("mean");
            foreach (float m in _mean) json.WriteNumberValue(m);
            json.WriteEndArray();
            json.WriteStartArray("std");
            foreach (float s in StandardDeviation) json.WriteNumberValue(s);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        AtomicFile.Write(path, buffer.ToArray());
    }

    /// <summary>Loads what <see cref="Save"/> wrote.</summary>
    public static Standardizer Load(string path)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
            float[] mean = document.RootElement.GetProperty("mean").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            float[] std = document.RootElement.GetProperty("std").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            if (mean.Length == 0 || mean.Length != std.Length || mean.Concat(std).Any(v => !float.IsFinite(v)) || std.Any(s => s < 0))
                throw new InvalidDataException($"Standardizer '{path}' needs equally long, finite 'mean' and non-negative 'std' arrays.");
            return new Standardizer(mean, std);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"Standardizer '{path}' is not valid JSON with 'mean' and 'std' arrays: {e.Message}", e);
        }
    }

    private void CheckRows(int length, int destination)
    {
        if (length % _mean.Length != 0)
            throw new ArgumentException($"values has {length} numbers, not a multiple of the {_mean.Length} this standardizer was fitted on.", "values");
        if (destination != length)
            throw new ArgumentException($"destination has {destination} numbers; values has {length}.", nameof(destination));
    }
}
