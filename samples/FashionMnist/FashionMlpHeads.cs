using StaticNets;

namespace FashionMnist;

/// <summary>
/// The MLP as a multi-head ensemble: its first hidden layer shared, the rest five times over ([Heads(5)]), trained
/// together (each head its own loss term) and averaged at inference.
/// </summary>
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(784)]
[Dense(256, Bias = false)] [BatchNorm] [ReLU] [Dropout(0.3f)]
[Heads(5)]
[Dense(128, Bias = false)] [BatchNorm] [ReLU] [Dropout(0.2f)]
[Dense(10)]
public partial class FashionMlpHeads;
