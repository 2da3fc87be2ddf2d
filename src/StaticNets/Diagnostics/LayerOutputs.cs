namespace StaticNets;

/// <summary>One layer output a network exposes for inspection.</summary>
/// <param name="Name">The layer that writes it (<c>dense1</c>, <c>batchnorm2</c>), as in tensor names.</param>
/// <param name="Activation">The activation applied to it in the same pass (<c>ReLU</c>, <c>Tanh</c>, ...), or <c>Identity</c>.</param>
/// <param name="Width">Values per sample.</param>
public readonly record struct LayerOutputInfo(string Name, string Activation, int Width);

/// <summary>
/// A trainable network whose layer outputs can be read after a training step: what <see cref="TrainingDiagnostics"/>
/// reads for activation statistics. Generated trainable networks implement it.
/// </summary>
public interface ILayerOutputs
{
    /// <summary>The layers with an output buffer of their own, in order (a Flatten, which has none, is left out).</summary>
    ReadOnlySpan<LayerOutputInfo> LayerOutputs { get; }

    /// <summary>
    /// Layer <paramref name="index"/>'s outputs, after its activation, from the last <c>ComputeGradients</c>: batch × width
    /// values, sample by sample. Valid until the next call of any kind on the network (inference reuses the buffers).
    /// </summary>
    ReadOnlySpan<float> LayerOutput(int index);
}
