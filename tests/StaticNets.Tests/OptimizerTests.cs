using Xunit.Abstractions;

namespace StaticNets.Tests;

/// <summary>
/// Three steps from w = (1, −2) with gradients (0.5, −1), (0.25, 0.5), (−0.5, 1), against values worked
/// out from each formula (comments give the first steps).
/// </summary>
public class OptimizerTests(ITestOutputHelper output)
{
    private static readonly float[][] Gradients = [[0.5f, -1f], [0.25f, 0.5f], [-0.5f, 1f]];

    private static void AssertSteps(IOptimizer optimizer, double[][] expected, ParameterTensor[]? layout = null)
    {
        float[] w = [1f, -2f];
        for (int t = 0; t < 3; t++)
        {
            optimizer.Step(w, Gradients[t], layout);
            for (int i = 0; i < 2; i++)
                Assert.True(Math.Abs(w[i] - expected[t][i]) < 2e-6, $"step {t + 1}, w[{i}] = {w[i]:R}, expected {expected[t][i]}");
        }
    }

    [Fact]
    public void Sgd_follows_w_minus_lr_g() =>
        // 1 − 0.1·0.5 = 0.95; 0.95 − 0.025 = 0.925; 0.925 + 0.05 = 0.975.
        AssertSteps(new Sgd(0.1f), [[0.95, -1.9], [0.925, -1.95], [0.975, -2.05]]);

    [Fact]
    public void Momentum_follows_pytorch_b_mu_b_plus_g() =>
        // b = 0.5 → w = 1 − 0.05 = 0.95; b = 0.45 + 0.25 = 0.7 → 0.88; b = 0.63 − 0.5 = 0.13 → 0.867.
        AssertSteps(new Sgd(0.1f, momentum: 0.9f), [[0.95, -1.9], [0.88, -1.86], [0.867, -1.924]]);

    [Fact]
    public void Nesterov_follows_pytorch_g_plus_mu_b() =>
        // w −= lr·(g + μ·b): step 1, b = 0.5, 0.5 + 0.45 = 0.95 → 0.905; step 2, b = 0.7, 0.25 + 0.63 = 0.88 → 0.817.
        AssertSteps(new Sgd(0.1f, momentum: 0.9f, nesterov: true), [[0.905, -1.81], [0.817, -1.824], [0.8553, -1.9816]]);

    [Theory]
    [InlineData(false, 0.9, 0.881)]  // b = 1 → 1 − 0.1·1 = 0.9; b = 0.9 + 1 = 1.9 → 0.9 − 0.01·1.9 = 0.881
    [InlineData(true, 0.81, 0.7829)] // 1 − 0.1·(1 + 0.9) = 0.81; b = 1.9 → 0.81 − 0.01·(1 + 0.9·1.9) = 0.7829
    public void A_new_learning_rate_applies_at_once_to_the_whole_momentum(bool nesterov, double first, double second)
    {
        // PyTorch's buffer sums gradients, so the new rate scales all of it from the next step; the classical
        // v ← μv − lr·g would keep moving at the old rate for about 1/(1 − μ) steps.
        var sgd = new Sgd(0.1f, momentum: 0.9f, nesterov: nesterov);
        float[] w = [1f];
        sgd.Step(w, [1f], []);
        Assert.Equal(first, w[0], 6);
        sgd.LearningRate = 0.01f;
        sgd.Step(w, [1f], []);
        Assert.Equal(second, w[0], 6);
    }

    [Fact]
    public void AdaGrad_divides_by_the_root_of_summed_squares() =>
        // c = 0.25 → w = 1 − 0.1·0.5/0.5 = 0.9; c = 0.3125 → 0.9 − 0.1·0.25/0.5590170 = 0.8552786.
        AssertSteps(new AdaGrad(0.1f), [[0.9, -1.9], [0.8552786, -1.9447214], [0.9219453, -2.011388]]);

    [Fact]
    public void RmsProp_divides_by_the_root_of_the_running_mean_square() =>
        // v = 0.01·0.25 = 0.0025 → w = 1 − 0.01·0.5/0.05 = 0.9; v = 0.002475 + 0.000625 = 0.0031 → 0.8550987.
        AssertSteps(new RmsProp(0.01f), [[0.9, -1.9], [0.8550987, -1.9449013], [0.9220997, -2.0119023]]);

