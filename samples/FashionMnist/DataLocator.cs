using System.Security.Cryptography;

namespace FashionMnist;

/// <summary>
/// Finds the four Fashion-MNIST files: --data, then $STATICNETS_FASHION_MNIST, then Debian's package
/// location, then the user cache. Offers to download into the cache (official mirror, MD5-checked).
/// </summary>
public static class DataLocator
{
    public const string EnvironmentVariable = "STATICNETS_FASHION_MNIST";
    public const string DebianFolder = "/usr/share/datasets/fashion-mnist";
    public const string Mirror = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";

    /// <summary>The published files and the MD5 of each, from the Fashion-MNIST repository.</summary>
    public static readonly (string Name, string Md5)[] Files =
    [
        ("train-images-idx3-ubyte", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte", "bb300cfdad3c16e7a12a480ee83cd310"),
    ];

    public static string CacheFolder =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "staticnets", "fashion-mnist");

    public static string HowToGetIt => $"""
        Fashion-MNIST was not found. Get it in one of these ways:
          - on Debian or Ubuntu:  sudo apt-get install dataset-fashion-mnist   (files in {DebianFolder})
          - run again with --download to fetch the four files from {Mirror} into {CacheFolder}
          - download them yourself (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz,
            t10k-labels-idx1-ubyte.gz) and pass --data DIR or set {EnvironmentVariable}=DIR
        """;

    /// <summary>The folder to read, or null if no candidate has all four files.</summary>
    public static string? Find(string? explicitFolder, Func<string, string?> environment)
    {
        if (explicitFolder is not null)
        {
            if (!Directory.Exists(explicitFolder))
                throw new OptionsException($"--data '{explicitFolder}' is not a folder.");
            string? missing = Missing(explicitFolder);
            return missing is null ? explicitFolder
                : throw new OptionsException($"--data '{explicitFolder}' has no {missing}(.gz); it needs the four Fashion-MNIST IDX files.");
        }
        string?[] candidates = [environment(EnvironmentVariable), DebianFolder, CacheFolder];
        return candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c) && Directory.Exists(c) && Missing(c) is null);
    }

    /// <summary>The path of one of the files (gzip or raw) in <paramref name="folder"/>.</summary>
    public static string PathOf(string folder, string name) =>
        File.Exists(Path.Combine(folder, name + ".gz")) ? Path.Combine(folder, name + ".gz") : Path.Combine(folder, name);

    private static string? Missing(string folder) =>
        Files.Select(f => f.Name).FirstOrDefault(name => !File.Exists(Path.Combine(folder, name + ".gz")) && !File.Exists(Path.Combine(folder, name)));

    /// <summary>Downloads the four files into the cache, checking each MD5; returns the folder.</summary>
    public static async Task<string> DownloadAsync(TextWriter log, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(CacheFolder);
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
        foreach (var (name, md5) in Files)
        {
            string target = Path.Combine(CacheFolder, name + ".gz");
            if (File.Exists(target) && Md5Of(await File.ReadAllBytesAsync(target, cancellationToken)) == md5) continue;
            log.WriteLine($"downloading {Mirror}{name}.gz");
            byte[] bytes;
            try
            {
                bytes = await http.GetByteArrayAsync(Mirror + name + ".gz", cancellationToken);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                throw new IOException($"Could not download {name}.gz ({e.Message}).\n{HowToGetIt}", e);
            }
            string actual = Md5Of(bytes);
            if (actual != md5)
                throw new InvalidDataException($"{name}.gz from {Mirror} has MD5 {actual}, not the published {md5}; it was not saved.");
            string temporary = target + ".part";
            await File.WriteAllBytesAsync(temporary, bytes, cancellationToken);
            File.Move(temporary, target, overwrite: true);
        }
        return CacheFolder;
    }

    private static string Md5Of(byte[] bytes) => Convert.ToHexStringLower(MD5.HashData(bytes));
}
