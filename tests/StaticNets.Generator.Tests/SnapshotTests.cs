namespace StaticNets.Generator.Tests;

/// <summary>
/// Generated source compared with committed approved files (Snapshots/*.g.cs.txt; the .txt keeps them
/// out of the build). Set STATICNETS_UPDATE_SNAPSHOTS=1 to rewrite them on purpose, then review the diff.
/// </summary>
public class SnapshotTests
{
    public static TheoryData<string> Names() => new(Networks.Keys);

    private static readonly Dictionary<string, string> Networks = new()
    {
        ["TinyBinary"] = """
            using StaticNets;
            namespace Demo;
            [Network(Loss = Loss.SigmoidBinaryCrossEntropy)]
            [Input(2)] [Dense(8)] [Tanh] [Dense(1)]
            public partial class TinyBinary;
            """,
        ["MnistMlp"] = """
            using StaticNets;
            namespace Demo.Models;
            [Network(Loss = Loss.SoftmaxCrossEntropy)]
            [Input(784)]
            [Dense(256, Init = Init.HeUniform)] [ReLU]
            [Dense(128)] [LeakyReLU(0.05f)]
            [Dense(10)]
            public partial class MnistMlp;
            """,
        ["MaxoutSoftmaxNested"] = """
            using StaticNets;
            public static partial class Outer
            {
                [Network(Loss = Loss.MeanSquaredError)]
                [Input(20)]
                [Dense(12, Bias = false)] [Maxout(3)]
                [Dense(24, BiasInit = 0.1f)] [GELU(Approximate = true)]
                [Dense(5)] [Softmax]
                internal partial class Net;
            }
            """,
        ["ResidualBatchNormDropout"] = """
            using StaticNets;
            namespace Demo;
            [Network(Loss = Loss.SoftmaxCrossEntropy)]
            [Input(20)]
            [Dense(32)] [BatchNorm] [ReLU] [SaveAs("block")]
            [Dense(32)] [BatchNorm] [PReLU]
            [Dropout(0.25f)]
            [Dense(32)] [Add("block")] [ReLU]
            [Dense(16)] [LayerNorm] [GELU]
            [Dense(12)] [BatchNorm]
            [Dense(3)]
            public partial class ResidualNet;
            """,
        ["SmallCnn"] = """
            using StaticNets;
            namespace Demo;
            [Network(Loss = Loss.SoftmaxCrossEntropy)]
            [Input(1, 28, 28)]
            [Conv2D(16, 3, padding: Padding.Same, Bias = false)] [BatchNorm] [ReLU] [MaxPool2D(2)]
            [Conv2D(32, 3, padding: 1)] [PReLU] [AvgPool2D(2)] [Dropout(0.1)]
            [Conv2D(32, 1)] [ReLU] [GlobalAvgPool]
            [Dense(10)]
            public partial class SmallCnn;
            """,
        ["MultiHead"] = """
            using StaticNets;
            namespace Demo;
            [Network(Loss = Loss.SoftmaxCrossEntropy)]
            [Input(12)] [Dense(16)] [BatchNorm] [ReLU] [SaveAs("trunk")]
            [Heads(3)] [Dense(16)] [ReLU] [Add("trunk")] [Dense(4)]
            public partial class MultiHead;
            """,
        ["InferenceOnly"] = """
            using StaticNets;
            [Network]
            [Input(3)] [Dense(4, Init = Init.Orthogonal)] [Swish(1.5f)] [Dense(2)] [SELU]
            public partial class Controller;
            """,
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Generated_source_matches_the_approved_file(string name)
    {
        var (run, compileDiagnostics) = GeneratorHarness.Run(Networks[name]);
        Assert.Empty(run.Diagnostics.Where(d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Warning));
        Assert.Empty(compileDiagnostics);
        string actual = Assert.Single(run.GeneratedSources).SourceText.ToString();

        string path = Path.Combine(SnapshotDirectory(), name + ".g.cs.txt");
        if (Environment.GetEnvironmentVariable("STATICNETS_UPDATE_SNAPSHOTS") == "1")
            File.WriteAllText(path, actual);
        Assert.True(File.Exists(path), $"No approved snapshot at {path}; run with STATICNETS_UPDATE_SNAPSHOTS=1 to create it, then review it.");
        string approved = File.ReadAllText(path);
        if (approved != actual)
        {
            File.WriteAllText(Path.ChangeExtension(path, ".received.txt"), actual);
            Assert.Fail($"Generated source for {name} differs from {path}; see the .received.txt beside it. If the change is intended, rerun with STATICNETS_UPDATE_SNAPSHOTS=1.");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Generated_code_reads_as_written_by_hand(string name)
    {
        string source = GeneratorHarness.Run(Networks[name]).Run.GeneratedSources[0].SourceText.ToString();
        string[] lines = source.Split('\n');
        // No line over 160 columns; spans sliced from the blocks by name (locals made once), not at every use.
        Assert.All(lines, line => Assert.True(line.Length <= 160, $"{line.Length} columns: {line.Trim()}"));
        var slices = lines.Select(l => l.Trim()).Where(l => l.Contains(".Slice(", StringComparison.Ordinal) && (l.StartsWith("global::StaticNets.Kernels", StringComparison.Ordinal)));
        Assert.Empty(slices);
        // Each generated method once: no two methods with the same body.
        var bodies = System.Text.RegularExpressions.Regex.Matches(source, @"private static void (\w+)\(([^)]*)\)\s*\{([\s\S]*?)\n        \}")
            .Select(m => m.Groups[3].Value).ToList();
        Assert.Equal(bodies.Count, bodies.Distinct().Count());
    }

    [Fact]
    public void Output_is_deterministic()
    {
        string a = GeneratorHarness.Run(Networks["MnistMlp"]).Run.GeneratedSources[0].SourceText.ToString();
        string b = GeneratorHarness.Run(Networks["MnistMlp"]).Run.GeneratedSources[0].SourceText.ToString();
        Assert.Equal(a, b);
        Assert.DoesNotContain("\r", a);
        Assert.StartsWith("// <auto-generated/>", a.TrimStart('\uFEFF'));
    }

    [Fact]
    public void Float_literals_are_culture_invariant()
    {
        var previous = Thread.CurrentThread.CurrentCulture;
        try
        {
            Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            string source = GeneratorHarness.Run(Networks["MnistMlp"]).Run.GeneratedSources[0].SourceText.ToString();
            Assert.Contains("LeakyReLU(0.05f)", source);
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = previous;
        }
    }

    private static string SnapshotDirectory() => RepositoryPaths.Combine("tests/StaticNets.Generator.Tests/Snapshots");
}
