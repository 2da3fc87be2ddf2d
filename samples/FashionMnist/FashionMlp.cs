using StaticNets;

namespace FashionMnist;

/// <summary>The sample's network: two hidden layers with BatchNorm, ReLU and dropout.</summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(784)]
[Dense(256, Bias = false)] [BatchNorm] [ReLU] [Dropout(0.3f)] // no bias before BatchNorm: its β shifts instead (SN0018)
[Dense(128, Bias = false)] [BatchNorm] [ReLU] [Dropout(0.2f)]
[Dense(10)]
public partial class FashionMlp
{
    /// <summary>Fashion-MNIST's classes, by label.</summary>
    public static readonly string[] Classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
}
