namespace StaticNets.Quantization;

/// <summary>
/// Each layer's input range from calibration samples run through the float layers, and the affine 7-bit quantization
/// that covers it (PyTorch's quint8 with reduce_range: quant_min 0, quant_max 127, the range widened to hold 0 so zero
/// is exact).
/// </summary>
internal static class Calibration
{
    public static (float Scale, int ZeroPoint)[] Run(List<FoldedLayer> layers, ReadOnlySpan<float> samples, int count, QuantizationOptions options)
    {
        int input = layers[0].Geometry.InputSize;
        bool percentile = options.Method == CalibrationMethod.Percentile;
        // Min/max needs two numbers per layer; a percentile keeps every input value of every layer (count × widths).
        var values = percentile ? layers.Select(l => new float[(long)count * l.Geometry.InputSize]).ToArray() : null;
        var min = new float[layers.Count];
        var max = new float[layers.Count];
        Array.Fill(min, float.PositiveInfinity);
        Array.Fill(max, float.NegativeInfinity);
        int widest = layers.Max(l => Math.Max(l.Geometry.InputSize, l.OutputSize));
        var x = new float[widest];
        var y = new float[widest];
        LayerGeometry first = layers[0].Geometry;
        for (int s = 0; s < count; s++)
        {
            Im2Col.ToChannelsLast(samples.Slice(s * input, input), first.Channels, first.Height * first.Width, x);
            for (int l = 0; l < layers.Count; l++)
            {
                ReadOnlySpan<float> seen = x.AsSpan(0, layers[l].Geometry.InputSize);
                min[l] = Math.Min(min[l], System.Numerics.Tensors.TensorPrimitives.Min(seen));
                max[l] = Math.Max(max[l], System.Numerics.Tensors.TensorPrimitives.Max(seen));
                if (values is not null) seen.CopyTo(values[l].AsSpan(s * seen.Length));
                layers[l].Forward(seen, y.AsSpan(0, layers[l].OutputSize));
                (x, y) = (y, x);
            }
        }
        return Enumerable.Range(0, layers.Count).Select(l => Affine(values is null ? (min[l], max[l]) : Range(values[l], options))).ToArray();
    }

    // The percentile range of a layer's kept inputs, sorting them in place (they serve nothing else).
    private static (float Min, float Max) Range(float[] sorted, QuantizationOptions options)
    {
        Array.Sort(sorted);
        double tail = (100 - options.Percentile) / 100;
        int low = (int)Math.Floor(tail * (sorted.Length - 1)), high = (int)Math.Ceiling((1 - tail) * (sorted.Length - 1));
        return (sorted[low], sorted[high]);
    }

    /// <summary>Scale and zero point mapping [min, max] (widened to hold 0) onto 0…127.</summary>
    public static (float Scale, int ZeroPoint) Affine((float Min, float Max) range)
    {
        float min = Math.Min(range.Min, 0f), max = Math.Max(range.Max, 0f);
        float scale = (max - min) / Int8Kernels.MaxActivation;
        if (!(scale > 0) || !float.IsFinite(scale)) scale = 1f;
        int zeroPoint = (int)Math.Clamp(MathF.Round(-min / scale), 0, Int8Kernels.MaxActivation);
        return (scale, zeroPoint);
    }
}
