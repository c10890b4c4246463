using Microsoft.Data.Sqlite;
using Ops.Core.Storage;
using Ops.Storage.Sqlite;

namespace Ops.Core.Tests.Storage;

/// <summary>SQLite, the embedded default: a fresh file per engine in a temp folder.</summary>
public sealed class SqliteEngineFixture : IEngineFixture, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ops-sqlite-conformance-").FullName;

    public IReadOnlyList<string> AppendOnlyAttacks { get; } =
    [
        "UPDATE events SET source_ref = 'forged' WHERE position = 1",
        "DELETE FROM events WHERE position = 2",
        "DELETE FROM events",
        "INSERT OR REPLACE INTO events SELECT * FROM events WHERE position = 1",
        "REPLACE INTO events SELECT * FROM events WHERE position = 2",
        "INSERT INTO events SELECT * FROM events WHERE position = 1 ON CONFLICT (position) DO UPDATE SET source_ref = 'forged'",
        "UPDATE command_outcomes SET status = 'rejected'",
        "DELETE FROM command_outcomes",
        "INSERT OR REPLACE INTO command_outcomes SELECT * FROM command_outcomes",
        "ALTER TABLE events DROP COLUMN source_sequence",
    ];

    IStorageEngine IEngineFixture.CreateEngine() =>
        new SqliteEngine(new SqliteDatabase($"Data Source={Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".db")};Pooling=False"), TimeProvider.System);

    async Task IEngineFixture.ExecuteRawAsync(IStorageEngine engine, string sql)
    {
        await using var connection = ((SqliteEngine)engine).Database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A connection still closing leaves the temp folder behind.
        }
    }
}

/// <summary>The conformance suite on SQLite.</summary>
public sealed class SqliteConformance(SqliteEngineFixture fixture) : EngineConformance<SqliteEngineFixture>(fixture);
