using System.Diagnostics;

namespace StaticNets.Tuning.Tests;

/// <summary>
/// A PostgreSQL server for the tests: the one STATICNETS_POSTGRES names (.ci/run starts Debian's cluster and sets it),
/// else a private server in a temporary folder from Debian's postgresql binaries (as the postgres user when run as
/// root), stopped and removed at the end.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private readonly string? _folder;
    private readonly string? _binaries;

    public PostgresServer()
    {
        string? given = Environment.GetEnvironmentVariable("STATICNETS_POSTGRES");
        if (!string.IsNullOrWhiteSpace(given))
        {
            ConnectionString = given;
            return;
        }
        _binaries = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).Order().LastOrDefault()
            : null;
        if (_binaries is null)
            throw new InvalidOperationException("The PostgreSQL tests need a server: set STATICNETS_POSTGRES to a connection string, or install Debian's postgresql (apt-get install postgresql) and they start their own.");
        _folder = Directory.CreateTempSubdirectory("staticnets-pg-").FullName;
        if (AsRoot) Run("chown", "postgres", _folder);
        int port = 15432 + Environment.ProcessId % 1000;
        Tool("initdb", "-D", Path.Combine(_folder, "data"), "-A", "trust", "-U", "postgres", "--no-sync");
        Tool("pg_ctl", "-D", Path.Combine(_folder, "data"), "-l", Path.Combine(_folder, "log"), "-w", "-o",
            $"-k {_folder} -c listen_addresses='' -p {port} -c fsync=off", "start");
        ConnectionString = $"Host={_folder};Port={port};Username=postgres;Database=postgres;Pooling=true";
    }

    public string ConnectionString { get; }

    // PostgreSQL refuses to run as root: then its tools run as the postgres user.
    private static bool AsRoot => Environment.UserName == "root";

    private void Tool(string name, params string[] arguments)
    {
        string tool = Path.Combine(_binaries!, name);
        if (AsRoot) Run("runuser", ["-u", "postgres", "--", tool, .. arguments]);
        else Run(tool, arguments);
    }

    private static void Run(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in arguments) info.ArgumentList.Add(a);
        using Process p = Process.Start(info)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({p.ExitCode}): {output}");
    }

    public void Dispose()
    {
        if (_folder is null || _binaries is null) return;
        try
        {
            Tool("pg_ctl", "-D", Path.Combine(_folder, "data"), "-m", "immediate", "stop");
        }
        finally
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
