using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace StaticNets.Kernels;

/// <summary>
/// An elementwise activation as a struct, so kernels generic over it are specialized by the JIT
/// and the activation is inlined into the producing layer's loop. Each has a scalar form and a vector form of
/// every width with the same bits: as one vector operation where that is exact (identity and the rectifiers),
/// otherwise the scalar form lane by lane.
/// </summary>
public interface IActivation
{
    /// <summary>f(z).</summary>
    float Forward(float z);

    /// <summary>f'(z), given z and a = f(z) (whichever is cheaper to use).</summary>
    float Derivative(float z, float a);

    /// <summary>f on every lane of <paramref name="z"/>.</summary>
    internal TV Forward<TV>(TV z) where TV : struct, ISimd<TV>;

    /// <summary>f' on every lane, given z and a = f(z).</summary>
    internal TV Derivative<TV>(TV z, TV a) where TV : struct, ISimd<TV>;
}

/// <summary>f(z) = z.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct Identity : IActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Forward(float z) => z;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Derivative(float z, float a) => 1f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] TV IActivation.Forward<TV>(TV z) => z;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] TV IActivation.Derivative<TV>(TV z, TV a) => TV.Broadcast(1f);
}

/// <summary>max(0, z); f'(0) = 0 as in PyTorch.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct ReLU : IActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Forward(float z) => z > 0f ? z : 0f;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Derivative(float z, float a) => z > 0f ? 1f : 0f;
    // Selects, like the scalar form: 0 rather than 0·z, and no branch to mispredict on random signs.
    [MethodImpl(MethodImplOptions.AggressiveInlining)] TV IActivation.Forward<TV>(TV z) => TV.SelectPositive(z, z, TV.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] TV IActivation.Derivative<TV>(TV z, TV a) => TV.SelectPositive(z, TV.Broadcast(1f), TV.Zero);
}

/// <summary>z for z &gt; 0, alpha·z otherwise.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct LeakyReLU(float alpha) : IActivation
{
    private readonly float _alpha = alpha;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Forward(float z) => z > 0f ? z : _alpha * z;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Derivative(float z, float a) => z > 0f ? 1f : _alpha;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] TV IActivation.Forward<TV>(TV z) => TV.SelectPositive(z, z, TV.Multiply(TV.Broadcast(_alpha), z));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] TV IActivation.Derivative<TV>(TV z, TV a) => TV.SelectPositive(z, TV.Broadcast(1f), TV.Broadcast(_alpha));
}

/// <summary>z for z &gt; 0, alpha·(eᶻ − 1) otherwise.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct ELU(float alpha) : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] TV IActivation.Forward<TV>(TV z) => TV.ForwardLanes(z, this);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] TV IActivation.Derivative<TV>(TV z, TV a) => TV.DerivativeLanes(z, a, this);
    private readonly float _alpha = alpha;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Forward(float z) => z > 0f ? z : _alpha * ExpM1(z);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Derivative(float z, float a) => z > 0f ? 1f : a + _alpha;

    // eᶻ − 1 loses all precision near 0 in float; double keeps ~1e-16 there.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float ExpM1(float z) => (float)(Math.Exp(z) - 1.0);
}

/// <summary>λ·ELU(z, α) with the constants of Klambauer et al. (2017).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct SELU : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] TV IActivation.Forward<TV>(TV z) => TV.ForwardLanes(z, this);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] TV IActivation.Derivative<TV>(TV z, TV a) => TV.DerivativeLanes(z, a, this);
    /// <summary>λ.</summary>
    public const float Scale = 1.05070098735548049342f;
    /// <summary>α.</summary>
    public const float Alpha = 1.67326324235437728481f;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Forward(float z) => z > 0f ? Scale * z : Scale * Alpha * ELU.ExpM1(z);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Derivative(float z, float a) => z > 0f ? Scale : a + Scale * Alpha;
}

