using Npgsql;
using Ops.Core.Storage;
using Ops.Storage.PostgreSQL;
using Ops.TestSupport;

namespace Ops.Core.Tests.Storage.Postgres;

/// <summary>
/// One test class's databases on the run's server (<see cref="PostgresServer"/>): a template migrated once, and a
/// fresh database cloned from it for each test that asks (<see cref="CreateEngineAsync"/>), all dropped when the
/// class is done. It is the PostgreSQL fixture of the conformance suite (<see cref="EngineConformance{TFixture}"/>).
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime, IEngineFixture
{
    private readonly string _prefix = "ops_" + Guid.NewGuid().ToString("N")[..12];
    private readonly List<string> _databases = [];
    private readonly List<PostgresEngine> _engines = [];
    private int _next;

    private string Template => _prefix + "_template";

    /// <summary>PostgreSQL's forms of the attacks the suite runs (PostgresAppendOnlyStatementTests runs every form, with its SQLSTATE).</summary>
    public IReadOnlyList<string> AppendOnlyAttacks { get; } =
    [
        "UPDATE events SET source_ref = 'forged' WHERE position = 1",
        "DELETE FROM events WHERE position = 2",
        "DELETE FROM events",
        "TRUNCATE events",
        "INSERT INTO events SELECT * FROM events WHERE position = 1",
        "INSERT INTO events SELECT * FROM events WHERE position = 1 ON CONFLICT (position) DO UPDATE SET source_ref = 'forged'",
        "MERGE INTO events e USING (SELECT 1 AS p) s ON e.position = s.p WHEN MATCHED THEN UPDATE SET source_ref = 'forged'",
        "UPDATE command_outcomes SET status = 'rejected'",
        "DELETE FROM command_outcomes",
        "TRUNCATE command_outcomes",
        "ALTER TABLE events DROP COLUMN source_sequence",
    ];

    public async Task InitializeAsync()
    {
        await ExecuteAsync($"CREATE DATABASE {Template}");
        _databases.Add(Template);
        using var engine = PostgresEngine.Create(PostgresServer.ConnectionString(Template));
        engine.Migrate();
        // No connection may stay on a template that is being copied.
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>A new, migrated, empty database; its name.</summary>
    public async Task<string> CreateDatabaseAsync(bool migrated = true)
    {
        var name = $"{_prefix}_{Interlocked.Increment(ref _next)}";
        await ExecuteAsync(migrated ? $"CREATE DATABASE {name} TEMPLATE {Template} STRATEGY FILE_COPY" : $"CREATE DATABASE {name}");
        lock (_databases)
        {
            _databases.Add(name);
        }

        return name;
    }

    /// <summary>An engine on a new, migrated, empty database; disposed with the fixture.</summary>
    internal async Task<PostgresEngine> CreateEngineAsync(bool migrated = true)
    {
        var engine = PostgresEngine.Create(PostgresServer.ConnectionString(await CreateDatabaseAsync(migrated)));
        lock (_engines)
        {
            _engines.Add(engine);
        }

        return engine;
    }

    IStorageEngine IEngineFixture.CreateEngine()
    {
        // The suite asks synchronously, for an empty, unmigrated database.
        var name = $"{_prefix}_{Interlocked.Increment(ref _next)}";
        using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(PostgresServer.AdminConnectionString) { Pooling = false }.ConnectionString))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            command.ExecuteNonQuery();
        }

        lock (_databases)
        {
            _databases.Add(name);
        }

        return PostgresEngine.Create(PostgresServer.ConnectionString(name));
    }

    async Task IEngineFixture.ExecuteRawAsync(IStorageEngine engine, string sql)
    {
        await using var admin = await AdminAsync((PostgresEngine)engine);
        await using var command = new NpgsqlCommand(sql, admin);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A superuser's connection to the engine's database, for what only an attacker or a test does.</summary>
    internal static async Task<NpgsqlConnection> AdminAsync(PostgresEngine engine)
    {
        var database = engine.DataSource.ConnectionString is { } s ? new NpgsqlConnectionStringBuilder(s).Database! : throw new InvalidOperationException();
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(PostgresServer.ConnectionString(database)) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async Task DisposeAsync()
    {
        foreach (var engine in _engines)
        {
            engine.Dispose();
        }

        foreach (var database in Enumerable.Reverse(_databases))
        {
            await ExecuteAsync($"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        }
    }

    private static async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(PostgresServer.AdminConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
