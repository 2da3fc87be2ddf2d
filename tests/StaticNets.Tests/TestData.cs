namespace StaticNets.Tests;

/// <summary>Random inputs and targets of the right kind for a network's loss, from a fixed seed.</summary>
public static class TestData
{
    public static float[] Normal(int count, Rng rng, double std = 1.0)
    {
        var values = new float[count];
        Initializers.Normal(values, std, rng);
        return values;
    }

    public static int[] Labels(int count, int classes, Rng rng) =>
        Enumerable.Range(0, count).Select(_ => rng.NextInt(classes)).ToArray();

    public static float[] Uniform01(int count, Rng rng) =>
        Enumerable.Range(0, count).Select(_ => rng.NextSingle()).ToArray();

    /// <summary>Targets for the network's loss, also as doubles (labels as their value) for the reference.</summary>
    public static (int[] Labels, float[] Targets, double[] AsDouble) TargetsFor(INetwork net, int batch, Rng rng)
    {
        switch (net.Loss)
        {
            case Loss.SoftmaxCrossEntropy:
                int[] labels = Labels(batch, net.OutputSize, rng);
                return (labels, [], labels.Select(l => (double)l).ToArray());
            case Loss.SigmoidBinaryCrossEntropy:
                float[] p = Uniform01(batch * net.OutputSize, rng);
                return ([], p, p.Select(v => (double)v).ToArray());
            default:
                float[] t = Normal(batch * net.OutputSize, rng);
                return ([], t, t.Select(v => (double)v).ToArray());
        }
    }

    public static double[] AsDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = values[i];
        return result;
    }

    /// <summary>The dropout masks of a generated network's last training step (an internal test hook), or null without dropout.</summary>
    public static ArraySegment<float>[]? DropoutMasks(INetwork net) =>
        (ArraySegment<float>[]?)net.GetType().GetProperty("DropoutMasks", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic)?.GetValue(net);

    public static float ComputeGradients(ITrainableNetwork net, float[] inputs, (int[] Labels, float[] Targets, double[] AsDouble) targets, int batch, Span<float> inputGradients = default) =>
        net.Loss == Loss.SoftmaxCrossEntropy
            ? net.ComputeGradients(inputs, targets.Labels, batch, inputGradients)
            : net.ComputeGradients(inputs, targets.Targets, batch, inputGradients);
}
