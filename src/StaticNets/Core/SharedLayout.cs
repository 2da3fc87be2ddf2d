// Compiled into the runtime and, linked as source, into the generator, so both read the same numbers.
#if STATICNETS_GENERATOR
namespace StaticNets.Generator.Runtime;
#else
namespace StaticNets;
#endif

/// <summary>Sizes the generator plans blocks with and the runtime allocates and reads them with.</summary>
internal static class SharedLayout
{
    /// <summary>Floats per 64-byte cache line: blocks start on one, and the planner starts inference slices on one.</summary>
    public const int FloatsPerLine = 16;

    /// <summary>Outputs per panel of packed inference weights on any hardware: two vectors of the widest width (512 bits).</summary>
    public const int MaxPanelWidth = 32;
}
