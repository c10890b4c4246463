using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using Ops.Core.Storage;
using Ops.Core.Tests.Storage.Postgres;
using Ops.Storage.Sqlite;
using Ops.Testing;
using Ops.TestSupport;
using Xunit.Abstractions;

namespace Ops.Core.Tests;

/// <summary>
/// Issue 20 item 4: <see cref="DatabaseTamperMatrix"/> on SQLite and on PostgreSQL. The seed and the number of random
/// positions can be set with OPS_TAMPER_SEED, OPS_TAMPER_DB_POSITIONS (SQLite, 1,000 by default) and
/// OPS_TAMPER_PG_POSITIONS (PostgreSQL, 300 by default: each mutation there is written into the database and back, about
/// half a second on the 2-core CI machine, so 1,000 would take the suite's budget; run it with 1,000 before a release).
/// </summary>
public sealed class DatabaseTamperMatrixTests(ITestOutputHelper output)
{
    internal static int Seed => int.TryParse(Environment.GetEnvironmentVariable("OPS_TAMPER_SEED"), CultureInfo.InvariantCulture, out var given) ? given : 20_261_207;

    private static int Positions => int.TryParse(Environment.GetEnvironmentVariable("OPS_TAMPER_DB_POSITIONS"), CultureInfo.InvariantCulture, out var given) ? given : 1_000;

    internal static int PostgresPositions => int.TryParse(Environment.GetEnvironmentVariable("OPS_TAMPER_PG_POSITIONS"), CultureInfo.InvariantCulture, out var given) ? given : 300;

    [Fact]
    public async Task Issue20_TamperMatrix_OnSqlite_EveryAttackDetectedAndLocated_NothingThrows()
    {
        await using var h = await KernelHarness.StartAsync();
        await new DatabaseTamperMatrix(output).RunAsync("SQLite", h, await SqliteTarget.CreateAsync(h.DatabasePath), Seed, Positions);
    }

    /// <summary>
    /// SQLite: each mutation on a copy of the database file, written with the triggers dropped and recreated from their
    /// stored definitions (so only the schema attacks change the schema); the schema attacks on the file itself.
    /// </summary>
    private sealed class SqliteTarget : DatabaseTamperMatrix.ITamperTarget
    {
        private readonly string _database;
        private string? _copy;
        private SqliteEngine? _engine;

        private SqliteTarget(string database, string updateTrigger)
        {
            _database = database;
            var quoted = updateTrigger.Replace("'", "''", StringComparison.Ordinal);
            SchemaAttacks =
            [
                ("drop a trigger", "DROP TRIGGER events_refuse_update", updateTrigger),
                ("writable_schema weakens a trigger", "PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = 'CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events BEGIN SELECT 1; END' WHERE name = 'events_refuse_update'; PRAGMA writable_schema = OFF;", $"PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = '{quoted}' WHERE name = 'events_refuse_update'; PRAGMA writable_schema = OFF;"),
                ("a trigger added", "CREATE TRIGGER events_sneak AFTER INSERT ON events BEGIN SELECT 1; END", "DROP TRIGGER events_sneak"),
                ("an index dropped", "DROP INDEX ux_events_event_id", "CREATE UNIQUE INDEX ux_events_event_id ON events (event_id)"),
                ("rename and copy back", "ALTER TABLE events RENAME TO events_old; CREATE TABLE events AS SELECT * FROM events_old; DROP TABLE events_old;", null),
            ];
        }

        public IReadOnlyList<(string Name, string Attack, string? Undo)> SchemaAttacks { get; }

        public static async Task<SqliteTarget> CreateAsync(string database)
        {
            await using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT sql FROM sqlite_master WHERE name = 'events_refuse_update'";
            return new SqliteTarget(database, (string)(await command.ExecuteScalarAsync())!);
        }

        public async Task<IStorageEngine> MutateAsync(IReadOnlyList<long> positions, IReadOnlyList<StoredRow> rows)
        {
            // A copy per mutation: cheaper than writing the rows back, and the original is never touched.
            _copy = Path.Combine(Path.GetDirectoryName(_database)!, "mutation.db");
            await using (var source = new SqliteConnection($"Data Source={_database};Pooling=False"))
            {
                await source.OpenAsync();
                await using var checkpoint = source.CreateCommand();
                checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
                await checkpoint.ExecuteNonQueryAsync();
            }

            File.Copy(_database, _copy, overwrite: true);
            if (File.Exists(_database + "-wal"))
            {
                // Whatever the checkpoint could not move into the main file (a reader held it) comes along in the WAL.
                File.Copy(_database + "-wal", _copy + "-wal", overwrite: true);
            }

            await VerifierDamageTests.WithTriggersDroppedAsync(_copy, connection => WriteAsync(connection, positions, rows));
            _engine = new SqliteEngine(new SqliteDatabase($"Data Source={_copy};Pooling=False"), TimeProvider.System);
            return _engine;
        }