    [Fact]
    public void Adam_uses_bias_corrected_moments() =>
        // t = 1: m̂ = 0.5, v̂ = 0.25, w = 1 − 0.1·0.5/0.5 = 0.9.
        // t = 2: m = 0.07, v = 0.000312250; m̂ = 0.3684211, v̂ = 0.1562031; w = 0.9 − 0.1·0.3684211/0.3952254 = 0.806782.
        AssertSteps(new Adam(0.1f), [[0.9, -1.9], [0.806782, -1.8733663], [0.7957037, -1.900636]]);

    [Fact]
    public void Adam_counts_gradients_and_moments_that_would_turn_subnormal_as_zero_and_keeps_NaN()
    {
        // (1 − β₂)·g² is subnormal below g = √(2⁻¹²⁶/0.001) ≈ 3.4e-18: such a gradient updates nothing.
        var adam = new Adam(0.1f);
        float[] w = new float[2 * 16 + 3], g = new float[w.Length]; // vector body and scalar tail
        for (int i = 0; i < g.Length; i++) g[i] = i % 2 == 0 ? 3e-18f : 4e-18f;
        adam.Step(w, g, []);
        for (int i = 0; i < w.Length; i++)
            Assert.True(i % 2 == 0 ? w[i] == 0f : w[i] < 0f, $"w[{i}] = {w[i]} after a gradient of {g[i]}");
        // Gradients far above the limit follow the formula: a first step of −lr·sign(g).
        adam = new Adam(0.1f);
        Array.Fill(g, 0.5f);
        adam.Step(w = new float[w.Length], g, []);
        Assert.All(w, v => Assert.Equal(-0.1f, v, 1e-6f));
        // A NaN gradient is not flushed away: the step it would poison is refused.
        g[^1] = float.NaN;
        float[] before = (float[])w.Clone();
        var e = Assert.Throws<InvalidOperationException>(() => adam.Step(w, g, []));
        Assert.Contains($"parameter [{w.Length - 1}] = NaN", e.Message);
        Assert.Equal(before, w);
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("momentum")]
    [InlineData("nesterov")]
    [InlineData("adagrad")]
    [InlineData("rmsprop")]
    [InlineData("adam")]
    [InlineData("adamw")]
    public void A_step_that_would_overflow_is_undone_exactly_and_names_the_parameter(string name)
    {
        // One value near float's largest and a step that pushes it past: every update of this library must leave all
        // parameters as they were (bit for bit, in the vector body and in the scalar tail) and say which one overflowed.
        ParameterTensor[] layout = [new("layer.weight", 0, new(5, 7), ParameterKind.Weight), new("layer.bias", 35, new(5), ParameterKind.Bias)];
        foreach (int position in new[] { 3, 38 })
        {
            IOptimizer optimizer = name switch
            {
                "sgd" => new Sgd(1e38f),
                "momentum" => new Sgd(1e38f, momentum: 0.9f),
                "nesterov" => new Sgd(1e38f, momentum: 0.9f, nesterov: true),
                "adagrad" => new AdaGrad(1e38f),
                "rmsprop" => new RmsProp(1e37f),
                "adam" => new Adam(1e38f),
                _ => new AdamW(1e38f, weightDecay: 0f),
            };
            float[] w = TestData.Normal(40, new Rng(3)), g = TestData.Normal(40, new Rng(4), std: 1e-3);
            w[position] = 3.3e38f;
            g[position] = -1f;
            float[] before = (float[])w.Clone();
            var e = Assert.Throws<InvalidOperationException>(() => optimizer.Step(w, g, layout));
            Assert.Equal(before, w);
            string tensor = position < 35 ? $"layer.weight[{position}]" : $"layer.bias[{position - 35}]";
            Assert.True(e.Message.Contains($"{tensor} = Infinity"), e.Message);
        }
    }

