using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace StaticNets.Generator.Tests;

/// <summary>
/// Every ```csharp block of the README compiles as printed: as the Program.cs of a new console app (the SDK's implicit
/// usings, nullable on), with the generator running, and without errors or warnings.
/// </summary>
public partial class ReadmeExampleTests
{
    // What `dotnet new console` (ImplicitUsings=enable) adds to every file.
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    [GeneratedRegex(@"^```csharp\r?\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    public static TheoryData<int, string> Blocks()
    {
        string readme = File.ReadAllText(RepositoryPaths.Combine("README.md"));
        var blocks = new TheoryData<int, string>();
        foreach (Match m in CSharpBlock().Matches(readme))
            blocks.Add(readme[..m.Index].Count(c => c == '\n') + 1, m.Groups[1].Value);
        return blocks;
    }

    [Fact]
    public void The_README_has_C_sharp_examples()
    {
        Assert.True(Blocks().Count >= 2, "the README's ```csharp blocks were not found");
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void A_README_example_compiles_as_printed(int line, string code)
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(ImplicitUsings, code)
            .WithOptions(new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out var generatorDiagnostics);
        var problems = generatorDiagnostics.Concat(output.GetDiagnostics())
            .Where(d => d.Severity >= DiagnosticSeverity.Warning)
            .Select(d => d.ToString())
            .ToList();
        Assert.True(problems.Count == 0, $"The C# block at README.md line {line} does not compile:\n{string.Join("\n", problems)}");
    }
}
