namespace StaticNets;

/// <summary>
/// What every generated network offers: sizes, the parameter block and inference.
/// Generated classes implement it; the runtime (initializers, optimizers, trainer, files)
/// works only through it, so it needs no knowledge of layers.
/// </summary>
public interface INetwork
{
    /// <summary>Features per input sample.</summary>
    int InputSize { get; }

    /// <summary>Values per output sample.</summary>
    int OutputSize { get; }

    /// <summary>The largest batch the workspace was sized for at construction.</summary>
    int MaxBatchSize { get; }

    /// <summary>The loss the network was declared with.</summary>
    Loss Loss { get; }

    /// <summary>Layer kinds and sizes in order, e.g. <c>Input(2) Dense(16) Tanh Dense(1) -> MeanSquaredError</c>.</summary>
    string Architecture { get; }

    /// <summary>Every learnable parameter in one contiguous block (see <see cref="ParameterTensors"/> for the layout).</summary>
    Span<float> Parameters { get; }

    /// <summary>Where each named tensor lives in <see cref="Parameters"/>.</summary>
    ReadOnlySpan<ParameterTensor> ParameterTensors { get; }

    /// <summary>
    /// State that is not learned by gradient but belongs to the model, such as BatchNorm's running
    /// mean and variance (PyTorch's buffers); empty when there is none. Saved and loaded with the parameters.
    /// </summary>
    Span<float> State { get; }

    /// <summary>Where each named tensor lives in <see cref="State"/>.</summary>
    ReadOnlySpan<ParameterTensor> StateTensors { get; }

    /// <summary>
    /// Starts a write to <see cref="Parameters"/> or <see cref="State"/> that predictions on other threads must not see
    /// half done: they keep using the last complete state until the returned scope is disposed, and the next prediction
    /// after that sees the write. Training steps, loads and restores write this way themselves; a write through a span
    /// while no other thread predicts needs no scope. Dispose it on the thread that began it, and do not predict with
    /// this network inside it.
    /// </summary>
    ParameterWrite BeginWrite();

    /// <summary>
    /// One sample: <paramref name="input"/> has InputSize values, <paramref name="output"/> OutputSize. Safe from many
    /// threads at once, also while another thread trains or loads; each result comes from one complete parameter state.
    /// </summary>
    void Predict(ReadOnlySpan<float> input, Span<float> output);

    /// <summary>
    /// One sample, as <see cref="Predict"/> but without the loss's output function (softmax or sigmoid): the logits,
    /// or for a network without one the same values as <see cref="Predict"/>. Allocates nothing; safe from many threads.
    /// </summary>
    void PredictLogits(ReadOnlySpan<float> input, Span<float> logits);

    /// <summary>
    /// <paramref name="batchSize"/> samples stored row after row; at most <see cref="MaxBatchSize"/>.
    /// Uses the network's workspace, so one network must not run two batches at once.
    /// </summary>
    void PredictBatch(ReadOnlySpan<float> inputs, Span<float> outputs, int batchSize);
}

/// <summary>A network declared with a loss: it computes gradients for training.</summary>
public interface ITrainableNetwork : INetwork
{
    /// <summary>Gradient of the mean loss for every parameter; same layout as <see cref="INetwork.Parameters"/>.</summary>
    Span<float> Gradients { get; }

    /// <summary>
    /// A worker for data-parallel training: a network of the same class that reads this network's parameters
    /// (generated networks share the block rather than copy it), with a copy of the state, its own workspace and
    /// gradients, and its own random stream derived from the seed and <paramref name="stream"/>.
    /// </summary>
    ITrainableNetwork CreateReplica(int stream);

    /// <summary>The smallest batch <c>ComputeGradients</c> accepts: 2 with BatchNorm (batch statistics need two samples), else 1.</summary>
    int MinBatchSize { get; }

    /// <summary>
    /// Forward and backward over a batch with integer class labels (<see cref="Loss.SoftmaxCrossEntropy"/>):
    /// overwrites <see cref="Gradients"/> and returns the mean loss. When <paramref name="inputGradients"/>
    /// is not empty it receives d(loss)/d(inputs) (batchSize × InputSize values).
    /// </summary>
    float ComputeGradients(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, int batchSize, Span<float> inputGradients = default);

    /// <summary>As the label overload, for float targets (<see cref="Loss.MeanSquaredError"/>, <see cref="Loss.SigmoidBinaryCrossEntropy"/>).</summary>
    float ComputeGradients(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize, Span<float> inputGradients = default);

    /// <summary>
    /// The last layer's raw values (logits for the cross-entropy losses) from the most recent
    /// <c>ComputeGradients</c>, <c>ComputeLoss</c> or <c>PredictBatch</c>: batch × OutputSize values.
    /// Metrics such as accuracy read them without a second forward pass.
    /// </summary>
    ReadOnlySpan<float> BatchOutputs { get; }

    /// <summary>Mean loss of a batch with integer class labels, forward only (inference mode).</summary>
    float ComputeLoss(ReadOnlySpan<float> inputs, ReadOnlySpan<int> labels, int batchSize);

    /// <summary>Mean loss of a batch with float targets, forward only (inference mode).</summary>
    float ComputeLoss(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, int batchSize);
}