        public Task UndoAsync(IReadOnlyList<long> added, IReadOnlyList<StoredRow> removed)
        {
            _engine?.Dispose();
            foreach (var file in new[] { _copy!, _copy + "-wal", _copy + "-shm" }.Where(File.Exists))
            {
                File.Delete(file);
            }

            return Task.CompletedTask;
        }

        private static async Task WriteAsync(SqliteConnection connection, IReadOnlyList<long> positions, IReadOnlyList<StoredRow> rows)
        {
            await using var transaction = connection.BeginTransaction();
            await using var delete = connection.CreateCommand();
            delete.Transaction = transaction;
            delete.CommandText = "DELETE FROM events WHERE position = $p";
            var at = delete.Parameters.Add("$p", SqliteType.Integer);
            foreach (var position in positions)
            {
                at.Value = position;
                await delete.ExecuteNonQueryAsync();
            }

            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO events (position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash) VALUES ($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
            var parameters = Enumerable.Range(0, 11).Select(i => insert.Parameters.Add("$" + i.ToString(CultureInfo.InvariantCulture), SqliteType.Blob)).ToArray();
            foreach (var row in rows)
            {
                var r = row.Row;
                object?[] values = [r.Position, r.EventId, r.StreamId, r.StreamVersion, r.EventType, r.OccurredAtTicks, r.SourceRef, r.SourceSequence is { } s ? s : DBNull.Value, r.Envelope, row.PrevHash, row.RowHash];
                for (var i = 0; i < values.Length; i++)
                {
                    parameters[i].SqliteType = values[i] switch { long => SqliteType.Integer, string => SqliteType.Text, _ => SqliteType.Blob };
                    parameters[i].Value = values[i];
                }

                await insert.ExecuteNonQueryAsync();
            }

            await transaction.CommitAsync();
        }

        public async Task ExecuteAsync(string sql)
        {
            await using var connection = new SqliteConnection($"Data Source={_database};Pooling=False");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>
    /// PostgreSQL: each mutation written into the kernel's own database and written back after the check, in the owner's
    /// session with session_replication_role = replica, which fires no trigger, so rows change without a schema change.
    /// </summary>
    internal sealed class PostgresTarget : DatabaseTamperMatrix.ITamperTarget
    {
        private readonly NpgsqlConnection _admin;
        private readonly IStorageEngine _engine;

        private PostgresTarget(NpgsqlConnection admin, IStorageEngine engine, string function)
        {
            _admin = admin;
            _engine = engine;
            SchemaAttacks =
            [
                ("disable a trigger", "ALTER TABLE events DISABLE TRIGGER events_refuse_change", "ALTER TABLE events ENABLE TRIGGER events_refuse_change"),
                ("drop a trigger", "DROP TRIGGER events_refuse_truncate ON events", "CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION ops_refuse_change()"),
                ("rewrite the trigger function", "CREATE OR REPLACE FUNCTION ops_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$", function),
                ("a rule that swallows appends", "CREATE RULE sneak AS ON INSERT TO events DO INSTEAD NOTHING", "DROP RULE sneak ON events"),
                ("a policy that hides rows", "ALTER TABLE events ENABLE ROW LEVEL SECURITY; CREATE POLICY hide ON events USING (position < 2)", "DROP POLICY hide ON events; ALTER TABLE events DISABLE ROW LEVEL SECURITY"),
                ("a column loosened", "ALTER TABLE command_outcomes ALTER COLUMN row_hash DROP NOT NULL", "ALTER TABLE command_outcomes ALTER COLUMN row_hash SET NOT NULL"),
                ("a unique index dropped", "DROP INDEX ux_events_event_id", "CREATE UNIQUE INDEX ux_events_event_id ON events (event_id)"),
                ("rename and copy back", "ALTER TABLE events RENAME TO events_old; CREATE TABLE events (LIKE events_old INCLUDING ALL); INSERT INTO events SELECT * FROM events_old; DROP TABLE events_old CASCADE", null),
            ];
        }

        public IReadOnlyList<(string Name, string Attack, string? Undo)> SchemaAttacks { get; }

        public static async Task<PostgresTarget> CreateAsync(NpgsqlConnection admin, IStorageEngine engine)
        {
            await using var command = new NpgsqlCommand("SET session_replication_role = replica; SELECT pg_get_functiondef('ops_refuse_change'::regproc)", admin);
            return new PostgresTarget(admin, engine, (string)(await command.ExecuteScalarAsync())!);
        }

        public async Task<IStorageEngine> MutateAsync(IReadOnlyList<long> positions, IReadOnlyList<StoredRow> rows)
        {
            await ReplaceAsync(positions, rows);
            return _engine;
        }

        public Task UndoAsync(IReadOnlyList<long> added, IReadOnlyList<StoredRow> removed) => ReplaceAsync(added, removed);

        private async Task ReplaceAsync(IReadOnlyList<long> positions, IReadOnlyList<StoredRow> rows)
        {
            await using var transaction = await _admin.BeginTransactionAsync();
            await using (var delete = new NpgsqlCommand("DELETE FROM events WHERE position = ANY($1)", _admin, transaction))
            {
                delete.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. positions] });
                await delete.ExecuteNonQueryAsync();
            }

            await using (var copy = await _admin.BeginBinaryImportAsync("COPY events (position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash) FROM STDIN (FORMAT BINARY)"))
            {
                foreach (var row in rows)
                {
                    var r = row.Row;
                    await copy.StartRowAsync();
                    await copy.WriteAsync(r.Position, NpgsqlDbType.Bigint);
                    await copy.WriteAsync(r.EventId, NpgsqlDbType.Bytea);
                    await copy.WriteAsync(r.StreamId, NpgsqlDbType.Text);
                    await copy.WriteAsync(r.StreamVersion, NpgsqlDbType.Bigint);
                    await copy.WriteAsync(r.EventType, NpgsqlDbType.Text);
                    await copy.WriteAsync(r.OccurredAtTicks, NpgsqlDbType.Bigint);
                    await copy.WriteAsync(r.SourceRef, NpgsqlDbType.Text);
                    if (r.SourceSequence is { } sequence)
                    {
                        await copy.WriteAsync(sequence, NpgsqlDbType.Bigint);
                    }
                    else
                    {
                        await copy.WriteNullAsync();
                    }

                    await copy.WriteAsync(r.Envelope, NpgsqlDbType.Bytea);
                    await copy.WriteAsync(row.PrevHash, NpgsqlDbType.Bytea);
                    await copy.WriteAsync(row.RowHash, NpgsqlDbType.Bytea);
                }

                await copy.CompleteAsync();
            }

            await transaction.CommitAsync();
        }

