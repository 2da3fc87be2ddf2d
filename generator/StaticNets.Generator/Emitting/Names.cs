namespace StaticNets.Generator.Emitting;

/// <summary>Names and expressions shared by the emitters, so each is spelled in one place.</summary>
internal static class Names
{
    public const string Kernels = "global::StaticNets.Kernels";
    public const string Guard = "global::StaticNets.Guard";
    public const string Span = "global::System.Span<float>";
    public const string ReadOnlySpan = "global::System.ReadOnlySpan<float>";
    public const string AsSpan = "global::System.MemoryExtensions.AsSpan";
    public const string MethodImpl = "global::System.Runtime.CompilerServices.MethodImpl";
    public const string MethodImplOptions = "global::System.Runtime.CompilerServices.MethodImplOptions";

    /// <summary>The type of every float block and workspace buffer: an aligned segment (see <c>AlignedArrays</c>).</summary>
    public const string Block = "global::System.ArraySegment<float>";

    /// <summary>An expression allocating a block of <paramref name="length"/> floats on a cache-line boundary.</summary>
    public static string NewBlock(string length) => $"global::StaticNets.AlignedArrays.Allocate({length})";

    public static string Loss(Runtime.Loss loss) => "global::StaticNets.Loss." + loss;

    /// <summary>A view's name as a local, its kind spelled as in the op's name: "BatchNorm1Gamma" → "batchnorm1Gamma".</summary>
    public static string Camel(string name)
    {
        int digit = 0;
        while (digit < name.Length && !char.IsDigit(name[digit])) digit++;
        return name.Substring(0, digit).ToLowerInvariant() + name.Substring(digit);
    }
}
