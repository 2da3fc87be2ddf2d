using System.ComponentModel;
using System.Numerics;
using System.Runtime.InteropServices;

namespace StaticNets;

/// <summary>
/// Argument checks used by generated code and the runtime. Each throws with a message that
/// names the argument, what it held and what was expected.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Guard
{
    /// <summary>Throws unless 1 ≤ <paramref name="batchSize"/> ≤ <paramref name="maxBatchSize"/>.</summary>
    public static void BatchSize(int batchSize, int maxBatchSize, string network)
    {
        if (batchSize < 1 || batchSize > maxBatchSize)
            ThrowBatchSize(batchSize, maxBatchSize, network);
    }

    /// <summary>Throws for a training batch of one sample in a network with BatchNorm.</summary>
    public static void BatchNormBatchSize(int batchSize, string network)
    {
        if (batchSize < 2)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
                $"{network} has BatchNorm, whose training step needs at least 2 samples: the statistics of one sample are degenerate (variance 0). Train with batches of 2 or more, or use LayerNorm.");
    }

    /// <summary>Throws unless <paramref name="length"/> equals <paramref name="expected"/>.</summary>
    public static void Length(int length, int expected, string argument, string what)
    {
        if (length != expected)
            ThrowLength(length, expected, argument, what);
    }

    /// <summary>Throws if any value is NaN or infinite, naming the first such index.</summary>
    public static void Finite(ReadOnlySpan<float> values, string argument)
    {
        if (AllFinite(values))
            return;
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
                ThrowNotFinite(values[i], i, argument);
        }
    }

    // x − x is +0 (all bits clear) for every finite x and NaN for NaN and ±∞, so OR-ing the differences' bits
    // leaves zero exactly when every value is finite. One OR per vector keeps the loop off the add latency.
    internal static bool AllFinite(ReadOnlySpan<float> values)
    {
        ReadOnlySpan<Vector<float>> vectors = MemoryMarshal.Cast<float, Vector<float>>(values);
        Vector<uint> bits = default;
        foreach (Vector<float> v in vectors)
            bits |= Vector.AsVectorUInt32(v - v);
        if (bits != Vector<uint>.Zero) return false;
        foreach (float f in values[(vectors.Length * Vector<float>.Count)..])
        {
            if (!float.IsFinite(f)) return false;
        }
        return true;
    }

    /// <summary>Throws unless every label is in [0, <paramref name="classes"/>).</summary>
    public static void Labels(ReadOnlySpan<int> labels, int classes, string argument)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentOutOfRangeException(argument,
                    $"{argument}[{i}] is {labels[i]}; class labels must be in [0, {classes - 1}] for a network with {classes} outputs.");
        }
    }

    /// <summary>Throws unless every value is in [0, 1] (targets of binary cross-entropy).</summary>
    public static void Probabilities(ReadOnlySpan<float> values, string argument)
    {
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (!(v >= 0f && v <= 1f))
                throw new ArgumentOutOfRangeException(argument,
                    $"{argument}[{i}] is {v}; binary cross-entropy targets must be in [0, 1].");
        }
    }

    private static void ThrowBatchSize(int batchSize, int maxBatchSize, string network) =>
        throw new ArgumentOutOfRangeException(nameof(batchSize),
            $"batchSize is {batchSize}; {network} was constructed with maxBatchSize {maxBatchSize}, so it must be in [1, {maxBatchSize}]. Pass a larger maxBatchSize to the constructor to run larger batches.");

    private static void ThrowLength(int length, int expected, string argument, string what) =>
        throw new ArgumentException($"{argument} has {length} values; expected {expected} ({what}).", argument);

    private static void ThrowNotFinite(float value, int index, string argument) =>
        throw new ArgumentException($"{argument}[{index}] is {value}; values must be finite (no NaN or infinity).", argument);
}