    // Updates run in 512- or 256-bit lanes with a scalar tail: every length up to 70 crosses one to four vectors of
    // each width and every tail. Each parameter must get its formula's bits (float operations in the written order)
    // wherever it sits.
    [Theory]
    [InlineData("adamw")]
    [InlineData("adagrad")]
    [InlineData("rmsprop")]
    [InlineData("momentum")]
    [InlineData("nesterov")]
    [InlineData("sgd")]
    public void Updates_match_their_scalar_formula_bit_for_bit_at_every_length(string name)
    {
        const float lr = 0.01f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, decay = 0.05f, alpha = 0.99f, mu = 0.9f;
        var rng = new Rng(8);
        for (int n = 0; n <= 70; n++)
        {
            IOptimizer optimizer = name switch
            {
                "adamw" => new AdamW(lr, decay, b1, b2, eps),
                "adagrad" => new AdaGrad(lr, eps),
                "rmsprop" => new RmsProp(lr, alpha, eps),
                "sgd" => new Sgd(lr),
                _ => new Sgd(lr, momentum: mu, nesterov: name == "nesterov"),
            };
            float[] w = TestData.Normal(n, rng), expected = (float[])w.Clone(), s1 = new float[n], s2 = new float[n];
            for (int t = 1; t <= 3; t++)
            {
                float[] g = TestData.Normal(n, rng);
                optimizer.Step(w, g, []);
                float c1 = (float)(1.0 / (1.0 - Math.Pow(b1, t))), c2 = (float)(1.0 / (1.0 - Math.Pow(b2, t))), keep = 1f - lr * decay;
                for (int i = 0; i < n; i++)
                    switch (name)
                    {
                        case "adamw":
                            s1[i] = b1 * s1[i] + (1f - b1) * g[i];
                            s2[i] = b2 * s2[i] + (1f - b2) * g[i] * g[i];
                            expected[i] = keep * expected[i] - lr * (s1[i] * c1) / (MathF.Sqrt(s2[i] * c2) + eps);
                            break;
                        case "adagrad":
                            s1[i] += g[i] * g[i];
                            expected[i] -= lr * g[i] / (MathF.Sqrt(s1[i]) + eps);
                            break;
                        case "rmsprop":
                            s1[i] = alpha * s1[i] + (1f - alpha) * g[i] * g[i];
                            expected[i] -= lr * g[i] / (MathF.Sqrt(s1[i]) + eps);
                            break;
                        case "sgd":
                            expected[i] -= lr * g[i];
                            break;
                        default:
                            s1[i] = mu * s1[i] + g[i];
                            expected[i] -= lr * (name == "nesterov" ? g[i] + mu * s1[i] : s1[i]);
                            break;
                    }
                Assert.Equal(expected, w);
            }
        }
    }

    [Fact]
    public void AdamW_decays_weights_but_not_biases()
    {
        // w[0] a weight: (1 − 0.1·0.1)·1 − 0.1 = 0.89; w[1] a bias: undecayed, as plain Adam (−1.9).
        ParameterTensor[] layout = [new("w", 0, new(1, 1), ParameterKind.Weight), new("b", 1, new(1), ParameterKind.Bias)];
        AssertSteps(new AdamW(0.1f, weightDecay: 0.1f), [[0.89, -1.9], [0.787882, -1.8733663], [0.7689249, -1.900636]], layout);
    }

    // The easy form passes the network's layout: decay reaches weights only, never biases or normalization parameters.
    [Fact]
    public void Stepping_a_network_decays_its_weights_and_nothing_else()
    {
        var net = new BatchNormNet(seed: 2);
        float[] before = net.Parameters.ToArray();
        net.Gradients.Clear();
        new AdamW(0.5f, weightDecay: 0.1f).Step(net); // zero gradients: only the decay moves anything
        foreach (ParameterTensor t in net.ParameterTensors)
            for (int i = t.Offset; i < t.Offset + t.Length; i++)
            {
                float expected = t.Kind == ParameterKind.Weight ? (1f - 0.5f * 0.1f) * before[i] : before[i];
                Assert.True(expected == net.Parameters[i], $"{t.Name}[{i - t.Offset}]: {net.Parameters[i]}, expected {expected}");
            }
    }

