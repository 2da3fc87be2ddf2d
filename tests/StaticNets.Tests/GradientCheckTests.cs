using StaticNets.Tests.Reference;
using Xunit.Abstractions;

namespace StaticNets.Tests;

/// <summary>
/// Analytic gradients (float, generated code) against central finite differences of the independent
/// double-precision reference. The difference step and double arithmetic make the finite differences
/// accurate to ~1e-9, so the tolerance only has to cover float rounding in the analytic path:
/// about 1e-6 relative for sums of a few hundred terms, checked at 1e-4 per element. An element far
/// smaller than the largest one is the difference of much larger float terms, so its absolute error
/// is a few float epsilons (1.2e-7) of the gradient's scale, not of itself: the denominator never drops
/// below 1e-2 of the largest gradient, making the absolute tolerance 1e-6 of it (about 8 epsilons).
/// </summary>
public class GradientCheckTests(ITestOutputHelper output)
{
    private const double RelativeTolerance = 1e-4;
    private const double FloorFraction = 1e-2;
    private const double Step = 1e-5;

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        // Finite differences cost two reference passes per parameter: small networks only.
        foreach (var (name, factory) in NetworkFactories.All)
            // BatchNorm's backward removes the batch mean and the x̂ direction from the gradient, which with
            // very few samples leaves a small remainder of larger float terms: with two samples every feature
            // maps to exactly ±1 and the true gradient is O(ε); with three, upstream float rounding was seen
            // amplified to 1.6e-4 relative (DeepStackNet), while 4, 6, 8 and 12 samples all gave about 1e-5.
            // So BatchNorm networks are checked at 4 and 8 samples, the others at 1 and 5.
            if (factory(0) is ITrainableNetwork { Parameters.Length: < 5000 } net)
                foreach (int batch in net.MinBatchSize == 1 ? new[] { 1, 5 } : new[] { 4, 8 })
                    data.Add(name, batch);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Analytic_gradients_match_finite_differences(string name, int batch)
    {
        var net = (ITrainableNetwork)NetworkFactories.All[name](3);
        var rng = new Rng(11);
        // Non-zero biases so every unit sits away from its kink in a different place.
        foreach (var t in net.ParameterTensors.ToArray().Where(t => t.Kind == ParameterKind.Bias))
            Initializers.Normal(net.Parameters.Slice(t.Offset, t.Length), 0.3, rng);

        float[] inputs = TestData.Normal(batch * net.InputSize, rng);
        var targets = TestData.TargetsFor(net, batch, rng);
        var inputGradients = new float[inputs.Length];
        float loss = TestData.ComputeGradients(net, inputs, targets, batch, inputGradients);

        // Training mode: BatchNorm on this batch's statistics, dropout with the masks this step drew.
        var reference = new ReferenceNetwork(net);
        double[] p = TestData.AsDouble(net.Parameters), state = TestData.AsDouble(net.State);
        double[] x = inputs.Select(v => (double)v).ToArray();
        float[][]? masks = TestData.DropoutMasks(net)?.Select(m => m.ToArray()).ToArray();
        double Loss(double[] parameters, double[] at) => reference.Loss(parameters, state, at, targets.AsDouble, batch, training: true, masks);
        double referenceLoss = Loss(p, x);
        Assert.True(Math.Abs(loss - referenceLoss) <= 1e-5 * Math.Max(1, Math.Abs(referenceLoss)),
            $"{name}: loss {loss} differs from the reference {referenceLoss}");

        double[] numericParameters = FiniteDifferences(p, v => Loss(v, x));
        double[] numericInputs = FiniteDifferences(x, v => Loss(p, v));
        AssertClose(name + " parameters", net.Gradients.ToArray(), numericParameters);
        AssertClose(name + " inputs", inputGradients, numericInputs);
    }

    private static double[] FiniteDifferences(double[] at, Func<double[], double> f)
    {
        var result = new double[at.Length];
        var probe = (double[])at.Clone();
        for (int i = 0; i < at.Length; i++)
        {
            double h = Step * Math.Max(1, Math.Abs(at[i]));
            probe[i] = at[i] + h;
            double up = f(probe);
            probe[i] = at[i] - h;
            double down = f(probe);
            probe[i] = at[i];
            result[i] = (up - down) / (2 * h);
        }
        return result;
    }

    private void AssertClose(string what, float[] analytic, double[] numeric)
    {
        double floor = FloorFraction * numeric.Max(Math.Abs);
        Assert.True(floor > 0, $"{what}: every numeric gradient is zero, so the check would test nothing");
        double worst = 0;
        int worstIndex = -1;
        for (int i = 0; i < numeric.Length; i++)
        {
            double error = Math.Abs(analytic[i] - numeric[i]) / Math.Max(Math.Abs(numeric[i]), floor);
            if (error > worst) (worst, worstIndex) = (error, i);
        }
        output.WriteLine($"{what}: {numeric.Length} values, worst relative error {worst:E2} at {worstIndex}");
        Assert.True(worst <= RelativeTolerance,
            $"{what}: gradient {worstIndex} is {analytic[worstIndex]:R} analytically but {numeric[worstIndex]:R} by finite differences (relative error {worst:E2})");
    }
}
