using System;
using StaticNets.Generator.Model;
using StaticNets.Generator.Planning;
using StaticNets.Generator.Runtime;

namespace StaticNets.Generator.Layers;

/// <summary>
/// [DropConnect(rate)]: drops the weights of the [Dense] right before it in training (see <see cref="DenseOp.DropConnectRate"/>).
/// It adds no op: it changes that Dense, and its token follows the Dense's in the architecture.
/// </summary>
internal sealed class DropConnectKind : ILayerKind
{
    public Type AttributeType => typeof(DropConnectAttribute);

    public void Read(LayerSpec layer, LayerReader reader)
    {
        double rate = layer.As<DropConnectAttribute>().Rate;
        if (!(rate >= 0 && rate < 1))
        {
            reader.Invalid(layer, "rate", rate, "the DropConnect rate must be in [0, 1): the probability of dropping a weight");
            return;
        }
        if (reader.Last is not DenseOp { DropConnectRate: 0f } dense || !reader.CanTakeActivation)
        {
            reader.OutOfPlace(layer, "it drops the weights of the [Dense] it follows: put it right after a [Dense], before that layer's activation, once");
            return;
        }
        reader.ModifyLast(dense with { DropConnectRate = (float)rate }, $"DropConnect({Format.Float((float)rate)})");
    }
}
