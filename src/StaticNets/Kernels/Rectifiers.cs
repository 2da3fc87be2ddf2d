using System.Runtime.CompilerServices;

namespace StaticNets.Kernels;

/// <summary>
/// ReLU and LeakyReLU in vector code: f(z) = z &gt; 0 ? z : slope·z (ReLU: 0) and f'(z) = z &gt; 0 ? 1 : slope, as
/// selects that give the same values as the scalar forms and have no branch to mispredict on random signs.
/// The type tests are on struct type arguments, so the JIT resolves them when it specializes a kernel.
/// </summary>
internal static class Rectifiers
{
    // Always inlined: a kernel that inlines many helpers runs out of the JIT's inlining budget, and a call left in
    // place also keeps the scalar fallback alive beside the vector path.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Is<TAct>() where TAct : struct, IActivation => typeof(TAct) == typeof(ReLU) || typeof(TAct) == typeof(LeakyReLU);

    /// <summary>The slope below zero: LeakyReLU's alpha, 0 for ReLU.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float NegativeSlope<TAct>(TAct activation) where TAct : struct, IActivation =>
        typeof(TAct) == typeof(LeakyReLU) ? Unsafe.As<TAct, LeakyReLU>(ref activation).Alpha : 0f;

    /// <summary>f(z) for a rectifier (<see cref="Is{TAct}"/>); ReLU selects 0 rather than 0·z, as its scalar form does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Forward<TAct, TV>(TV z, TAct activation) where TAct : struct, IActivation where TV : struct, ISimd<TV> =>
        TV.SelectPositive(z, z, typeof(TAct) == typeof(ReLU) ? TV.Zero : TV.Multiply(z, TV.Broadcast(NegativeSlope(activation))));
}
