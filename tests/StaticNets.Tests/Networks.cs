using StaticNets;

namespace StaticNets.Tests;

// Networks under test. Sizes are chosen to hit every code path: stages of at most 16 rows are
// unrolled (with a scalar sum below 17 inputs, a SIMD dot above), larger stages use the kernels, and
// no size is a multiple of the vector width so every tail runs.

[Network(Loss = Loss.MeanSquaredError)]
[Input(17)] [Dense(9)] [ReLU] [Dense(23)] [ReLU] [Dense(4)]
public partial class ReluNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(17)] [Dense(9)] [LeakyReLU(0.1f)] [Dense(23)] [LeakyReLU(0.2f)] [Dense(4)]
public partial class LeakyReluNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(17)] [Dense(9)] [ELU(0.7f)] [Dense(23)] [ELU] [Dense(4)]
public partial class EluNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(17)] [Dense(9)] [SELU] [Dense(23)] [SELU] [Dense(4)]
public partial class SeluNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(17)] [Dense(9)] [Sigmoid] [Dense(23)] [Sigmoid] [Dense(4)]
public partial class SigmoidNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(17)] [Dense(9)] [Tanh] [Dense(23)] [Tanh] [Dense(4)]
public partial class TanhNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(17)] [Dense(9)] [GELU] [Dense(23)] [GELU] [Dense(4)]
public partial class GeluNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(17)] [Dense(9)] [GELU(Approximate = true)] [Dense(23)] [GELU(Approximate = true)] [Dense(4)]
public partial class GeluTanhNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(17)] [Dense(9)] [Swish] [Dense(23)] [Swish(1.7f)] [Dense(4)]
public partial class SwishNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(17)] [Dense(9)] [Softplus] [Dense(23)] [Softplus(2.5f)] [Dense(4)]
public partial class SoftplusNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(17)] [Dense(9)] [Maxout(3)] [Dense(7)] [Maxout(2)] [Dense(4)]
public partial class MaxoutNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(6)] [Dense(20)] [Tanh] [Dense(5)] [Softmax]
public partial class SoftmaxSmallNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(6)] [Dense(7)] [Tanh] [Dense(18)] [Softmax]
public partial class SoftmaxWideNet;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(17)] [Dense(23)] [Tanh] [Dense(5)]
public partial class CrossEntropyNet;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(5)] [Dense(7)] [ReLU] [Dense(19)]
public partial class CrossEntropyWideNet;

[Network(Loss = Loss.SigmoidBinaryCrossEntropy)]
[Input(17)] [Dense(23)] [Tanh] [Dense(1)]
public partial class BinaryNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(33)] [Dense(10, Bias = false)] [Tanh] [Dense(37, Bias = false)] [ReLU] [Dense(3)]
public partial class NoBiasNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(3)] [Dense(2)]
public partial class LinearNet;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(784)] [Dense(256)] [ReLU] [Dense(128)] [ReLU] [Dense(10)]
public partial class MnistMlp;

[Network]
[Input(4)] [Dense(3)] [Tanh]
public partial class InferenceOnlyNet;

public static partial class Outer
{
    public partial class Inner
    {
        [Network(Loss = Loss.MeanSquaredError)]
        [Input(2)] [Dense(3, Init = Init.Constant, InitScale = 0.5f, BiasInit = 0.25f)]
        public partial class NestedNet;
    }
}

