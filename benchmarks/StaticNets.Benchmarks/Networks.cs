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
