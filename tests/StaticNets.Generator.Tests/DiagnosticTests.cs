using Microsoft.CodeAnalysis;
using StaticNets.Generator.Model;

namespace StaticNets.Generator.Tests;

/// <summary>Every SN id: the id, where it points (the offending attribute or class name), and that the message names the fix.</summary>
public class DiagnosticTests
{
    public static TheoryData<string, string, string, string> Cases() => new()
    {
        // id, source (class body), text the diagnostic points at, message fragment
        { "SN0001", "[Network] [Dense(3)] public partial class N;", "N", "add one as the first layer attribute" },
        { "SN0002", "[Network] [Input(0)] [Dense(3)] public partial class N;", "Input(0)", "it must be at least 1" },
        { "SN0002", "[Network] [Input(2)] [Dense(-4)] public partial class N;", "Dense(-4)", "units" },
        { "SN0002", "[Network] [Input(2)] [Dense(4)] [Maxout(1)] public partial class N;", "Maxout(1)", "at least 2" },
        { "SN0003", "[Network] [Input(2)] [Dense(3)] public class N { }", "N", "must be declared 'partial'" },
        { "SN0004", "public class Outer { [Network] [Input(2)] [Dense(3)] public partial class N; }", "Outer", "must be declared 'partial' too" },
        { "SN0005", "[Network(Loss = Loss.SoftmaxCrossEntropy)] [Input(2)] [Dense(3)] [Softmax] public partial class N;", "Softmax", "applies softmax to its logits itself" },
        { "SN0005", "[Network(Loss = Loss.SoftmaxCrossEntropy)] [Input(2)] [Dense(1)] public partial class N;", "Dense(1)", "SigmoidBinaryCrossEntropy" },
        { "SN0005", "[Network(Loss = Loss.SigmoidBinaryCrossEntropy)] [Input(2)] [Dense(3)] public partial class N;", "Dense(3)", "takes one output" },
        { "SN0005", "[Network(Loss = Loss.SigmoidBinaryCrossEntropy)] [Input(2)] [Dense(1)] [Sigmoid] public partial class N;", "Sigmoid", "applies the sigmoid" },
        { "SN0006", "[Network] [Input(2)] [ReLU] [Dense(3)] public partial class N;", "ReLU", "must directly follow a layer that computes new values" },
        { "SN0006", "[Network] [Input(2)] [Dense(3)] [ReLU] [Tanh] public partial class N;", "Tanh", "one activation each" },
        { "SN0006", "[Network] [Input(2)] [BatchNorm] [Dense(3)] public partial class N;", "BatchNorm", "cannot directly follow [Input]" },
        { "SN0006", "[Network] [Input(2)] [LayerNorm] [Dense(3)] public partial class N;", "LayerNorm", "standardize the inputs" },
        { "SN0006", "[Network] [Input(2)] [Dropout(0.2f)] [Dense(3)] public partial class N;", "Dropout(0.2f)", "cannot directly follow [Input]" },
        { "SN0006", "[Network] [Input(2)] [Dense(3)] [Dropout(0.1f)] [ReLU] public partial class N;", "ReLU", "([Dense], [Conv2D], a normalization or [Add]), one activation each" },
        { "SN0006", "[Network] [Input(2)] [Dense(3)] [ReLU] [PReLU] public partial class N;", "PReLU", "PReLU is an activation" },
        { "SN0006", "[Network] [Input(2)] [Dense(3)] [BatchNorm] [Maxout(2)] public partial class N;", "Maxout(2)", "Maxout must directly follow a [Dense]" },
        { "SN0006", "[Network] [Input(2)] [Dense(3)] [SaveAs(\"h\")] [ReLU] public partial class N;", "ReLU", "must directly follow" },
        { "SN0006", "[Network] [Input(2)] [Dense(3)] [Softmax] [Dense(2)] public partial class N;", "Softmax", "only allowed as the last layer" },
        { "SN0006", "[Network] [Dense(3)] [Input(2)] [Dense(2)] public partial class N;", "Dense(3)", "must be the first layer attribute" },
        { "SN0006", "[Network] [Input(2)] [Dense(3)] [Input(3)] [Dense(2)] public partial class N;", "Input(3)", "exactly one [Input]" },
        { "SN0007", "[Network] [Input(2)] [Dense(3)] [LeakyReLU(-0.1f)] public partial class N;", "LeakyReLU(-0.1f)", "alpha = -0.1" },
        { "SN0007", "[Network] [Input(2)] [Dense(3)] [ELU(0f)] public partial class N;", "ELU(0f)", "alpha must be finite and positive" },
        { "SN0007", "[Network] [Input(2)] [Dense(3)] [Swish(float.NaN)] public partial class N;", "Swish(float.NaN)", "beta" },
        { "SN0007", "[Network] [Input(2)] [Dense(3, Init = Init.Normal)] public partial class N;", "Dense(3, Init = Init.Normal)", "needs InitScale" },
        { "SN0007", "[Network] [Input(2)] [Dense(3, Init = Init.HeNormal, InitScale = 2f)] public partial class N;", "Dense(3, Init = Init.HeNormal, InitScale = 2f)", "takes no scale" },
        { "SN0007", "[Network] [Input(2)] [Dense(3, Bias = false, BiasInit = 1f)] public partial class N;", "Dense(3, Bias = false, BiasInit = 1f)", "does not apply" },
        { "SN0007", "[Network] [Input(2)] [Dense(3)] [Dropout(1f)] public partial class N;", "Dropout(1f)", "must be in [0, 1)" },
        { "SN0007", "[Network] [Input(2)] [Dense(3)] [DropConnect(1.5)] public partial class N;", "DropConnect(1.5)", "probability of dropping a weight" },
        { "SN0007", "[Network] [Input(2)] [Dense(3)] [Heads(1)] [Dense(2)] public partial class N;", "Heads(1)", "2 to 64 heads" },
        { "SN0007", "[Network] [Input(2)] [Dense(3)] [Heads(100)] [Dense(2)] public partial class N;", "Heads(100)", "2 to 64 heads" },
        { "SN0006", "[Network] [Input(2)] [Heads(3)] [Dense(2)] public partial class N;", "Heads(3)", "put at least one layer before it" },
        { "SN0006", "[Network] [Input(2)] [Dense(3)] [Heads(3)] public partial class N;", "Heads(3)", "put the head's layers after it" },
        { "SN0006", "[Network] [Input(2)] [Dense(3)] [Heads(2)] [Dense(3)] [Heads(2)] [Dense(2)] public partial class N;", "Heads(2)", "a network has one [Heads]" },
        { "SN0006", "[Network] [Input(2)] [Dense(3)] [Heads(2)] [ReLU] [Dense(2)] public partial class N;", "ReLU", "must directly follow a layer" },
        { "SN0006", "[Network] [Input(1, 4, 4)] [Conv2D(2, 3)] [Heads(2)] [Flatten] [Dense(2)] public partial class N;", "Flatten", "put it before [Heads], in the trunk" },
        { "SN0006", "[Network] [Input(2)] [Dense(3)] [ReLU] [DropConnect(0.5)] public partial class N;", "DropConnect(0.5)", "right after a [Dense], before that layer's activation" },
        { "SN0006", "[Network] [Input(1, 4, 4)] [Conv2D(2, 3)] [DropConnect(0.5)] public partial class N;", "DropConnect(0.5)", "drops the weights of the [Dense]" },
        { "SN0006", "[Network] [Input(2)] [Dense(3)] [DropConnect(0.5)] [DropConnect(0.5)] public partial class N;", "DropConnect(0.5)", "once" },
        { "SN0007", "[Network] [Input(2)] [Dense(3)] [Dropout(-0.5f)] public partial class N;", "Dropout(-0.5f)", "rate = -0.5" },
        { "SN0007", "[Network] [Input(2)] [Dense(3)] [BatchNorm(Momentum = 1.5f)] public partial class N;", "BatchNorm(Momentum = 1.5f)", "momentum of the running statistics" },
        { "SN0007", "[Network] [Input(2)] [Dense(3)] [LayerNorm(Epsilon = 0f)] public partial class N;", "LayerNorm(Epsilon = 0f)", "epsilon must be finite and positive" },
        { "SN0007", "[Network] [Input(2)] [SaveAs(\"a b\")] [Dense(3)] public partial class N;", "SaveAs(\"a b\")", "letters, digits and '_'" },
        { "SN0008", "[Network] [Input(2)] public partial class N;", "Input(2)", "add at least one [Dense(units)]" },
        { "SN0009", "[Network] [Input(2)] public partial class N; [Dense(3)] public partial class N;", "Dense(3)", "different partial declaration" },
        { "SN0010", "[Network] [Input(100000)] [Dense(100000)] public partial class N;", "Dense(100000)", "needs 10000100000 parameters; at most 268435456" },
        { "SN0010", "[Network] [Input(2)] [Dense(2)] [Maxout(1073741824)] public partial class N;", "Dense(2)", "needs 2147483648 values per sample in this layer" },
        { "SN0010", "[Network] [Input(2)] [Dense(65536)] [Maxout(65536)] public partial class N;", "Dense(65536)", "needs 4294967296 values per sample" },
        { "SN0010", "[Network] [Input(2147483647)] [Dense(1)] public partial class N;", "Input(2147483647)", "needs 2147483647 input values per sample" },
        { "SN0011", "[Network] [Input(2)] [Dense(3)] public partial class N<T>;", "N", "'N<T>' has type parameters" },
        { "SN0011", "public partial class Outer<T> { [Network] [Input(2)] [Dense(3)] public partial class N; }", "N", "nested in generic type 'Outer<T>'" },
        { "SN0012", "[Network] [Input(2)] [SaveAs(\"x\")] [Dense(2)] [Add(\"y\")] public partial class N;", "Add(\"y\")", "names saved above it: x" },
        { "SN0012", "[Network] [Input(2)] [Dense(2)] [Add(\"y\")] public partial class N;", "Add(\"y\")", "names saved above it: none" },
        { "SN0013", "[Network] [Input(2)] [SaveAs(\"x\")] [Dense(3)] [Add(\"x\")] public partial class N;", "Add(\"x\")", "adds an output of 2 features to one of 3" },
        { "SN0014", "[Network] [Input(2)] [SaveAs(\"x\")] [Dense(2)] [SaveAs(\"x\")] [Add(\"x\")] public partial class N;", "SaveAs(\"x\")", "saved above it already" },
        { "SN0013", "[Network] [Input(2, 4, 4)] [SaveAs(\"x\")] [Conv2D(3, 1)] [Add(\"x\")] [Flatten] [Dense(2)] public partial class N;", "Add(\"x\")", "adds an output of shape 2×4×4 to one of shape 3×4×4" },
        { "SN0019", "[Network] [Input(1, 4, 4)] [Conv2D(2, 5)] [Flatten] [Dense(2)] public partial class N;", "Conv2D(2, 5)", "a kernel of 5 rows is taller than the input's 4 rows" },
        { "SN0019", "[Network] [Input(1, 6, 5)] [Conv2D(2, 3, KernelWidth = 8, PaddingWidth = 1)] [Flatten] [Dense(2)] public partial class N;", "Conv2D(2, 3, KernelWidth = 8, PaddingWidth = 1)", "with 1 columns of padding on each side" },
        { "SN0019", "[Network] [Input(1, 5, 5)] [MaxPool2D(2)] [AvgPool2D(3)] [Flatten] [Dense(2)] public partial class N;", "AvgPool2D(3)", "a 3×3 window is larger than the 2×2 plane" },
        { "SN0019", "[Network] [Input(3, 4, 4)] [Conv2D(6, 3)] [GroupNorm(4)] [Flatten] [Dense(2)] public partial class N;", "GroupNorm(4)", "its 6 channels do not split into 4 groups" },
        { "SN0006", "[Network] [Input(3)] [Dense(6)] [InstanceNorm] [Dense(2)] public partial class N;", "InstanceNorm", "it takes an image" },
        { "SN0002", "[Network] [Input(3, 4, 4)] [Conv2D(6, 3)] [GroupNorm(0)] [Flatten] [Dense(2)] public partial class N;", "GroupNorm(0)", "0 groups" },
        { "SN0007", "[Network] [Input(1, 5, 5)] [Conv2D(2, 3, stride: 2, padding: Padding.Same)] [Flatten] [Dense(2)] public partial class N;", "Conv2D(2, 3, stride: 2, padding: Padding.Same)", "only with stride 1" },
        { "SN0007", "[Network] [Input(1, 5, 5)] [Conv2D(2, 4, padding: Padding.Same)] [Flatten] [Dense(2)] public partial class N;", "Conv2D(2, 4, padding: Padding.Same)", "needs an odd kernel" },
        { "SN0007", "[Network] [Input(1, 5, 5)] [Conv2D(2, 3, padding: -2)] [Flatten] [Dense(2)] public partial class N;", "Conv2D(2, 3, padding: -2)", "or Padding.Same" },
        { "SN0002", "[Network] [Input(1, 5, 5)] [Conv2D(0, 3)] [Flatten] [Dense(2)] public partial class N;", "Conv2D(0, 3)", "0 filters" },
        { "SN0002", "[Network] [Input(1, 5, 5)] [MaxPool2D(2, 0)] [Flatten] [Dense(2)] public partial class N;", "MaxPool2D(2, 0)", "0 stride" },
        { "SN0002", "[Network] [Input(1, 0, 5)] [Flatten] [Dense(2)] public partial class N;", "Input(1, 0, 5)", "0 rows" },
        { "SN0006", "[Network] [Input(1, 4, 4)] [Dense(3)] public partial class N;", "Dense(3)", "an image of 1×4×4; put [Flatten] (or [GlobalAvgPool]) before it" },
        { "SN0006", "[Network] [Input(4)] [Conv2D(2, 1)] [Dense(3)] public partial class N;", "Conv2D(2, 1)", "declare the input as [Input(channels, height, width)]" },
        { "SN0006", "[Network] [Input(4)] [Flatten] [Dense(3)] public partial class N;", "Flatten", "a vector of 4 features already" },
        { "SN0006", "[Network] [Input(1, 4, 4)] [Conv2D(2, 3)] [Flatten] public partial class N;", "Flatten", "as the last layer it changes nothing" },
        { "SN0006", "[Network] [Input(1, 4, 4)] [GlobalAvgPool] [ReLU] [Dense(2)] public partial class N;", "ReLU", "must directly follow a layer that computes new values" },
        { "SN0015", "[Network] [Input(2)] [Dense(3)] public partial record N;", "N", "'N' is a record; a network must be a non-static, non-abstract class" },
        { "SN0015", "[Network] [Input(2)] [Dense(3)] public partial struct N;", "N", "is a struct" },
        { "SN0015", "[Network] [Input(2)] [Dense(3)] public partial record struct N;", "N", "is a record struct" },
        { "SN0015", "[Network] [Input(2)] [Dense(3)] public static partial class N;", "N", "is static" },
        { "SN0015", "[Network] [Input(2)] [Dense(3)] public abstract partial class N;", "N", "is abstract" },
        { "SN0015", "public class B { public B(int x) { } } [Network] [Input(2)] [Dense(3)] public partial class N : B;", "N", "derived from 'Demo.B', which has no constructor it can call without arguments" },
        { "SN0016", "[Network] [Input(2)] [Dense(3)] public partial class N { public void Predict(System.ReadOnlySpan<float> x, System.Span<float> y) { } }", "Predict", "declares a method 'Predict(global::System.ReadOnlySpan<float>, global::System.Span<float>)', which the generator also writes" },
        { "SN0016", "[Network] [Input(2)] [Dense(3)] public partial class N { public N(int a, int b) { } }", "N", "declares a constructor (int, int)" },
        { "SN0016", "[Network(Loss = Loss.MeanSquaredError)] [Input(2)] [Dense(3)] public partial class N { public N(N other, int stream) { } }", "N", "declares a constructor (global::Demo.N, int)" },
        { "SN0016", "[Network] [Input(2)] [Dense(3)] public partial class N { const int InputSize = 2; }", "InputSize", "declares a constant 'InputSize'" },
        { "SN0016", "[Network] [Input(2)] [Dense(3)] public partial class N { private float[] _parameters = []; }", "_parameters", "declares a field '_parameters'" },
        { "SN0016", "[Network] [Input(2)] [Dense(3)] public partial class N { public int Dense1Weights => 1; }", "Dense1Weights", "declares a property 'Dense1Weights'" },
        { "SN0016", "public class B { public int Parameters => 1; } [Network] [Input(2)] [Dense(3)] public partial class N : B;", "N", "inherits from 'Demo.B' a property 'Parameters'" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bad_networks_get_a_diagnostic_at_the_attribute(string id, string body, string at, string fragment)
    {
        string source = "using StaticNets;\nnamespace Demo;\n" + body;
        var (run, _) = GeneratorHarness.Run(source);
        Diagnostic d = Assert.Single(run.Diagnostics, x => x.Id == id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Equal(at, source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        Assert.Contains(fragment, d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(run.GeneratedSources);
    }

    public static TheoryData<string> Clean() => new()
    {
        "[Network] [Input(2)] [Dense(3)] public partial class @event;",
        "namespace @class { [Network] [Input(2)] [Dense(3)] public partial class @record; }",
        "[Network(Loss = Loss.MeanSquaredError)] [Input(2)] [Dense(3)] [LeakyReLU(0.1)] [Dropout(0.5)] [Dense(1)] public partial class N;",
        "[Network(Loss = Loss.MeanSquaredError)] [Input(2)] [Dense(3, InitScale = 0.5, Init = Init.Normal, BiasInit = 0.1)] [BatchNorm(Momentum = 0.2, Epsilon = 1e-3)] [PReLU(InitialSlope = 0.1)] [Dense(1)] public partial class N;",
        "public partial record Holder { [Network] [Input(2)] [Dense(3)] public sealed partial class N; }",
        "public class B { protected B() { } public void Train() { } } [Network] [Input(2)] [Dense(3)] public partial class N : B;",
        "[Network] [Input(2)] [Dense(3)] public partial class N { public void Predict(float[] x) { } public N(string name) : this() { } }",
        "[Network] [Input(4)] [Dense(1000)] [Dense(20000)] public partial class BigActivations;",
    };

    [Theory]
    [MemberData(nameof(Clean))]
    public void Valid_declarations_compile_without_a_warning(string body)
    {
        var (run, compile) = GeneratorHarness.Run("using StaticNets;\n" + (body.StartsWith("namespace", StringComparison.Ordinal) ? "" : "namespace Demo;\n") + body);
        Assert.Empty(run.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        Assert.Empty(compile);
        Assert.Single(run.GeneratedSources);
    }

    [Fact]
    public void Layer_attributes_without_Network_get_a_warning_at_the_first_one()
    {
        const string source = "using StaticNets;\nnamespace Demo;\n[Input(2)] [Dense(3)] [ReLU] public partial class N;";
        var (run, _) = GeneratorHarness.Run(source);
        Diagnostic d = Assert.Single(run.Diagnostics);
        Assert.Equal(("SN0017", DiagnosticSeverity.Warning), (d.Id, d.Severity));
        Assert.Equal("Input(2)", source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        Assert.Contains("no [Network], so no network is generated", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(GeneratorHarness.Run("using StaticNets; public partial class Plain { }").Run.Diagnostics);
    }

    [Fact]
    public void A_bias_before_BatchNorm_gets_an_info_and_only_then()
    {
        const string source = "using StaticNets;\nnamespace Demo;\n[Network(Loss = Loss.MeanSquaredError)] [Input(2)] [Dense(4)] [BatchNorm] [Dense(3, Bias = false)] [BatchNorm] [Dense(2)] [ReLU] [BatchNorm] [Dense(1)] public partial class N;";
        var (run, compile) = GeneratorHarness.Run(source);
        Diagnostic d = Assert.Single(run.Diagnostics);
        Assert.Equal(("SN0018", DiagnosticSeverity.Info), (d.Id, d.Severity));
        Assert.Equal("Dense(4)", source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        Assert.Contains("declare it with Bias = false", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(compile);
    }

    [Fact]
    public void An_attribute_whose_arguments_do_not_bind_is_left_to_the_compiler()
    {
        const string source = "using StaticNets;\nnamespace Demo;\n[Network] [Input(2)] [Dense(3)] [Dropout(\"half\")] public partial class N;";
        var (run, compile) = GeneratorHarness.Run(source);
        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.GeneratedSources);
        Diagnostic error = Assert.Single(compile, c => c.Severity == DiagnosticSeverity.Error);
        Assert.Equal("CS1503", error.Id);
    }

    [Fact]
    public void Several_problems_are_reported_together()
    {
        var (run, _) = GeneratorHarness.Run("using StaticNets; [Network] [Input(2)] [Dense(0)] [ReLU] [Tanh] public partial class N;");
        Assert.Equal(["SN0002", "SN0006"], run.Diagnostics.Select(d => d.Id).Order());
    }

    [Fact]
    public void An_internal_failure_becomes_SN9999_instead_of_a_crash()
    {
        ParseResult result = NetworkGenerator.GuardedForTests("Net", null, () => throw new InvalidOperationException("boom"));
        DiagnosticInfo info = Assert.Single(result.Diagnostics);
        Assert.Equal("SN9999", info.Id);
        Diagnostic d = Diagnostics.DiagnosticDescriptors.ToDiagnostic(info);
        Assert.Contains("InvalidOperationException: boom", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Every_descriptor_is_tested_and_listed_in_the_release_notes()
    {
        var ids = typeof(Diagnostics.DiagnosticDescriptors).GetFields(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public)
            .Select(f => ((DiagnosticDescriptor)f.GetValue(null)!).Id).ToHashSet();
        var tested = Cases().Select(c => (string)c[0]).Concat(["SN0017", "SN0018", "SN9999"]).ToHashSet();
        Assert.Equal(ids.Order(), tested.Order());
        string notes = File.ReadAllText(RepositoryPaths.Combine("generator/StaticNets.Generator/AnalyzerReleases.Unshipped.md"));
        Assert.All(ids, id => Assert.Contains(id + " |", notes));
    }
}
