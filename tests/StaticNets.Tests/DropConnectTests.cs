namespace StaticNets.Tests;

[Network(Loss = Loss.SoftmaxCrossEntropy)]
[Input(12)] [Dense(40)] [DropConnect(0.5)] [Tanh] [Dense(7)] [DropConnect(0.25)] [Dense(3)]
public partial class DropConnectNet;

[Network(Loss = Loss.MeanSquaredError)]
[Input(3)] [Dense(2, Bias = false, Init = Init.Constant, InitScale = 1f)] [DropConnect(0.5)]
public partial class TinyDropConnectNet;

/// <summary>[DropConnect]: weights dropped and scaled in training with one mask per step, whole weights at inference.</summary>
public class DropConnectTests
{
    [Fact]
    public void Gradients_with_a_fixed_mask_match_finite_differences()
    {
        // GradientCheck evaluates every loss on a fresh replica with the same stream: the same weight masks each time.
        var net = new DropConnectNet(seed: 5);
        var rng = new Rng(3);
        GradientCheckResult result = GradientCheck.Run(net, TestData.Normal(6 * 12, rng), TestData.Labels(6, 3, rng), 6);
        Assert.True(result.Passed, result.ToString());
        Assert.All(result.Tensors, t => Assert.Equal(GradientVerdict.Pass, t.Verdict));
    }

    [Fact]
    public void Training_drops_whole_weights_with_the_inverted_scale_and_inference_uses_them_all()
    {
        // y = W′x with W = all ones, x = (1, 2, 4): each output is 2·(the sum of the kept inputs), a subset sum times 2.
        var net = new TinyDropConnectNet(seed: 1);
        float[] x = [1f, 2f, 4f];
        var seen = new HashSet<float>();
        var dropped = 0;
        for (int step = 0; step < 200; step++)
        {
            net.ComputeGradients(x, new float[2], 1);
            foreach (float y in net.BatchOutputs)
            {
                Assert.True(y % 2 == 0 && y is >= 0 and <= 14, $"output {y} is not twice a sum of kept inputs");
                seen.Add(y);
            }
            // Loss ½Σy² … the gradient of a dropped weight is exactly 0; a kept one's is 2·y·x.
            foreach (float g in net.Gradients) dropped += g == 0f ? 1 : 0;
        }
        Assert.Equal(8, seen.Count); // every subset of the three inputs occurs
        Assert.InRange(dropped / (200.0 * 6), 0.45, 0.55);
        var output = new float[2];
        net.Predict(x, output);
        Assert.Equal([7f, 7f], output);
    }

    [Fact]
    public void Masks_repeat_by_seed()
    {
        var rng = new Rng(1);
        float[] x = TestData.Normal(4 * 12, rng);
        int[] labels = TestData.Labels(4, 3, rng);
        var a = new DropConnectNet(seed: 9);
        var b = new DropConnectNet(seed: 9);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(a.ComputeGradients(x, labels, 4), b.ComputeGradients(x, labels, 4));
            Assert.Equal(a.Gradients.ToArray(), b.Gradients.ToArray());
        }
    }
}
