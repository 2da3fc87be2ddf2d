using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using StaticNets.Kernels;

namespace StaticNets;

/// <summary>
/// An elementwise optimizer's update of one range of values, written once over <see cref="ISimd{TSelf}"/> and run by
/// <see cref="ElementwiseUpdate.Run"/>: the widest vectors the hardware has, then the tail through <see cref="Scalar"/>.
/// Every value goes through the same operations in the same order wherever it sits, so a parameter's bits depend
/// neither on the vector width nor on how a step is split between threads.
/// </summary>
// Each update broadcasts its constants before its own loop: written as one shared loop calling a per-value rule,
// the JIT left the broadcasts inside the loop and Adam ran markedly slower.
internal interface IElementwiseUpdate
{
    /// <summary>
    /// Updates values from <paramref name="start"/> in whole vectors of TV through <paramref name="target"/>; returns
    /// where it stopped.
    /// </summary>
    int Run<TV>(int start, ref ParameterTarget target) where TV : struct, ISimd<TV>;
}

/// <summary>
/// Where an elementwise update writes: the new values, with the old ones kept aside so a step that would leave a
/// parameter NaN or infinite can be undone exactly, and a running check of the new values. In the update's own loop
/// both cost almost nothing: the old values are in registers already and the check is one subtraction and one add.
/// </summary>
internal ref struct ParameterTarget(Span<float> values, Span<float> previous)
{
    private readonly ref float _values = ref MemoryMarshal.GetReference(values);
    private readonly ref float _previous = ref MemoryMarshal.GetReference(previous);

    // Σ (x − x) over the new values: 0 while every x is finite, NaN from the first NaN or infinity on.
    private float _check;

    public readonly bool AllFinite => _check == 0f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly TV Load<TV>(nuint at) where TV : struct, ISimd<TV> => TV.Load(ref _values, at);

    /// <summary>Keeps <paramref name="old"/> and writes <paramref name="next"/> at <paramref name="at"/>, adding its check to <paramref name="check"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Write<TV>(TV old, TV next, nuint at, ref TV check) where TV : struct, ISimd<TV>
    {
        TV.Store(old, ref _previous, at);
        TV.Store(next, ref _values, at);
        check = TV.Add(check, TV.Subtract(next, next));
    }

    /// <summary>Adds one loop's check (summed across its lanes) to the range's.</summary>
    public void Finish<TV>(TV check) where TV : struct, ISimd<TV> => _check += TV.Sum(check);
}

internal static class ElementwiseUpdate
{
    /// <summary>
    /// Runs <paramref name="update"/> over <paramref name="values"/>, keeping their old values in <paramref name="previous"/>;
    /// returns whether every new value is finite. The updates read the gradients through refs, so a gradient span that
    /// does not match the values is refused here, before any value changes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Run<TUpdate>(Span<float> values, ReadOnlySpan<float> gradients, Span<float> previous, in TUpdate update)
        where TUpdate : IElementwiseUpdate, allows ref struct
    {
        if (gradients.Length != values.Length)
            throw new ArgumentException($"gradients has {gradients.Length} values for {values.Length} parameters.", nameof(gradients));
        var target = new ParameterTarget(values, previous[..values.Length]);
        int i = 0;
        if (Vector512.IsHardwareAccelerated) i = update.Run<Simd512>(0, ref target);
        else if (Vector256.IsHardwareAccelerated) i = update.Run<Simd256>(0, ref target);
        else if (Vector128.IsHardwareAccelerated) i = update.Run<Simd128>(0, ref target);
        update.Run<Scalar>(i, ref target);
        return target.AllFinite;
    }
}
