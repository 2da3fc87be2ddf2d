using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using Xunit.Abstractions;

namespace StaticNets.Generator.Tests;

/// <summary>
/// Random attribute stacks, seeded: every one either compiles cleanly, or gets diagnostics only at the user's
/// attributes and class (SN diagnostics from the generator, or the compiler's own about the user's code), and never
/// a diagnostic inside generated code.
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    private const int Cases = 300;

    private static readonly string[] Kinds =
    [
        "Input", "Dense", "Dense", "Dense", "ReLU", "LeakyReLU", "ELU", "SELU", "Sigmoid", "Tanh", "GELU", "Swish", "Softplus",
        "Maxout", "Softmax", "BatchNorm", "LayerNorm", "Dropout", "DropConnect", "PReLU", "SaveAs", "Add",
        "Conv2D", "Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool", "Flatten",
    ];

    private static readonly string[] Sizes = ["0", "-1", "1", "2", "3", "5", "7", "16", "17", "33", "100", "1000", "65536", "1048576", "int.MaxValue", "int.MinValue"];
    private static readonly string[] Reals = ["0", "-1", "0.5", "0.01f", "1", "2.5", "double.NaN", "float.NaN", "double.PositiveInfinity", "1e300", "1e-45", "-0.0"];
    private static readonly string[] Names = ["\"a\"", "\"b\"", "\"\"", "\"x y\"", "\"a\""];

    [Fact]
    public void Random_attribute_stacks_never_break_inside_generated_code()
    {
        var failures = new List<string>();
        int clean = 0, refused = 0;
        Parallel.For(0, Cases, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            string source = Source(new StaticNets.Rng((ulong)i * 7919 + 1));
            string? problem = Check(source, out bool compiled);
            lock (failures)
            {
                if (problem is not null) failures.Add($"case {i}: {problem}\n{source}");
                else if (compiled) clean++;
                else refused++;
            }
        });
        output.WriteLine($"{clean} compiled cleanly, {refused} were refused with diagnostics at the user's code");
        Assert.True(failures.Count == 0, $"{failures.Count} of {Cases} cases failed; first:\n{failures.FirstOrDefault()}");
        Assert.True(clean > Cases / 10 && refused > Cases / 10, $"the cases are not varied enough: {clean} clean, {refused} refused");
    }

    // Null when the case is fine; `compiled` says whether it built without diagnostics.
    private static string? Check(string source, out bool compiled)
    {
        var (run, compile) = GeneratorHarness.Run(source);
        var all = run.Diagnostics.Concat(compile).Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
        compiled = all.Count == 0;
        SyntaxTree user = GeneratorHarness.Compile(source).SyntaxTrees.Single();
        SyntaxNode root = user.GetRoot();
        var allowed = root.DescendantNodes().OfType<AttributeSyntax>().Select(a => a.Span)
            .Concat(root.DescendantNodes().OfType<BaseTypeDeclarationSyntax>().Select(t => t.Identifier.Span)).ToHashSet();
        foreach (Diagnostic d in all)
        {
            // The generator's diagnostics carry a file path and span (no syntax tree: it keeps no symbols or syntax).
            if (!d.Location.GetLineSpan().Path.EndsWith("Source0.cs", StringComparison.Ordinal))
                return $"{d.Id} outside the user's file: {d}";
            if (d.Id.StartsWith("SN", StringComparison.Ordinal) && !allowed.Contains(d.Location.SourceSpan))
                return $"{d.Id} not at an attribute or the class: {d}";
            if (d.Id == "SN9999")
                return $"the generator failed: {d}";
        }
        return null;
    }

    private static string Source(StaticNets.Rng rng)
    {
        string Pick(string[] values) => values[rng.NextInt(values.Length)];
        string loss = Pick(["", "(Loss = Loss.MeanSquaredError)", "(Loss = Loss.SoftmaxCrossEntropy)", "(Loss = Loss.SigmoidBinaryCrossEntropy)", "(Loss = (Loss)7)"]);
        // Half the stacks are built like real networks (and then perhaps broken in one place), half at random.
        List<string> layers = rng.NextInt(2) == 0 ? Plausible(rng, loss) : Random(rng);
        if (rng.NextInt(3) == 0 && layers.Count > 0)
        {
            int at = rng.NextInt(layers.Count);
            switch (rng.NextInt(3))
            {
                case 0: layers[at] = Random(rng, 1).FirstOrDefault() ?? layers[at]; break;
                case 1: layers.RemoveAt(at); break;
                default: layers.Insert(at, Random(rng, 1).FirstOrDefault() ?? "[ReLU]"); break;
            }
        }
        string network = rng.NextInt(12) == 0 ? "" : $"[Network{loss}] ";
        string declaration = rng.NextInt(3) > 0 ? "public partial class N;" : Pick([
            "internal sealed partial class N;", "public partial record N;", "public partial struct N;", "public static partial class N;",
            "public abstract partial class N;", "public class N { }", "public partial class N<T>;", "public partial class @event;",
        ]);
        var text = new StringBuilder("using StaticNets;\nnamespace Demo;\n");
        bool nested = rng.NextInt(6) == 0;
        if (nested) text.Append("public partial class Outer\n{\n");
        text.Append(network).Append(string.Join(" ", layers)).Append('\n').Append(declaration).Append('\n');
        if (nested) text.Append("}\n");
        return text.ToString();
    }

    // Input, then blocks of Dense with an activation, normalization and dropout, and an output layer fit for the loss.
    private static List<string> Plausible(StaticNets.Rng rng, string loss)
    {
        string Pick(string[] values) => values[rng.NextInt(values.Length)];
        var layers = new List<string> { $"[Input({Pick(["1", "2", "7", "17", "33", "100"])})]" };
        int blocks = 1 + rng.NextInt(3);
        for (int b = 0; b < blocks; b++)
        {
            layers.Add($"[Dense({Pick(["3", "8", "17", "40"])}{Pick(["", ", Bias = false", ", Init = Init.HeUniform"])})]");
            if (rng.NextInt(2) == 0) layers.Add(Pick(["[BatchNorm]", "[LayerNorm]", "[BatchNorm(Momentum = 0.2)]"]));
            layers.Add(Pick(["[ReLU]", "[Tanh]", "[GELU]", "[LeakyReLU(0.1)]", "[Swish]", "[ELU]", "[PReLU]", "[Sigmoid]", "[Softplus(2)]", "[SELU]"]));
            if (rng.NextInt(3) == 0) layers.Add("[Dropout(0.2)]");
        }
        layers.Add(loss.Contains("SoftmaxCrossEntropy", StringComparison.Ordinal) ? "[Dense(4)]" : loss.Contains("Sigmoid", StringComparison.Ordinal) ? "[Dense(1)]" : $"[Dense({Pick(["1", "3"])})]");
        return layers;
    }

    private static List<string> Random(StaticNets.Rng rng, int? exactly = null)
    {
        string Pick(string[] values) => values[rng.NextInt(values.Length)];
        var layers = new List<string>();
        if (exactly is null && rng.NextInt(8) > 0)
            layers.Add(rng.NextInt(3) == 0
                ? $"[Input({Pick(["1", "3"])}, {Pick(["1", "4", "9", "28"])}, {Pick(["1", "5", "9", "28"])})]"
                : $"[Input({Pick(["1", "2", "3", "7", "17", "33", "100"])})]");
        int count = exactly ?? rng.NextInt(9);
        for (int k = 0; k < count; k++)
        {
            string kind = Pick(Kinds);
            // Mostly small, valid values, so that many stacks compile; sometimes anything.
            bool wild = rng.NextInt(3) == 0;
            string size = wild ? Pick(Sizes) : Pick(["2", "3", "5", "8", "17", "40"]);
            string real = wild ? Pick(Reals) : Pick(["0.1", "0.2f", "0.5"]);
            layers.Add(kind switch
            {
                "Input" => rng.NextInt(2) == 0 ? $"[Input({size})]" : $"[Input({size}, {Pick(Sizes)}, {Pick(["1", "5"])})]",
                "Conv2D" => rng.NextInt(3) switch
                {
                    0 => $"[Conv2D({size}, {Pick(["1", "2", "3", "5"])})]",
                    1 => $"[Conv2D({size}, {Pick(["1", "3", "4"])}, stride: {Pick(["1", "2", "0"])}, padding: {Pick(["0", "1", "Padding.Same", "-3"])})]",
                    _ => $"[Conv2D({size}, 3, KernelWidth = {Pick(Sizes)}, PaddingWidth = {Pick(["0", "1", "Padding.Same"])}, Bias = false)]",
                },
                "MaxPool2D" or "AvgPool2D" => rng.NextInt(2) == 0 ? $"[{kind}({Pick(["2", "3", size])})]" : $"[{kind}({Pick(["2", "3"])}, {Pick(["1", "2", size])})]",
                "Dense" => rng.NextInt(3) switch
                {
                    0 => $"[Dense({size})]",
                    1 => $"[Dense({size}, Bias = {(rng.NextInt(2) == 0 ? "false" : "true")})]",
                    _ => $"[Dense({size}, Init = Init.{Pick(["Normal", "HeUniform", "Orthogonal", "Constant", "Zeros"])}, InitScale = {real}, BiasInit = {(wild ? Pick(Reals) : "0")})]",
                },
                "LeakyReLU" or "ELU" or "Swish" or "Softplus" or "Dropout" or "DropConnect" =>
                    rng.NextInt(3) == 0 && kind is not ("Dropout" or "DropConnect") ? $"[{kind}]" : $"[{kind}({real})]",
                "GELU" => rng.NextInt(2) == 0 ? "[GELU]" : "[GELU(Approximate = true)]",
                "Maxout" => $"[Maxout({(wild ? Pick(["0", "1", "1073741824", "65536", "-3"]) : Pick(["2", "3"]))})]",
                "BatchNorm" => rng.NextInt(2) == 0 ? "[BatchNorm]" : $"[BatchNorm(Momentum = {real}, Epsilon = {(wild ? Pick(Reals) : "1e-5")})]",
                "LayerNorm" => rng.NextInt(2) == 0 ? "[LayerNorm]" : $"[LayerNorm(Epsilon = {real})]",
                "PReLU" => rng.NextInt(2) == 0 ? "[PReLU]" : $"[PReLU(InitialSlope = {real})]",
                "SaveAs" or "Add" => $"[{kind}({Pick(Names)})]",
                _ => $"[{kind}]",
            });
        }
        return layers;
    }
}
