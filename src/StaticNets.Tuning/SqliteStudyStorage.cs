using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace StaticNets.Tuning;

/// <summary>
/// A study in one SQLite file: the default, for searches on one machine (trials in parallel in one process, or a few
/// processes sharing the file). Write-ahead logging, and claims that take the write lock first.
/// </summary>
public sealed class SqliteStudyStorage : SqlStudyStorage
{
    private readonly string _connectionString;

    /// <summary>The study file at <paramref name="path"/> (created with its folder if missing).</summary>
    public SqliteStudyStorage(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
        string? folder = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Mode = SqliteOpenMode.ReadWriteCreate, DefaultTimeout = 60, Pooling = true }.ToString();
        using var c = (SqliteConnection)Open();
        using var wal = c.CreateCommand();
        wal.CommandText = "PRAGMA journal_mode = WAL;";
        try
        {
            wal.ExecuteNonQuery();
        }
        catch (SqliteException e)
        {
            throw new StudyStorageException($"The study file '{Path}' cannot be used: {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    protected override string Describe => $"'{Path}'";

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    protected override DbConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA busy_timeout = 60000; PRAGMA foreign_keys = ON;";
            pragma.ExecuteNonQuery();
            return connection;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new StudyStorageException($"Cannot open the study file '{Path}': {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    protected override string Now => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";

    /// <inheritdoc/>
    protected override string KeyType => "INTEGER PRIMARY KEY";

    /// <inheritdoc/>
    // BEGIN IMMEDIATE: the write lock before the first read, so two claims never pick the same trial.
    protected override DbTransaction BeginClaim(DbConnection connection, long study) => ((SqliteConnection)connection).BeginTransaction(deferred: false);
}