    [Fact]
    public void Optimizers_reject_bad_settings_and_mismatched_blocks()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(0.1f, momentum: 1f));
        Assert.Throws<ArgumentException>(() => new Sgd(0.1f, nesterov: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(beta2: 1f));
        var adam = new Adam();
        adam.Step(new float[3], new float[3], []);
        var e = Assert.Throws<ArgumentException>(() => adam.Step(new float[4], new float[4], []));
        Assert.Contains("one optimizer per network", e.Message);
        Assert.Throws<ArgumentException>(() => adam.Step(new float[3], new float[2], []));
    }

    [Fact]
    public void Momentum_and_Adam_beat_plain_sgd_in_an_ill_conditioned_ravine()
    {
        // f(w) = (w₁² + 100·w₂²)/2 from (1, 1): curvatures 1 and 100. Plain SGD must keep lr < 2/100 to stay
        // stable, so it crawls along w₁; momentum builds speed along the ravine and Adam rescales each axis.
        // lr = 0.01 is stable for all three SGD forms (Nesterov needs lr·100 < 2(1 + μ)/(1 + 2μ) ≈ 1.36).
        static double Run(IOptimizer optimizer, int steps)
        {
            float[] w = [1f, 1f];
            var g = new float[2];
            for (int t = 0; t < steps; t++)
            {
                g[0] = w[0];
                g[1] = 100f * w[1];
                optimizer.Step(w, g, []);
            }
            return 0.5 * (w[0] * w[0] + 100.0 * w[1] * w[1]);
        }
        double sgd = Run(new Sgd(0.01f), 100);
        double momentum = Run(new Sgd(0.01f, momentum: 0.9f), 100);
        double nesterov = Run(new Sgd(0.01f, momentum: 0.9f, nesterov: true), 100);
        double adam = Run(new Adam(0.05f), 100);
        double rmsProp = Run(new RmsProp(0.01f), 100);
        output.WriteLine($"f after 100 steps: SGD {sgd:E2}, momentum {momentum:E2}, Nesterov {nesterov:E2}, Adam {adam:E2}, RMSProp {rmsProp:E2}");
        Assert.True(momentum < sgd / 10, $"momentum {momentum} vs SGD {sgd}");
        Assert.True(nesterov < sgd / 10, $"Nesterov {nesterov} vs SGD {sgd}");
        Assert.True(adam < sgd / 10, $"Adam {adam} vs SGD {sgd}");
    }
}

public class ScheduleTests
{
    [Fact]
    public void Schedules_follow_their_formulas()
    {
        Assert.Equal(0.5f, new ConstantSchedule(0.5f).LearningRateFor(7, null));
        var step = new StepSchedule(1f, everyEpochs: 3, divisor: 10f);
        Assert.Equal([1f, 1f, 1f, 0.1f, 0.1f, 0.1f, 0.01f], Enumerable.Range(0, 7).Select(t => step.LearningRateFor(t, null)),
            (a, b) => Math.Abs(a - b) < 1e-7f);
        var exponential = new ExponentialSchedule(0.1f, k: 0.5f);
        Assert.Equal(0.1 * Math.Exp(-1.5), exponential.LearningRateFor(3, null), 7);
        var inverse = new InverseTimeSchedule(0.1f, k: 0.5f);
        Assert.Equal(0.1 / (1 + 0.5 * 4), inverse.LearningRateFor(4, null), 7);
    }

    [Fact]
    public void Cosine_warms_up_then_anneals_to_the_minimum()
    {
        var cosine = new CosineSchedule(1f, totalEpochs: 12, warmupEpochs: 2, minimum: 0.1f);
        Assert.Equal(0.5f, cosine.LearningRateFor(0, null), 6);  // (0 + 1)/2
        Assert.Equal(1f, cosine.LearningRateFor(1, null), 6);    // (1 + 1)/2
        Assert.Equal(1f, cosine.LearningRateFor(2, null), 6);    // start of the cosine
        Assert.Equal(0.1 + 0.9 * (1 + Math.Cos(Math.PI * 5 / 10)) / 2, cosine.LearningRateFor(7, null), 6); // halfway: 0.55
        Assert.Equal(0.1f, cosine.LearningRateFor(12, null), 6);
        Assert.Equal(0.1f, cosine.LearningRateFor(20, null), 6);
    }

    [Fact]
    public void Reduce_on_plateau_divides_after_patience_and_waits_a_cooldown()
    {
        var schedule = new ReduceOnPlateauSchedule(1f, patience: 2, divisor: 10f, cooldown: 1);
        static EpochResult Epoch(int e, double validationLoss) => new(e, 0f, 9, null, validationLoss, null, 0, 0);
        double[] losses = [1.0, 0.9, 0.95, 0.92, 0.91, 0.93, 0.94, 0.95, 0.96];
        var rates = new List<float> { schedule.LearningRateFor(0, null) };
        for (int e = 0; e < losses.Length; e++) rates.Add(schedule.LearningRateFor(e + 1, Epoch(e + 1, losses[e])));
        // Best 0.9 at epoch 2; epochs 3, 4, 5 do not improve: the third bad epoch (> patience 2) divides.
        // One cooldown epoch (6) is not counted; 7, 8, 9 are bad again and the third divides again.
        Assert.Equal([1f, 1f, 1f, 1f, 1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.01f], rates, (a, b) => Math.Abs(a - b) < 1e-7f);
    }
}

