using StaticNets;

namespace FashionMnist;

/// <summary>
/// The sample's convolutional network (--model cnn): four 3×3 convolutions with BatchNorm and ReLU, the first two each
/// followed by 2×2 max pooling (28×28 → 14×14 → 7×7), then dropout and one Dense layer over the 48 × 7 × 7 features.
/// 91,018 parameters.
/// </summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(1, 28, 28)]
[Conv2D(32, 3, padding: Padding.Same, Bias = false)] [BatchNorm] [ReLU] [MaxPool2D(2)] // no bias before BatchNorm: its β shifts instead (SN0018)
[Conv2D(64, 3, padding: Padding.Same, Bias = false)] [BatchNorm] [ReLU] [MaxPool2D(2)]
[Conv2D(48, 3, padding: Padding.Same, Bias = false)] [BatchNorm] [ReLU]
[Conv2D(48, 3, padding: Padding.Same, Bias = false)] [BatchNorm] [ReLU]
[Flatten] [Dropout(0.5f)]
[Dense(10)]
public partial class FashionCnn;
