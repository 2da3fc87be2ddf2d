using StaticNets.Kernels;

namespace StaticNets.Tests;

/// <summary>
/// .ci/run runs this suite once per kernel path, switching the paths off with DOTNET_Enable* variables, and names the
/// path it meant in STATICNETS_KERNEL_PATH. A switch the runtime stopped honouring (.NET 10 ignores
/// DOTNET_EnableAVX512F) would otherwise test the same path several times and report each as covered.
/// </summary>
public class KernelPathTests
{
    [Fact]
    public void The_kernels_run_on_the_path_the_run_asked_for()
    {
        string? asked = Environment.GetEnvironmentVariable("STATICNETS_KERNEL_PATH");
        string actual = Simd.Width switch
        {
            16 => "512",
            8 => "256",
            4 => Simd128Aligned.Helps ? "128-sse" : "128",
            _ => "scalar",
        };
        if (asked is not null)
            Assert.Equal(asked, actual);
        else // every 64-bit x86 or Arm machine has at least 128-bit SIMD; scalar only when switched off
            Assert.NotEqual("scalar", actual);
    }
}
