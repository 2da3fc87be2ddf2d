using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;

namespace StaticNets.Benchmarks.Peers;

/// <summary>
/// TorchSharp-cpu 0.107.0's libLibTorchSharp.so asks for GLIBCXX_3.4.32 (GCC 13) for one symbol,
/// std::ios_base_library_init(), which Debian 12's libstdc++ lacks (its own iostream set-up needs no
/// such call). Where that is so, this patches the copy in this program's output folder — never the
/// NuGet cache — by marking the version requirement weak in the ELF version-needs table, and by giving
/// the symbol an empty definition in a one-function library added as a dependency of the copy.
/// Needs gcc and patchelf (Debian packages) whenever the build has copied a fresh, unpatched library.
/// </summary>
public static class LibTorchSharpFix
{
    private const string Version = "GLIBCXX_3.4.32";

    /// <summary>
    /// Patches the library when this system needs it. Throws <see cref="InvalidOperationException"/> with a one-line
    /// message when it does and gcc or patchelf is missing, before changing anything.
    /// </summary>
    public static void EnsureLoadable()
    {
        string native = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
        string library = Path.Combine(native, "libLibTorchSharp.so");
        // The state is read from the library itself: a build may copy a fresh one over a patched copy.
        if (!OperatingSystem.IsLinux() || !File.Exists(library) || SystemLibStdCxxHas(Version) || !WeakenVersionNeed(library, Version, write: false))
            return;
        string[] missing = ["gcc", "patchelf"];
        missing = missing.Where(tool => !OnPath(tool)).ToArray();
        if (missing.Length > 0)
            throw new InvalidOperationException($"TorchSharp's native library needs a patch on this system, which needs {string.Join(" and ", missing)}: " +
                $"apt-get install {string.Join(' ', missing)} (see benchmarks/README.md).");
        WeakenVersionNeed(library, Version, write: true);
        string source = Path.Combine(native, "iosshim.c");
        File.WriteAllText(source, "void _ZSt21ios_base_library_initv(void) {}\n");
        Run("gcc", $"-shared -fPIC -o \"{Path.Combine(native, "libiosshim.so")}\" \"{source}\"");
        Run("patchelf", $"--add-needed libiosshim.so --set-rpath $ORIGIN \"{library}\"");
    }

    private static bool SystemLibStdCxxHas(string version)
    {
        string[] candidates = ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6"];
        string? path = candidates.FirstOrDefault(File.Exists);
        if (path is null) return false;
        byte[] bytes = File.ReadAllBytes(path);
        return bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(version + "\0")) >= 0;
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(folder => File.Exists(Path.Combine(folder, tool)));

    /// <summary>
    /// Sets VER_FLG_WEAK on the Vernaux entry naming <paramref name="version"/>, so the loader only warns (with
    /// <paramref name="write"/> false, only says whether it would). Returns false, changing nothing, if the entry is weak
    /// already (the copy was patched) or absent.
    /// </summary>
    internal static bool WeakenVersionNeed(string path, string version, bool write)
    {
        byte[] b = File.ReadAllBytes(path);
        if (b.Length < 64 || b[0] != 0x7F || b[1] != (byte)'E' || b[4] != 2 || b[5] != 1)
            throw new InvalidDataException($"{path} is not a little-endian 64-bit ELF file.");
        long sectionHeaders = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(0x28));
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x3A)), count = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x3C));
        (uint Type, long Offset, uint Link, uint Info) Section(int i)
        {
            var s = b.AsSpan((int)(sectionHeaders + (long)i * entrySize));
            return (BinaryPrimitives.ReadUInt32LittleEndian(s[4..]), BinaryPrimitives.ReadInt64LittleEndian(s[24..]),
                BinaryPrimitives.ReadUInt32LittleEndian(s[40..]), BinaryPrimitives.ReadUInt32LittleEndian(s[44..]));
        }
        bool patched = false;
        for (int i = 0; i < count; i++)
        {
            var (type, offset, link, info) = Section(i);
            if (type != 0x6FFFFFFE) continue; // SHT_GNU_verneed
            long strings = Section((int)link).Offset;
            long need = offset;
            for (uint n = 0; n < info; n++)
            {
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan((int)need + 2));
                long aux = need + BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)need + 8));
                for (int k = 0; k < auxCount; k++)
                {
                    long name = strings + BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)aux + 8));
                    int end = Array.IndexOf(b, (byte)0, (int)name);
                    if (Encoding.ASCII.GetString(b, (int)name, end - (int)name) == version)
                    {
                        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan((int)aux + 4));
                        if ((flags & 0x2) != 0) return false; // VER_FLG_WEAK already
                        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan((int)aux + 4), (ushort)(flags | 0x2));
                        patched = true;
                    }
                    uint nextAux = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)aux + 12));
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)need + 12));
                if (next == 0) break;
                need += next;
            }
        }
        if (!patched) return false; // this build does not ask for the version
        if (write) File.WriteAllBytes(path, b);
        return true;
    }

    private static void Run(string file, string arguments)
    {
        string install = $"install it with: apt-get install {(file == "gcc" ? "gcc" : "patchelf")}";
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardError = true, RedirectStandardOutput = true };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}; {install}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"TorchSharp's native library needs patching and '{file}' could not be started ({e.Message}); {install}", e);
        }
        using (process)
        {
            string text = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"'{file} {arguments}' failed ({process.ExitCode}): {text} — {install}");
        }
    }
}
