namespace StaticNets;

/// <summary>
/// A multi-head ensemble ([Heads(M)] in its declaration): one shared trunk and M heads trained together, averaged at
/// inference. Generated multi-head networks implement it, so code that compares the heads with their mean (a sample's
/// report, a test) works for any of them. Threading: as the network's batched calls, one caller at a time.
/// </summary>
public interface IMultiHeadNetwork : INetwork
{
    /// <summary>How many heads.</summary>
    int HeadCount { get; }

    /// <summary>
    /// Head <paramref name="head"/>'s own raw values (logits for cross-entropy), from 0, of the most recent batched
    /// forward pass: batch × OutputSize, valid until the next call on the network. the network's BatchOutputs
    /// holds their combination.
    /// </summary>
    ReadOnlySpan<float> HeadOutputs(int head);
}
