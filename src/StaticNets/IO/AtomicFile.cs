namespace StaticNets;

/// <summary>
/// Writes a file so that it is never seen half-written: the bytes go to a temporary file in the same
/// folder, are flushed to the disk, and the temporary file is renamed over the target (an atomic
/// replace on the same file system). If anything fails the target keeps its previous content.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> bytes) => Write(path, bytes, static s => s);

    /// <summary>For tests: <paramref name="wrap"/> can interpose a stream that fails midway.</summary>
    internal static void Write(string path, ReadOnlySpan<byte> bytes, Func<Stream, Stream> wrap)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no folder.", nameof(path));
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Cannot write '{full}': the folder '{directory}' does not exist.");
        string temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Stream stream = wrap(file);
                stream.Write(bytes);
                stream.Flush();
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