/// <summary>1 / (1 + e⁻ᶻ), evaluated without overflow for any z.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct Sigmoid : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] TV IActivation.Forward<TV>(TV z) => TV.ForwardLanes(z, this);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] TV IActivation.Derivative<TV>(TV z, TV a) => TV.DerivativeLanes(z, a, this);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Forward(float z) => Logistic(z);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Derivative(float z, float a) => a * (1f - a);

    /// <summary>The logistic function, stable for large |z|.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Logistic(float z)
    {
        if (z >= 0f)
            return 1f / (1f + MathF.Exp(-z));
        float e = MathF.Exp(z);
        return e / (1f + e);
    }
}

/// <summary>tanh(z).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct Tanh : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] TV IActivation.Forward<TV>(TV z) => TV.ForwardLanes(z, this);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] TV IActivation.Derivative<TV>(TV z, TV a) => TV.DerivativeLanes(z, a, this);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Forward(float z) => MathF.Tanh(z);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Derivative(float z, float a) => 1f - a * a;
}

/// <summary>z·Φ(z) with the exact erf form; Φ comes from erfc so it keeps its precision for negative z.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct GeluErf : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] TV IActivation.Forward<TV>(TV z) => TV.ForwardLanes(z, this);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] TV IActivation.Derivative<TV>(TV z, TV a) => TV.DerivativeLanes(z, a, this);
    private const double InvSqrt2Pi = 0.39894228040143267794;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Forward(float z) => (float)(z * SpecialFunctions.NormalCdf(z));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Derivative(float z, float a)
    {
        double x = z;
        return (float)(SpecialFunctions.NormalCdf(x) + x * InvSqrt2Pi * Math.Exp(-0.5 * x * x));
    }
}

/// <summary>
/// 0.5·z·(1 + tanh(√(2/π)·(z + 0.044715·z³))), PyTorch's approximate='tanh', evaluated as z·σ(2u)
/// (1 + tanh u = 2σ(2u)) so there is no cancellation where tanh u is near −1.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct GeluTanh : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] TV IActivation.Forward<TV>(TV z) => TV.ForwardLanes(z, this);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] TV IActivation.Derivative<TV>(TV z, TV a) => TV.DerivativeLanes(z, a, this);
    private const float K = 0.79788456080286535588f; // √(2/π)
    private const float C = 0.044715f;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Forward(float z) => z * Sigmoid.Logistic(2f * K * (z + C * z * z * z));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Derivative(float z, float a)
    {
        // d/dz z·σ(2u) = σ + z·2σ(1−σ)·u', u' = K(1 + 3Cz²).
        float s = Sigmoid.Logistic(2f * K * (z + C * z * z * z));
        return s + 2f * z * s * (1f - s) * K * (1f + 3f * C * z * z);
    }
}

/// <summary>z·sigmoid(beta·z); SiLU when beta = 1.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct Swish(float beta) : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] TV IActivation.Forward<TV>(TV z) => TV.ForwardLanes(z, this);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] TV IActivation.Derivative<TV>(TV z, TV a) => TV.DerivativeLanes(z, a, this);
    private readonly float _beta = beta;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Forward(float z) => z * Sigmoid.Logistic(_beta * z);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Derivative(float z, float a)
    {
        float s = Sigmoid.Logistic(_beta * z);
        return s + _beta * z * s * (1f - s);
    }
}

/// <summary>log(1 + e^(beta·z)) / beta, as max(βz, 0) + log1p(e^(−|βz|)) so it never overflows.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct Softplus(float beta) : IActivation
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] TV IActivation.Forward<TV>(TV z) => TV.ForwardLanes(z, this);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] TV IActivation.Derivative<TV>(TV z, TV a) => TV.DerivativeLanes(z, a, this);
    private readonly float _beta = beta;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Forward(float z)
    {
        double bz = (double)_beta * z;
        return (float)((Math.Max(bz, 0.0) + Math.Log(1.0 + Math.Exp(-Math.Abs(bz)))) / _beta);
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Derivative(float z, float a) => Sigmoid.Logistic(_beta * z);
}
