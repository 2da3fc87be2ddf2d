using System.Globalization;

namespace StaticNets.Generator;

/// <summary>Literals in generated code: invariant culture, round-trip form, deterministic.</summary>
internal static class Format
{
    public static string Float(float value) =>
        float.IsNaN(value) ? "float.NaN"
        : float.IsPositiveInfinity(value) ? "float.PositiveInfinity"
        : float.IsNegativeInfinity(value) ? "float.NegativeInfinity"
        : value.ToString("R", CultureInfo.InvariantCulture);

    public static string FloatLiteral(float value) => float.IsNaN(value) || float.IsInfinity(value) ? Float(value) : Float(value) + "f";
}