public class ClippingAndRegularizationTests
{
    [Fact]
    public void Clipping_by_value_and_by_norm()
    {
        float[] g = [3f, -4f, 0.5f];
        float norm = GradientClipping.ByValue(g, 1f);
        Assert.Equal(Math.Sqrt(25.25), norm, 5); // reported before clipping
        Assert.Equal([1f, -1f, 0.5f], g);

        g = [3f, 4f];
        Assert.Equal(5f, GradientClipping.ByGlobalNorm(g, 1f), 6);
        Assert.Equal([0.6f, 0.8f], g, (a, b) => Math.Abs(a - b) < 1e-6f);
        g = [0.3f, 0.4f];
        GradientClipping.ByGlobalNorm(g, 1f); // under the limit: unchanged
        Assert.Equal([0.3f, 0.4f], g);
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ByValue(g, 0f));
    }

    [Theory]
    [InlineData(1e-20f)] // squares subnormal (or zero) in float
    [InlineData(1.5f)]
    [InlineData(3e19f)] // squares overflow float
    public void The_gradient_norm_sums_squares_in_double(float scale)
    {
        for (int length = 0; length <= 256; length++)
        {
            var g = new float[length];
            double expected = 0;
            for (int i = 0; i < length; i++)
            {
                g[i] = scale * ((i % 7) - 3);
                expected += (double)g[i] * g[i];
            }
            expected = Math.Sqrt(expected);
            Assert.True(Math.Abs(GradientClipping.Norm(g) - expected) <= 1e-6 * expected, $"length {length}: {GradientClipping.Norm(g)} vs {expected}");
        }
    }

    [Fact]
    public void Penalties_apply_to_weights_only()
    {
        ParameterTensor[] layout = [new("w", 0, new(1, 2), ParameterKind.Weight), new("b", 2, new(1), ParameterKind.Bias)];
        float[] w = [2f, -1f, 5f];
        var g = new float[3];
        // L2, λ = 0.1: penalty 0.05·(4 + 1) = 0.25, gradient 0.1·w = (0.2, −0.1), the bias untouched.
        Assert.Equal(0.25f, Regularization.Ridge(0.1f).Apply(w, g, layout), 6);
        Assert.Equal([0.2f, -0.1f, 0f], g, (a, b) => Math.Abs(a - b) < 1e-7f);
        // L1, λ = 0.1: penalty 0.1·3 = 0.3, gradient 0.1·sign(w).
        g = new float[3];
        Assert.Equal(0.3f, Regularization.Lasso(0.1f).Apply(w, g, layout), 6);
        Assert.Equal([0.1f, -0.1f, 0f], g);
        // Elastic net adds both.
        g = new float[3];
        Assert.Equal(0.55f, Regularization.ElasticNet(0.1f, 0.1f).Apply(w, g, layout), 6);
        Assert.Equal([0.3f, -0.2f, 0f], g, (a, b) => Math.Abs(a - b) < 1e-6f);
    }
}

/// <summary>The trainer updates ranges of the parameters on several threads; the result must be the one-thread result.</summary>
public class OptimizerRangeTests
{
    public static TheoryData<string> Optimizers() => new(Factories.Keys);

    private static readonly Dictionary<string, Func<Optimizer>> Factories = new()
    {
        ["Sgd"] = () => new Sgd(0.1f),
        ["SgdNesterov"] = () => new Sgd(0.1f, momentum: 0.9f, nesterov: true),
        ["AdaGrad"] = () => new AdaGrad(0.1f),
        ["RmsProp"] = () => new RmsProp(0.01f),
        ["Adam"] = () => new Adam(0.01f),
        ["AdamW"] = () => new AdamW(0.01f, weightDecay: 0.1f),
    };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void A_step_split_into_ranges_equals_the_whole_step(string name)
    {
        // A weight, a bias and a normalization scale, with range cuts inside the weight and across tensors.
        ParameterTensor[] layout = [new("w", 0, new(7, 13), ParameterKind.Weight), new("b", 91, new(7), ParameterKind.Bias), new("g", 98, new(9), ParameterKind.NormScale)];
        const int count = 107;
        int[] cuts = [0, 40, 95, count];
        Optimizer whole = Factories[name](), split = Factories[name]();
        Assert.True(split.UpdatesElementwise);
        float[] a = TestData.Normal(count, new Rng(31)), b = (float[])a.Clone();
        for (int step = 0; step < 3; step++)
        {
            float[] g = TestData.Normal(count, new Rng(32 + (ulong)step));
            whole.Step(a, g, layout);
            split.BeginStep(b, g, layout);
            for (int r = 0; r + 1 < cuts.Length; r++) Assert.True(split.UpdateRange(b, g, layout, cuts[r], cuts[r + 1]));
            Assert.Equal(a, b);
        }
    }
}
