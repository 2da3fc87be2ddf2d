namespace StaticNets.Testing;

/// <summary>
/// Locates the repository from the test binary's folder. Compile-time paths ([CallerFilePath]) cannot be
/// used: CI builds set ContinuousIntegrationBuild, which maps source paths to "/_/".
/// </summary>
internal static class RepositoryPaths
{
    private const string Marker = "StaticNets.sln";

    public static string Root { get; } = FindRoot();

    public static string Combine(string relative) => Path.Combine(Root, relative);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, Marker)))
                return dir.FullName;
        throw new InvalidOperationException($"No {Marker} above {AppContext.BaseDirectory}; the tests run from the repository's build output.");
    }
}
