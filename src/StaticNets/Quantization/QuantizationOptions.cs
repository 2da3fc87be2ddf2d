namespace StaticNets;

/// <summary>How each layer's input range is found from the calibration samples.</summary>
public enum CalibrationMethod
{
    /// <summary>The smallest and largest value seen (PyTorch's MinMaxObserver): nothing is clipped.</summary>
    MinMax,
    /// <summary>
    /// The <see cref="QuantizationOptions.Percentile"/>-th percentile at each end: a few outliers are clipped so the
    /// common values get finer steps.
    /// </summary>
    Percentile,
}

/// <summary>Post-training quantization settings. Immutable.</summary>
/// <param name="Method">How the activation ranges are calibrated.</param>
/// <param name="Percentile">
/// For <see cref="CalibrationMethod.Percentile"/>: the share of values kept inside the range at each end, in percent (50
/// to 100). A percentile keeps every calibration value of every layer's input while it calibrates (samples × the
/// layers' widths floats, twice over to sort): a few thousand samples are plenty.
/// </param>
public sealed record QuantizationOptions(CalibrationMethod Method = CalibrationMethod.MinMax, double Percentile = 99.99)
{
    /// <summary>Min/max calibration.</summary>
    public static readonly QuantizationOptions Default = new();
}
