namespace StaticNets.Tuning;

/// <summary>Values for grid search.</summary>
public static class Grid
{
    /// <summary>
    /// <paramref name="count"/> values evenly spaced in the logarithm from <paramref name="low"/> to <paramref name="high"/>,
    /// the inner ones rounded to one significant digit as the lectures write them: three over [0.001, 0.01] give 0.001,
    /// 0.003, 0.01; four give 0.001, 0.002, 0.005, 0.01.
    /// </summary>
    public static double[] LogSpaced(double low, double high, int count)
    {
        if (!(low > 0) || !(high > low) || !double.IsFinite(high))
            throw new ArgumentException($"A log-spaced grid needs 0 < low < high, both finite (got {low} and {high}).");
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 2);
        var values = new double[count];
        double a = Math.Log10(low), b = Math.Log10(high);
        for (int i = 0; i < count; i++)
            values[i] = i == 0 ? low : i == count - 1 ? high : OneDigit(Math.Pow(10, a + (b - a) * i / (count - 1)));
        return values;
    }

    /// <summary><paramref name="count"/> values evenly spaced from <paramref name="low"/> to <paramref name="high"/>, both included.</summary>
    public static double[] Linear(double low, double high, int count)
    {
        if (!double.IsFinite(low) || !double.IsFinite(high) || !(high > low)) throw new ArgumentException($"A grid needs low < high, both finite (got {low} and {high}).");
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 2);
        return Enumerable.Range(0, count).Select(i => i == count - 1 ? high : low + (high - low) * i / (count - 1)).ToArray();
    }

    // 0.00316 → 0.003, 0.00464 → 0.005: the nearest number with one significant digit (in decimal, so it prints exactly).
    internal static double OneDigit(double value)
    {
        int exponent = (int)Math.Floor(Math.Log10(value));
        double digit = Math.Round(value / Math.Pow(10, exponent));
        if (digit >= 10) (digit, exponent) = (1, exponent + 1);
        return double.Parse($"{digit}e{exponent}", System.Globalization.CultureInfo.InvariantCulture);
    }
}
