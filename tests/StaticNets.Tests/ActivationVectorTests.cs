using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using StaticNets.Kernels;

namespace StaticNets.Tests;

/// <summary>
/// Every activation's vector form gives its scalar form's bits, lane by lane, at every width this machine runs
/// (the CI runs the suite with 512-bit, 256-bit, 128-bit and no SIMD), on values that probe the edges: ±0,
/// subnormals, NaN, infinities and large magnitudes.
/// </summary>
public class ActivationVectorTests
{
    public static TheoryData<string> Activations() => new(Factories.Keys);

    private static readonly Dictionary<string, Func<float[], float[], bool>> Factories = new()
    {
        ["Identity"] = (z, a) => Check(default(Identity), z, a),
        ["ReLU"] = (z, a) => Check(default(ReLU), z, a),
        ["LeakyReLU"] = (z, a) => Check(new LeakyReLU(0.07f), z, a),
        ["ELU"] = (z, a) => Check(new ELU(0.7f), z, a),
        ["SELU"] = (z, a) => Check(default(SELU), z, a),
        ["Sigmoid"] = (z, a) => Check(default(Sigmoid), z, a),
        ["Tanh"] = (z, a) => Check(default(Tanh), z, a),
        ["GeluErf"] = (z, a) => Check(default(GeluErf), z, a),
        ["GeluTanh"] = (z, a) => Check(default(GeluTanh), z, a),
        ["Swish"] = (z, a) => Check(new Swish(1.7f), z, a),
        ["Softplus"] = (z, a) => Check(new Softplus(2.5f), z, a),
    };

    [Theory]
    [MemberData(nameof(Activations))]
    public void The_vector_forms_give_the_scalar_bits_at_every_width(string name)
    {
        float[] special = [0f, -0f, 1e-45f, -1e-45f, 1e-39f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e30f, -1e30f, 88.7f, -88.7f, 1f, -1f, 0.5f, -20f];
        float[] z = [.. special, .. TestData.Normal(48, new Rng(3), std: 4)];
        float[] a = TestData.Normal(z.Length, new Rng(4));
        Assert.True(Factories[name](z, a));
    }

    private static bool Check<TAct>(TAct activation, float[] z, float[] a) where TAct : struct, IActivation
    {
        if (Vector512.IsHardwareAccelerated) Check<TAct, Simd512>(activation, z, a);
        if (Vector256.IsHardwareAccelerated) Check<TAct, Simd256>(activation, z, a);
        if (Vector128.IsHardwareAccelerated) Check<TAct, Simd128>(activation, z, a);
        Check<TAct, Scalar>(activation, z, a);
        return true;
    }

    private static void Check<TAct, TV>(TAct activation, float[] z, float[] a) where TAct : struct, IActivation where TV : struct, ISimd<TV>
    {
        var forward = new float[z.Length];
        var derivative = new float[z.Length];
        ref float zr = ref MemoryMarshal.GetArrayDataReference(z), ar = ref MemoryMarshal.GetArrayDataReference(a);
        for (int i = 0; i + TV.Count <= z.Length; i += TV.Count)
        {
            TV.Store(activation.Forward(TV.Load(ref zr, (nuint)i)), ref forward[0], (nuint)i);
            TV.Store(activation.Derivative(TV.Load(ref zr, (nuint)i), TV.Load(ref ar, (nuint)i)), ref derivative[0], (nuint)i);
        }
        for (int i = 0; i < z.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(forward[i]) == BitConverter.SingleToInt32Bits(activation.Forward(z[i])),
                $"{typeof(TAct).Name} forward at {typeof(TV).Name}: f({z[i]}) = {forward[i]}, scalar {activation.Forward(z[i])}");
            Assert.True(BitConverter.SingleToInt32Bits(derivative[i]) == BitConverter.SingleToInt32Bits(activation.Derivative(z[i], a[i])),
                $"{typeof(TAct).Name} derivative at {typeof(TV).Name}: f'({z[i]}) = {derivative[i]}, scalar {activation.Derivative(z[i], a[i])}");
        }
    }
}

/// <summary>The elementwise kernels in vectors give the scalar formula's bits at every length, body and tail alike.</summary>
public class ElementwiseVectorTests
{
    [Fact]
    public void PReLU_add_and_affine_give_the_scalar_bits_at_every_length()
    {
        var rng = new Rng(21);
        for (int n = 0; n <= 70; n++)
        {
            const int batch = 3;
            float[] x = TestData.Normal(batch * n, rng), other = TestData.Normal(batch * n, rng), slope = TestData.Normal(n, rng), shift = TestData.Normal(n, rng);
            if (n > 0) x[0] = -0f;
            var actual = new float[batch * n];
            var z = new float[batch * n];

            ElementwiseKernels.PReLUForward(x, slope, actual, batch, n);
            for (int i = 0; i < x.Length; i++)
                Assert.Equal(x[i] > 0f ? x[i] : slope[i % n] * x[i], actual[i]);

            var tanh = default(Tanh);
            ElementwiseKernels.AddForward(x, other, z, actual, tanh);
            for (int i = 0; i < x.Length; i++)
            {
                Assert.Equal(x[i] + other[i], z[i]);
                Assert.Equal(tanh.Forward(x[i] + other[i]), actual[i]);
            }

            var leaky = new LeakyReLU(0.3f);
            NormalizationKernels.AffineForward(x, slope, shift, actual, batch, n, leaky);
            for (int i = 0; i < x.Length; i++)
                Assert.Equal(leaky.Forward(x[i] * slope[i % n] + shift[i % n]), actual[i]);
        }
    }
}
