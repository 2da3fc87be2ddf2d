using StaticNets;

namespace Tuning;

// Dropout is part of a network's compiled code, so the search chooses among three networks that differ only in it.

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(784)]
[Dense(256, Bias = false)] [BatchNorm] [ReLU] [Dense(128, Bias = false)] [BatchNorm] [ReLU]
[Dense(10)]
public partial class MlpNoDropout;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(784)]
[Dense(256, Bias = false)] [BatchNorm] [ReLU] [Dropout(0.2)] [Dense(128, Bias = false)] [BatchNorm] [ReLU] [Dropout(0.2)]
[Dense(10)]
public partial class MlpDropout2;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(784)]
[Dense(256, Bias = false)] [BatchNorm] [ReLU] [Dropout(0.4)] [Dense(128, Bias = false)] [BatchNorm] [ReLU] [Dropout(0.4)]
[Dense(10)]
public partial class MlpDropout4;

/// <summary>The networks of the search, by dropout rate.</summary>
public static class Networks
{
    /// <summary>The dropout rates to choose from.</summary>
    public static readonly double[] DropoutRates = [0.0, 0.2, 0.4];

    /// <summary>A fresh network with <paramref name="dropout"/> (one of <see cref="DropoutRates"/>).</summary>
    public static ITrainableNetwork Create(double dropout, int seed, int maxBatchSize) => dropout switch
    {
        0.0 => new MlpNoDropout(seed, maxBatchSize),
        0.2 => new MlpDropout2(seed, maxBatchSize),
        0.4 => new MlpDropout4(seed, maxBatchSize),
        _ => throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"No network has dropout {dropout}; the choices are {string.Join(", ", DropoutRates)}."),
    };
}
