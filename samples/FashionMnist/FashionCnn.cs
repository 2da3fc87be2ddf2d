using StaticNets;

namespace FashionMnist;

/// <summary>
/// The sample's convolutional network (--model cnn): three 3×3 convolutions with BatchNorm and ReLU, the first two
/// followed by 2×2 max pooling (28×28 → 14×14 → 7×7) and dropout, then dropout and one Dense layer over the 64 × 7 × 7
/// features.
/// </summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(1, 28, 28)]
[Conv2D(32, 3, padding: Padding.Same, Bias = false)] [BatchNorm] [ReLU] [MaxPool2D(2)] [Dropout(0.25f)] // no bias before BatchNorm (SN0018)
[Conv2D(64, 3, padding: Padding.Same, Bias = false)] [BatchNorm] [ReLU] [MaxPool2D(2)] [Dropout(0.25f)]
[Conv2D(64, 3, padding: Padding.Same, Bias = false)] [BatchNorm] [ReLU]
[Flatten] [Dropout(0.5f)]
[Dense(10)]
public partial class FashionCnn;