        public async Task ExecuteAsync(string sql)
        {
            await using var command = new NpgsqlCommand(sql, _admin);
            await command.ExecuteNonQueryAsync();
        }
    }
}

/// <summary>The tamper matrix on PostgreSQL (<see cref="DatabaseTamperMatrixTests"/>), on the run's server.</summary>
[RequiresPostgres]
public sealed class DatabaseTamperMatrixPostgresTests(ITestOutputHelper output, PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Issue20_TamperMatrix_OnPostgres_EveryAttackDetectedAndLocated_NothingThrows()
    {
        var connectionString = PostgresServer.ConnectionString(await fixture.CreateDatabaseAsync(migrated: false));
        await using var h = await KernelHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Ops:Routes:event_log:Provider"] = "postgres",
            ["Ops:Routes:event_log:ConnectionString"] = connectionString,
            ["Ops:Routes:projections:Provider"] = "postgres",
            ["Ops:Routes:projections:ConnectionString"] = connectionString,
        });
        await using var admin = await PostgresFixture.AdminAsync((Ops.Storage.PostgreSQL.PostgresEngine)h.Kernel.EventLog.Engine);
        await new DatabaseTamperMatrix(output).RunAsync("PostgreSQL", h, await DatabaseTamperMatrixTests.PostgresTarget.CreateAsync(admin, h.Kernel.EventLog.Engine), DatabaseTamperMatrixTests.Seed, DatabaseTamperMatrixTests.PostgresPositions);
    }
}
