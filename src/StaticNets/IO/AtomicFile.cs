namespace StaticNets;

/// <summary>
/// Writes a file so that it is never seen half-written: the bytes go to a temporary file in the same
/// folder, are flushed to the disk, and the temporary file is renamed over the target (an atomic
/// replace on the same file system). If anything fails the target keeps its previous content.
/// </summary>
/// <remarks>
/// A process killed mid-save leaves its temporary file behind (".target.pid.guid.tmp"). Every save holds its
/// temporary file open without sharing while it writes (on Linux and macOS an advisory lock, released when the
/// process dies), so the next save of the same target can tell a leftover from a save still in progress in
/// another thread or process: it removes the temporary files of the target that nobody holds.
/// </remarks>
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
        string name = Path.GetFileName(full);
        RemoveLeftovers(directory, name);
        string temporary = Path.Combine(directory, $".{name}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        FileStream? file = null;
        try
        {
            file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            Stream stream = wrap(file);
            stream.Write(bytes);
            stream.Flush();
            file.Flush(flushToDisk: true);
            // Renamed while still held where the system allows it, so no other save ever finds it unheld.
            if (!OperatingSystem.IsWindows())
                File.Move(temporary, full, overwrite: true);
            file.Dispose();
            file = null;
            if (OperatingSystem.IsWindows())
                File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            file?.Dispose();
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    // The temporary files an earlier save of this target left when its process was killed: those nobody holds.
    private static void RemoveLeftovers(string directory, string name)
    {
        string prefix = $".{name}.";
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(directory, ".*.tmp");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return; // an unreadable folder: the save itself will report what is wrong
        }
        foreach (string candidate in candidates)
        {
            string file = Path.GetFileName(candidate);
            if (!file.StartsWith(prefix, StringComparison.Ordinal) || !IsTemporaryName(file.AsSpan(prefix.Length)))
                continue;
            try
            {
                // Opening it without sharing fails while its save is in progress.
                using (new FileStream(candidate, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) { }
                File.Delete(candidate);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Held by a save in progress, or already gone.
            }
        }
    }

    // "pid.guid.tmp": digits, a dot, 32 hexadecimal digits, ".tmp".
    private static bool IsTemporaryName(ReadOnlySpan<char> rest)
    {
        int dot = rest.IndexOf('.');
        if (dot <= 0 || rest[..dot].ContainsAnyExceptInRange('0', '9')) return false;
        ReadOnlySpan<char> tail = rest[(dot + 1)..];
        return tail.Length == 36 && tail.EndsWith(".tmp", StringComparison.Ordinal) && !tail[..32].ContainsAnyExcept("0123456789abcdef");
    }
}
