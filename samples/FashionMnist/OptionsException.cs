namespace FashionMnist;

/// <summary>A bad command line; a null message asks for the usage text only.</summary>
public sealed class OptionsException(string? message) : Exception(message ?? "usage")
{
    public bool HelpOnly { get; } = message is null;

    /// <summary>
    /// Creates <paramref name="folder"/> and writes (and deletes) a file in it, so that an output folder that cannot be
    /// written fails at once, not after training; throws an <see cref="OptionsException"/> naming <paramref name="option"/>.
    /// </summary>
    public static void CheckWritable(string folder, string option = "--output")
    {
        try
        {
            Directory.CreateDirectory(folder);
            using (File.Create(Path.Combine(folder, $".write-check-{Environment.ProcessId}"), 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new OptionsException($"{option} '{folder}' cannot be written: {e.Message}");
        }
    }
}
