using System.Diagnostics;
using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Xunit.Abstractions;

namespace StaticNets.Package.Tests;

/// <summary>
/// The package a user installs: `dotnet pack` gives one StaticNets package with the generator under
/// analyzers/dotnet/cs, and a fresh project that references it from a local feed builds and trains.
/// </summary>
public class PackageTests(ITestOutputHelper output)
{
    [Fact]
    public void A_fresh_project_builds_and_trains_with_the_packed_library()
    {
        string work = Directory.CreateTempSubdirectory("staticnets-package-").FullName;
        try
        {
            string feed = Path.Combine(work, "feed");
            Run("dotnet", $"pack \"{Path.Combine(RepositoryPaths.Root, "src/StaticNets/StaticNets.csproj")}\" -c Release -o \"{feed}\"", RepositoryPaths.Root);

            string package = Assert.Single(Directory.GetFiles(feed, "StaticNets.*.nupkg"));
            using (ZipArchive zip = ZipFile.OpenRead(package))
            {
                var entries = zip.Entries.Select(e => e.FullName).ToList();
                Assert.Contains("lib/net10.0/StaticNets.dll", entries);
                Assert.Contains("analyzers/dotnet/cs/StaticNets.Generator.dll", entries);
                AssertEmbeddedSymbols(zip.GetEntry("lib/net10.0/StaticNets.dll")!);
            }
            string version = Path.GetFileNameWithoutExtension(package)["StaticNets.".Length..];

            string app = Path.Combine(work, "app");
            Directory.CreateDirectory(app);
            // Its own packages folder, so a package from an earlier run never stands in for this one.
            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <configuration>
                  <config><add key="globalPackagesFolder" value="{Path.Combine(work, "packages")}" /></config>
                  <packageSources><add key="local" value="{feed}" /></packageSources>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                  </PropertyGroup>
                </Project>
                """);
            // The README's install step, as printed there (the feed comes from nuget.config here).
            Run("dotnet", $"add package StaticNets --version {version}", app);
            // No implicit usings: generated code must not depend on the user's usings.
            File.WriteAllText(Path.Combine(app, "Program.cs"), """
                using StaticNets;

                var data = Dataset.Regression(new float[] { 0, 0, 0, 1, 1, 0, 1, 1 }, 2, new float[] { 0, 1, 1, 0 });
                var net = new Xor(seed: 1, maxBatchSize: 4);
                var history = new Trainer<Xor>(net, new Sgd(0.5f), batchSize: 4).Fit(data, epochs: 2000);
                System.Console.WriteLine("accuracy " + history[history.Count - 1].TrainAccuracy);

                [Network(Loss = Loss.SigmoidBinaryCrossEntropy)]
                [Input(2)] [Dense(8)] [Tanh] [Dense(1)]
                public partial class Xor;
                """);
            string result = Run("dotnet", "run -c Release", app);
            Assert.Contains("accuracy 1", result);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    // A debugger steps into the kernels with no symbol server: the portable PDB is inside the dll, with every
    // source document listed (Source Link maps them to the repository when it has a remote on a known host).
    private static void AssertEmbeddedSymbols(ZipArchiveEntry dll)
    {
        using var copy = new MemoryStream();
        using (Stream stream = dll.Open()) stream.CopyTo(copy);
        copy.Position = 0;
        using var pe = new PEReader(copy);
        DebugDirectoryEntry entry = Assert.Single(pe.ReadDebugDirectory(), e => e.Type == DebugDirectoryEntryType.EmbeddedPortablePdb);
        using MetadataReaderProvider pdb = pe.ReadEmbeddedPortablePdbDebugDirectoryData(entry);
        MetadataReader reader = pdb.GetMetadataReader();
        var documents = reader.Documents.Select(d => reader.GetString(reader.GetDocument(d).Name)).ToList();
        Assert.Contains(documents, d => d.EndsWith("PackedDenseKernels.cs", StringComparison.Ordinal));
    }

    private string Run(string file, string arguments, string directory)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // The test host runs under MSBuild/VSTest; a child build must not inherit their settings.
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        string text = stdout.Result + stderr.Result;
        output.WriteLine($"$ {file} {arguments}\n{text}");
        Assert.True(process.ExitCode == 0, $"'{file} {arguments}' exited with {process.ExitCode}:\n{text}");
        return text;
    }
}
