namespace StaticNets.Kernels;

/// <summary>Functions .NET's Math lacks.</summary>
public static class SpecialFunctions
{
    /// <summary>
    /// The complementary error function from the Chebyshev fit in Numerical Recipes (2nd ed., §6.2):
    /// relative error below 1.2e-7 for every x, so tails such as Φ(−6) keep their precision.
    /// </summary>
    public static double Erfc(double x)
    {
        double z = Math.Abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
            t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2.0 - r;
    }

    /// <summary>The error function, 1 − erfc(x): absolute error below 1.2e-7.</summary>
    public static double Erf(double x) => 1.0 - Erfc(x);

    /// <summary>The standard normal CDF Φ(x) = erfc(−x/√2)/2, relative error below 1.2e-7.</summary>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x * 0.70710678118654752440);
}
