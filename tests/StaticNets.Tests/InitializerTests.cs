namespace StaticNets.Tests;

public class InitializerTests
{
    private const int FanIn = 300, FanOut = 200;

    public static TheoryData<Init, double, bool> Cases() => new()
    {
        // init, expected variance, normal (false: uniform)
        { Init.XavierNormal, 2.0 / (FanIn + FanOut), true },
        { Init.XavierUniform, 2.0 / (FanIn + FanOut), false },
        { Init.LeCunNormal, 1.0 / FanIn, true },
        { Init.LeCunUniform, 1.0 / FanIn, false },
        { Init.HeNormal, 2.0 / FanIn, true },
        { Init.HeUniform, 2.0 / FanIn, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sample_mean_and_variance_match_the_formula(Init init, double variance, bool normal)
    {
        var w = new float[FanIn * FanOut];
        Initializers.Fill(w, new(FanOut, FanIn), init, float.NaN, new Rng(1));
        AssertMoments(w, variance, normal);
        if (!normal)
        {
            double bound = Math.Sqrt(3 * variance);
            Assert.All(w, v => Assert.InRange(v, -bound, bound));
        }
    }

    [Fact]
    public void He_accounts_for_the_leaky_relu_slope()
    {
        var w = new float[FanIn * FanOut];
        Initializers.Fill(w, new(FanOut, FanIn), Init.HeNormal, float.NaN, new Rng(2), negativeSlope: 0.5f);
        AssertMoments(w, 2.0 / (1 + 0.25) / FanIn, normal: true);
    }

    [Fact]
    public void Normal_uniform_and_constant_use_the_scale()
    {
        var w = new float[FanIn * FanOut];
        Initializers.Fill(w, new(FanOut, FanIn), Init.Normal, 0.05f, new Rng(3));
        AssertMoments(w, 0.05 * 0.05, normal: true);
        Initializers.Fill(w, new(FanOut, FanIn), Init.Uniform, 0.2f, new Rng(3));
        AssertMoments(w, 0.2 * 0.2 / 3, normal: false);
        Initializers.Fill(w, new(FanOut, FanIn), Init.Constant, 0.7f, new Rng(3));
        Assert.All(w, v => Assert.Equal(0.7f, v));
        Initializers.Fill(w, new(FanOut, FanIn), Init.Zeros, float.NaN, new Rng(3));
        Assert.All(w, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Scaled_initializers_without_a_scale_are_rejected()
    {
        var w = new float[6];
        var e = Assert.Throws<ArgumentException>(() => Initializers.Fill(w, new(2, 3), Init.Normal, float.NaN, new Rng(1)));
        Assert.Contains("InitScale", e.Message);
        Assert.Throws<ArgumentException>(() => Initializers.Fill(new float[5], new(2, 3), Init.HeNormal, float.NaN, new Rng(1)));
    }

    [Theory]
    [InlineData(64, 64)]
    [InlineData(50, 20)]
    [InlineData(20, 50)]
    public void Orthogonal_gives_orthonormal_rows_or_columns(int rows, int cols)
    {
        var w = new float[rows * cols];
        Initializers.Fill(w, new(rows, cols), Init.Orthogonal, float.NaN, new Rng(4));
        // Gram matrix of the shorter side: rows when rows ≤ cols (W Wᵀ = I), columns otherwise (Wᵀ W = I).
        bool byRows = rows <= cols;
        int n = byRows ? rows : cols, len = byRows ? cols : rows;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double dot = 0;
                for (int k = 0; k < len; k++)
                    dot += byRows ? (double)w[i * cols + k] * w[j * cols + k] : (double)w[k * cols + i] * w[k * cols + j];
                Assert.Equal(i == j ? 1.0 : 0.0, dot, 5);
            }
    }

    [Fact]
    public void Same_seed_gives_the_same_numbers()
    {
        foreach (Init init in Enum.GetValues<Init>().Where(i => i is not (Init.Default or Init.Constant or Init.Normal or Init.Uniform)))
        {
            var a = new float[120];
            var b = new float[120];
            Initializers.Fill(a, new(10, 12), init, float.NaN, new Rng(77));
            Initializers.Fill(b, new(10, 12), init, float.NaN, new Rng(77));
            Assert.Equal(a, b);
        }
    }

    // Mean within 5 standard errors of 0; sample variance within 5 standard errors of the formula
    // (the standard error of s² is σ²·sqrt(2/n) for a normal, σ²·sqrt(0.8/n) for a uniform).
    private static void AssertMoments(float[] w, double variance, bool normal)
    {
        int n = w.Length;
        double mean = w.Average(v => (double)v);
        double sampleVariance = w.Sum(v => (v - mean) * (v - mean)) / (n - 1);
        Assert.InRange(mean, -5 * Math.Sqrt(variance / n), 5 * Math.Sqrt(variance / n));
        double standardError = variance * Math.Sqrt((normal ? 2.0 : 0.8) / n);
        Assert.InRange(sampleVariance, variance - 5 * standardError, variance + 5 * standardError);
    }
}