[Network(Loss = Loss.MeanSquaredError)]
[Input(7)] [Dense(19)] [BatchNorm] [ReLU] [Dense(5)] [BatchNorm(Momentum = 0.3f)] [Tanh] [Dense(9)] [ReLU] [BatchNorm] [Dense(3)]
public partial class BatchNormNet;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(7)] [Dense(18)] [LayerNorm] [GELU] [Dense(6)] [LayerNorm(Epsilon = 1e-3f)] [Dense(4)]
public partial class LayerNormNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(7)] [Dense(19)] [PReLU] [Dense(9)] [BatchNorm] [PReLU(InitialSlope = 0.1f)] [Dense(3)]
public partial class PReLUNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(6)] [SaveAs("x")] [Dense(6)] [Tanh] [Add("x")] [SaveAs("h")] [Dense(17)] [ReLU] [Dense(6)] [Add("h")] [Tanh] [Dense(3)]
public partial class SkipNet;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(8)]
[Dense(20)] [BatchNorm] [ReLU] [SaveAs("a")]
[Dense(20)] [LayerNorm] [PReLU] [Dropout(0.3f)]
[Dense(20)] [BatchNorm] [Add("a")] [ELU]
[Dense(12)] [BatchNorm] [Swish]
[Dropout(0.2f)]
[Dense(4)]
public partial class DeepStackNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(5)] [Dense(6)] [Tanh] [Dropout(0.4f)] [Dense(2)]
public partial class DropoutNet;

// ---- convolutional networks: small enough for finite differences, covering every image layer and shape path ----

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(2, 6, 6)] [Conv2D(3, 3, padding: 1)] [ReLU] [MaxPool2D(2)] [Conv2D(4, 2)] [Tanh] [Flatten] [Dense(3)]
public partial class ConvNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(1, 7, 7)] [Conv2D(4, 3, stride: 2, Bias = false)] [BatchNorm] [ReLU] [AvgPool2D(2, 1)] [Conv2D(3, 1)] [PReLU] [GlobalAvgPool] [Dense(2)]
public partial class ConvBatchNormNet;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(2, 5, 5)]
[Conv2D(2, 3, padding: Padding.Same, Bias = false)] [BatchNorm] [SaveAs("a")]
[Conv2D(2, 3, KernelWidth = 1, PaddingHeight = 1, PaddingWidth = 0)] [ELU] [Add("a")] [LayerNorm] [Dropout(0.2)]
[MaxPool2D(3, 2)] [Flatten] [Dense(3)]
public partial class ConvResidualNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(4, 3, 3)] [Conv2D(6, 2)] [GroupNorm(3)] [Swish] [Conv2D(4, 1, Bias = false)] [GroupNorm(1, Epsilon = 1e-3)] [GlobalAvgPool]
[Dense(6)] [GroupNorm(2)] [Tanh] [Dense(2)]
public partial class GroupNormNet;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(2, 4, 4)] [Conv2D(3, 3, padding: 1)] [InstanceNorm] [ReLU] [SpatialDropout(0.4)] [Conv2D(2, 2, stride: 2)] [InstanceNorm(Epsilon = 1e-4)] [Flatten] [Dense(3)]
public partial class InstanceNormNet;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(1, 28, 28)] [Conv2D(16, 3, padding: Padding.Same, Bias = false)] [BatchNorm] [ReLU] [MaxPool2D(2)] [Conv2D(16, 3)] [GroupNorm(4)] [ReLU]
[GlobalAvgPool] [Dense(10)]
public partial class ConvAllocationNet;

// Multi-head ensembles: a trunk and copies of the head after [Heads], averaged at inference.
[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(6)] [Dense(9)] [ReLU] [Heads(3)] [Dense(5)] [Tanh] [Dense(4)]
public partial class HeadsNet;

[Network(Loss = Loss.SigmoidBinaryCrossEntropy)]
[Input(5)] [Dense(8)] [BatchNorm] [ReLU] [Heads(2)] [Dense(6)] [BatchNorm] [ReLU] [Dense(1)]
public partial class HeadsBinaryNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(7)] [Dense(6)] [Tanh] [SaveAs("t")] [Heads(2)] [Dense(6)] [ReLU] [Add("t")] [SaveAs("h")] [Dense(6)] [Tanh] [Add("h")]
[Dropout(0.25)] [Dense(3)]
public partial class HeadsResidualNet;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(2, 5, 5)] [Conv2D(3, 3)] [ReLU] [Heads(2)] [Conv2D(2, 2)] [Tanh] [Flatten] [Dense(3)]
public partial class HeadsConvNet;
