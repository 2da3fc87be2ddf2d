using System.Data;
using System.Data.Common;
using System.Text.Json;

namespace StaticNets.Tuning;

/// <summary>
/// The storage in SQL shared by SQLite and PostgreSQL: three tables (studies, trials, per-epoch values), one
/// transaction per change, claims serialized per study, times from the database's clock (so workers on machines with
/// different clocks agree on whose heartbeat is stale).
/// </summary>
public abstract class SqlStudyStorage : IStudyStorage
{
    private readonly object _schemaLock = new();
    private bool _schemaReady;

    /// <summary>A new open connection.</summary>
    protected abstract DbConnection Open();

    /// <summary>What the storage is, for error messages: the file, or the server and database.</summary>
    protected abstract string Describe { get; }

    // Every call: database errors become a StudyStorageException naming the storage.
    private T Guarded<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (DbException e)
        {
            throw new StudyStorageException($"The study storage {Describe} failed: {e.Message}", e);
        }
    }

    /// <summary>The database's time in milliseconds since 1970, as an SQL expression.</summary>
    protected abstract string Now { get; }

    /// <summary>The column type of an auto-numbered key.</summary>
    protected abstract string KeyType { get; }

    /// <summary>Creates the tables if they are missing (other processes may be doing the same).</summary>
    protected virtual void CreateSchema(DbConnection connection, string ddl) => Execute(connection, null, ddl);

    /// <summary>Begins a claim's transaction and keeps other claims of the study out until it ends.</summary>
    protected abstract DbTransaction BeginClaim(DbConnection connection, long study);

    private DbConnection Connect()
    {
        DbConnection connection = Open();
        if (_schemaReady) return connection;
        lock (_schemaLock)
        {
            if (!_schemaReady)
            {
                CreateSchema(connection, $"""
                    CREATE TABLE IF NOT EXISTS sn_studies (id {KeyType}, name TEXT NOT NULL UNIQUE, direction INTEGER NOT NULL);
                    CREATE TABLE IF NOT EXISTS sn_trials (
                        id {KeyType}, study BIGINT NOT NULL REFERENCES sn_studies (id), number INTEGER NOT NULL,
                        status INTEGER NOT NULL, params TEXT NOT NULL, seed INTEGER NOT NULL, worker TEXT,
                        attempt INTEGER NOT NULL DEFAULT 0, heartbeat BIGINT, started BIGINT, finished BIGINT,
                        seconds DOUBLE PRECISION, value DOUBLE PRECISION, error TEXT, UNIQUE (study, number));
                    CREATE TABLE IF NOT EXISTS sn_trial_epochs (
                        trial BIGINT NOT NULL REFERENCES sn_trials (id), epoch INTEGER NOT NULL, value DOUBLE PRECISION NOT NULL,
                        PRIMARY KEY (trial, epoch));
                    """);
                _schemaReady = true;
            }
        }
        return connection;
    }

    /// <inheritdoc/>
    public long CreateOrLoadStudy(string name, Direction direction)
    {
        return Guarded(() =>
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name);
            using DbConnection c = Connect();
            using DbTransaction tx = c.BeginTransaction();
            Execute(c, tx, "INSERT INTO sn_studies (name, direction) VALUES (@name, @direction) ON CONFLICT (name) DO NOTHING", ("name", name), ("direction", (int)direction));
            using DbDataReader r = Query(c, tx, "SELECT id, direction FROM sn_studies WHERE name = @name", ("name", name));
            r.Read();
            long id = r.GetInt64(0);
            var stored = (Direction)r.GetInt32(1);
            r.Close();
            tx.Commit();
            if (stored != direction)
                throw new InvalidOperationException($"The study '{name}' exists and is to {stored.ToString().ToLowerInvariant()} its objective, not to {direction.ToString().ToLowerInvariant()} it.");
            return id;
        });
    }

    /// <inheritdoc/>
    public ClaimedTrial? Claim(long study, string worker, int maxTrials, Func<int, (IReadOnlyDictionary<string, double> Parameters, int Seed)> sample, TimeSpan staleAfter)
    {
        return Guarded(() =>
        {
            using DbConnection c = Connect();
            using DbTransaction tx = BeginClaim(c, study);
            Execute(c, tx, $"UPDATE sn_trials SET status = 0 WHERE study = @study AND status = 1 AND heartbeat < {Now} - @stale",
                ("study", study), ("stale", (long)staleAfter.TotalMilliseconds));
            long? id = Scalar<long?>(c, tx, "SELECT id FROM sn_trials WHERE study = @study AND status = 0 ORDER BY number LIMIT 1", ("study", study));
            if (id is null)
            {
                int count = Scalar<int>(c, tx, "SELECT COUNT(*) FROM sn_trials WHERE study = @study", ("study", study));
                if (count >= maxTrials)
                {
                    tx.Commit();
                    return null;
                }
                var (parameters, seed) = sample(count);
                id = Scalar<long>(c, tx, "INSERT INTO sn_trials (study, number, status, params, seed) VALUES (@study, @number, 0, @params, @seed) RETURNING id",
                    ("study", study), ("number", count), ("params", JsonSerializer.Serialize(parameters)), ("seed", seed));
            }
            using DbDataReader r = Query(c, tx, $"""
                UPDATE sn_trials SET status = 1, worker = @worker, attempt = attempt + 1, heartbeat = {Now}, started = {Now} WHERE id = @id
                RETURNING number, params, seed, attempt
                """, ("worker", worker), ("id", id.Value));
            r.Read();
            var claimed = new ClaimedTrial(id.Value, r.GetInt32(0), Parameters(r.GetString(1)), r.GetInt32(2), r.GetInt32(3));
            r.Close();
            tx.Commit();
            return claimed;
        });
    }

    /// <inheritdoc/>
    public bool Report(ClaimedTrial trial, int epoch, double value)
    {
        return Guarded(() =>
        {
            using DbConnection c = Connect();
            return Execute(c, null, $"""
                INSERT INTO sn_trial_epochs (trial, epoch, value)
                SELECT @id, @epoch, @value WHERE EXISTS (SELECT 1 FROM sn_trials WHERE id = @id AND attempt = @attempt AND status = 1)
                ON CONFLICT (trial, epoch) DO UPDATE SET value = excluded.value
                """, ("id", trial.Id), ("epoch", epoch), ("value", value), ("attempt", trial.Attempt)) == 1;
        });
    }

    /// <inheritdoc/>
    public bool Heartbeat(ClaimedTrial trial)
    {
        return Guarded(() =>
        {
            using DbConnection c = Connect();
            return Execute(c, null, $"UPDATE sn_trials SET heartbeat = {Now} WHERE id = @id AND attempt = @attempt AND status = 1",
                ("id", trial.Id), ("attempt", trial.Attempt)) == 1;
        });
    }

    /// <inheritdoc/>
    public bool Finish(ClaimedTrial trial, TrialStatus status, double? value, double seconds, string? error)
    {
        return Guarded(() =>
        {
            if (status is TrialStatus.Waiting or TrialStatus.Running) throw new ArgumentOutOfRangeException(nameof(status), status, "A trial finishes complete, pruned or failed.");
            using DbConnection c = Connect();
            return Execute(c, null, $"UPDATE sn_trials SET status = @status, value = @value, seconds = @seconds, error = @error, finished = {Now} WHERE id = @id AND attempt = @attempt AND status = 1",
                ("status", (int)status), ("value", value), ("seconds", seconds), ("error", error), ("id", trial.Id), ("attempt", trial.Attempt)) == 1;
        });
    }

    /// <inheritdoc/>
    public IReadOnlyList<TrialRecord> Trials(long study)
    {
        return Guarded(() =>
        {
            using DbConnection c = Connect();
            var epochs = new Dictionary<long, Dictionary<int, double>>();
            using (DbDataReader r = Query(c, null, "SELECT e.trial, e.epoch, e.value FROM sn_trial_epochs e JOIN sn_trials t ON t.id = e.trial WHERE t.study = @study", ("study", study)))
                while (r.Read())
                {
                    if (!epochs.TryGetValue(r.GetInt64(0), out var values)) epochs[r.GetInt64(0)] = values = [];
                    values[r.GetInt32(1)] = r.GetDouble(2);
                }
            var trials = new List<TrialRecord>();
            using (DbDataReader r = Query(c, null, "SELECT id, number, params, seed, status, value, seconds, attempt, worker, error FROM sn_trials WHERE study = @study ORDER BY number", ("study", study)))
                while (r.Read())
                    trials.Add(new TrialRecord(r.GetInt32(1), Parameters(r.GetString(2)), r.GetInt32(3), (TrialStatus)r.GetInt32(4),
                        r.IsDBNull(5) ? null : r.GetDouble(5), epochs.TryGetValue(r.GetInt64(0), out var e) ? e : new Dictionary<int, double>(),
                        r.IsDBNull(6) ? null : r.GetDouble(6), r.GetInt32(7), r.IsDBNull(8) ? null : r.GetString(8), r.IsDBNull(9) ? null : r.GetString(9)));
            return trials;
        });
    }

    private static Dictionary<string, double> Parameters(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, double>>(json) ?? throw new InvalidDataException("A trial's stored parameters are not a JSON object.");

    private static DbCommand Command(DbConnection c, DbTransaction? tx, string sql, (string Name, object? Value)[] parameters)
    {
        DbCommand command = c.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        foreach (var (name, value) in parameters)
        {
            DbParameter p = command.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            if (value is null) p.DbType = name == "error" ? DbType.String : DbType.Double; // the only values that may be null
            command.Parameters.Add(p);
        }
        return command;
    }

    /// <summary>Runs a statement; returns the rows it changed.</summary>
    protected static int Execute(DbConnection c, DbTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        using DbCommand command = Command(c, tx, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static DbDataReader Query(DbConnection c, DbTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        DbCommand command = Command(c, tx, sql, parameters);
        return command.ExecuteReader(CommandBehavior.Default);
    }

    private static T Scalar<T>(DbConnection c, DbTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        using DbCommand command = Command(c, tx, sql, parameters);
        object? result = command.ExecuteScalar();
        if (result is null || result is DBNull) return default!;
        Type target = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        return (T)Convert.ChangeType(result, target, System.Globalization.CultureInfo.InvariantCulture);
    }
}
