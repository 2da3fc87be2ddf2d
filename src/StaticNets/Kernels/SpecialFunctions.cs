namespace StaticNets.Kernels;

/// <summary>Functions .NET's Math lacks.</summary>
public static class SpecialFunctions
{
    /// <summary>
    /// The error function from the Chebyshev fit of erfc in Numerical Recipes (2nd ed., §6.2):
    /// erfc's relative error is below 1.2e-7, so erf's absolute error is too; ample for float results.
    /// </summary>
    public static double Erf(double x)
    {
        double z = Math.Abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double erfc = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
            t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? 1.0 - erfc : erfc - 1.0;
    }
}
