namespace StaticNets;

/// <summary>
/// Weight initializers over a tensor of a given shape ([out, in] or [out, in, kh, kw], row-major). Generated
/// constructors call <see cref="Fill"/>; the formulas are in the <see cref="Init"/> member docs.
/// </summary>
public static class Initializers
{
    /// <summary>
    /// Fills <paramref name="weights"/> of <paramref name="shape"/> with <paramref name="init"/>, fan-in and fan-out
    /// as PyTorch takes them from the shape (a convolution's fan-in is in·kh·kw, its fan-out out·kh·kw).
    /// <paramref name="scale"/> is the value, std, bound or gain where the initializer takes one (NaN: its default).
    /// <paramref name="negativeSlope"/> is the following LeakyReLU's alpha, which He initialization accounts for.
    /// </summary>
    public static void Fill(Span<float> weights, ParameterShape shape, Init init, float scale, Rng rng, float negativeSlope = 0f)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (shape.Rank < 2)
            throw new ArgumentException($"Weights need a shape of at least 2 dimensions ([out, in, ...]); got {shape}.", nameof(shape));
        if (weights.Length != shape.Length)
            throw new ArgumentException($"weights has {weights.Length} values; its shape {shape} has {shape.Length}.", nameof(weights));
        int fanIn = shape.FanIn, fanOut = shape.FanOut;

        double heGain = 2.0 / (1.0 + (double)negativeSlope * negativeSlope);
        switch (init)
        {
            case Init.Zeros: weights.Clear(); break;
            case Init.Constant: weights.Fill(RequireScale(scale, init)); break;
            case Init.Normal: Normal(weights, RequireScale(scale, init), rng); break;
            case Init.Uniform: Uniform(weights, RequireScale(scale, init), rng); break;
            case Init.XavierNormal: Normal(weights, Math.Sqrt(2.0 / (fanIn + fanOut)), rng); break;
            case Init.XavierUniform: Uniform(weights, Math.Sqrt(6.0 / (fanIn + fanOut)), rng); break;
            case Init.LeCunNormal: Normal(weights, Math.Sqrt(1.0 / fanIn), rng); break;
            case Init.LeCunUniform: Uniform(weights, Math.Sqrt(3.0 / fanIn), rng); break;
            case Init.HeNormal: Normal(weights, Math.Sqrt(heGain / fanIn), rng); break;
            case Init.HeUniform: Uniform(weights, Math.Sqrt(3.0 * heGain / fanIn), rng); break;
            case Init.Orthogonal: Orthogonal(weights, shape[0], shape.Length / shape[0], float.IsNaN(scale) ? 1f : scale, rng); break;
            default:
                throw new ArgumentOutOfRangeException(nameof(init), init, "Init.Default must be resolved to a concrete initializer by the generator.");
        }
    }

    /// <summary>Fills with N(0, std²).</summary>
    public static void Normal(Span<float> values, double std, Rng rng)
    {
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)(std * rng.NextNormal());
    }

    /// <summary>Fills with U(-bound, bound).</summary>
    public static void Uniform(Span<float> values, double bound, Rng rng)
    {
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)(bound * (2.0 * rng.NextDouble() - 1.0));
    }

    /// <summary>
    /// A [rows, cols] matrix with orthonormal rows (rows ≤ cols) or columns (rows &gt; cols), times
    /// <paramref name="gain"/>: Q of the QR decomposition of a Gaussian matrix, signs fixed by R's
    /// diagonal so the distribution is uniform (Saxe et al., 2014).
    /// </summary>
    public static void Orthogonal(Span<float> values, int rows, int cols, float gain, Rng rng)
    {
        // Work on the tall orientation m × n (m ≥ n) and transpose back when needed.
        bool transpose = rows < cols;
        int m = transpose ? cols : rows, n = transpose ? rows : cols;
        var a = new double[m * n];
        for (int i = 0; i < a.Length; i++)
            a[i] = rng.NextNormal();

        // Modified Gram–Schmidt, column by column, in double: Q's columns overwrite a.
        for (int j = 0; j < n; j++)
        {
            for (int k = 0; k < j; k++)
            {
                double dot = 0;
                for (int i = 0; i < m; i++) dot += a[i * n + k] * a[i * n + j];
                for (int i = 0; i < m; i++) a[i * n + j] -= dot * a[i * n + k];
            }
            double norm = 0;
            for (int i = 0; i < m; i++) norm += a[i * n + j] * a[i * n + j];
            norm = Math.Sqrt(norm);
            // R's diagonal is the (positive) norm here, so Q already has the sign convention.
            for (int i = 0; i < m; i++) a[i * n + j] /= norm;
        }

        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                int target = transpose ? j * cols + i : i * cols + j;
                values[target] = (float)(gain * a[i * n + j]);
            }
    }

    private static float RequireScale(float scale, Init init) =>
        float.IsFinite(scale) ? scale : throw new ArgumentException($"Init.{init} needs InitScale (a finite value); got {scale}.", nameof(scale));
}
