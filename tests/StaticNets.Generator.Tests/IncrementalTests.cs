using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace StaticNets.Generator.Tests;

/// <summary>The pipeline caches: an unrelated edit reruns nothing; a layer change reruns what it must.</summary>
public class IncrementalTests
{
    private const string Network = """
        using StaticNets;
        namespace Demo;
        [Network(Loss = Loss.MeanSquaredError)]
        [Input(4)] [Dense(8)] [ReLU] [Dense(1)]
        public partial class Net;
        """;

    [Fact]
    public void An_unrelated_edit_leaves_every_step_cached()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Network, "class Other { int X => 1; }");
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        SyntaxTree other = compilation.SyntaxTrees.Last();
        var edited = compilation.ReplaceSyntaxTree(other, other.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From("class Other { int X => 2; }")));
        driver = driver.RunGenerators(edited.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class Third { }", GeneratorHarness.ParseOptions)));

        var steps = driver.GetRunResult().Results.Single().TrackedSteps;
        foreach (string name in new[] { NetworkGenerator.Steps.Parse, NetworkGenerator.Steps.Plan })
        {
            Assert.True(steps.ContainsKey(name), $"step {name} is not tracked");
            Assert.All(steps[name].SelectMany(s => s.Outputs), o => Assert.True(
                o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{name} ran again: {o.Reason}"));
        }
    }

    [Fact]
    public void Changing_a_layer_reruns_parse_and_plan()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Network);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        SyntaxTree tree = compilation.SyntaxTrees.Single();
        var edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(Network.Replace("Dense(8)", "Dense(9)"), GeneratorHarness.ParseOptions, tree.FilePath));
        driver = driver.RunGenerators(edited);
        var steps = driver.GetRunResult().Results.Single().TrackedSteps;
        Assert.Equal(IncrementalStepRunReason.Modified, steps[NetworkGenerator.Steps.Plan].Single().Outputs.Single().Reason);
        Assert.Contains("Dense(9)", driver.GetRunResult().Results.Single().GeneratedSources.Single().SourceText.ToString());
    }

    [Fact]
    public void Pipeline_models_hold_no_symbols_syntax_or_compilations()
    {
        // Anything of these types in a model would keep a Compilation alive and defeat caching.
        Type[] forbidden = [typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(Compilation), typeof(SemanticModel), typeof(Location)];
        var models = typeof(NetworkGenerator).Assembly.GetTypes()
            .Where(t => t.Namespace is "StaticNets.Generator.Model" or "StaticNets.Generator.Planning" && !t.IsAbstract && !t.IsEnum)
            .ToList();
        Assert.NotEmpty(models);
        var seen = new HashSet<Type>();
        foreach (Type model in models) Walk(model);

        void Walk(Type type)
        {
            if (!seen.Add(type) || type.IsPrimitive || type == typeof(string) || type.IsEnum) return;
            Assert.False(forbidden.Any(f => f.IsAssignableFrom(type)), $"{type} is reachable from a pipeline model");
            if (type.IsGenericType) foreach (Type arg in type.GetGenericArguments()) Walk(arg);
            if (type.Namespace?.StartsWith("StaticNets.Generator", StringComparison.Ordinal) != true) return;
            foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                Walk(field.FieldType);
        }
    }
}
