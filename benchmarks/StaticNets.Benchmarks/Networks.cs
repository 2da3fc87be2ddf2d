using StaticNets;

namespace StaticNets.Benchmarks;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(784)] [Dense(256)] [ReLU] [Dense(128)] [ReLU] [Dense(10)]
public partial class MnistMlp;

[Network(Loss = Loss.MeanSquaredError)]
[Input(16)] [Dense(32)] [ReLU] [Dense(32)] [ReLU] [Dense(4)]
public partial class TinyMlp;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(784)] [Dense(256)] [BatchNorm] [ReLU] [Dense(128)] [BatchNorm] [ReLU] [Dense(10)]
public partial class MnistBatchNormMlp;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(784)] [Dense(256)] [BatchNorm] [ReLU] [Dropout(0.2f)] [Dense(128)] [BatchNorm] [ReLU] [Dropout(0.2f)] [Dense(10)]
public partial class MnistTrainingMlp;

// The FashionMnist sample's CNN (FashionCnn), for the convolution cases.
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(1, 28, 28)]
[Conv2D(32, 3, padding: Padding.Same, Bias = false)] [BatchNorm] [ReLU] [MaxPool2D(2)]
[Conv2D(64, 3, padding: Padding.Same, Bias = false)] [BatchNorm] [ReLU] [MaxPool2D(2)]
[Conv2D(48, 3, padding: Padding.Same, Bias = false)] [BatchNorm] [ReLU]
[Conv2D(48, 3, padding: Padding.Same, Bias = false)] [BatchNorm] [ReLU]
[Flatten] [Dropout(0.5f)]
[Dense(10)]
public partial class BenchCnn;
