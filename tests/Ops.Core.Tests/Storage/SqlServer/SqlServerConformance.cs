using Microsoft.Data.SqlClient;
using Ops.Core.Storage;
using Ops.Storage.SqlServer;

namespace Ops.Core.Tests.Storage.SqlServer;

/// <summary>
/// The conformance suite on SQL Server, against the server OPS_TEST_SQLSERVER names (a SqlClient connection string
/// whose login may CREATE DATABASE, e.g. <c>Server=127.0.0.1,1433;User ID=sa;Password=...;TrustServerCertificate=true</c>).
/// No SQL Server runs on the CI machines, so there every test of this class reports "skipped" with that reason,
/// never "passed" (docs/operations.md, "SQL Server").
/// </summary>
public sealed class SqlServerConformance(SqlServerFixture fixture) : EngineConformance<SqlServerFixture>(fixture);

/// <summary>One database per engine on the named server, all dropped when the class is done.</summary>
public sealed class SqlServerFixture : IEngineFixture, IAsyncLifetime
{
    /// <summary>The environment variable naming the server.</summary>
    public const string Variable = "OPS_TEST_SQLSERVER";

    private readonly string _prefix = "ops_" + Guid.NewGuid().ToString("N")[..12];
    private readonly List<string> _databases = [];
    private int _next;

    /// <summary>SQL Server's forms of the attacks the suite runs; each must be refused by the database.</summary>
    public IReadOnlyList<string> AppendOnlyAttacks { get; } =
    [
        "UPDATE dbo.events SET source_ref = 0x666F72676564 WHERE position = 1",
        "DELETE FROM dbo.events WHERE position = 2",
        "DELETE FROM dbo.events",
        "TRUNCATE TABLE dbo.events",
        "INSERT INTO dbo.events SELECT * FROM dbo.events WHERE position = 1",
        "MERGE dbo.events AS e USING (SELECT 1 AS p) AS s ON e.position = s.p WHEN MATCHED THEN UPDATE SET source_ref = 0x666F72676564;",
        "UPDATE dbo.command_outcomes SET status = N'rejected'",
        "DELETE FROM dbo.command_outcomes",
        "TRUNCATE TABLE dbo.command_outcomes",
        "ALTER TABLE dbo.events DROP COLUMN source_sequence",
        "DROP TABLE dbo.events",
    ];

    private static string? Server => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } s ? s : null;

    IStorageEngine IEngineFixture.CreateEngine()
    {
        Skip.If(Server is null, $"No SQL Server: set {Variable} to a SqlClient connection string to run the conformance suite on SQL Server.");
        var name = $"{_prefix}_{Interlocked.Increment(ref _next)}";
        Execute(Server!, $"CREATE DATABASE [{name}]");
        lock (_databases)
        {
            _databases.Add(name);
        }

        return SqlServerEngine.Create(On(name));
    }

    async Task IEngineFixture.ExecuteRawAsync(IStorageEngine engine, string sql)
    {
        await using var connection = new SqlConnection(((SqlServerEngine)engine).ConnectionString);
        await connection.OpenAsync();
        await using var command = new SqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        if (Server is null)
        {
            return Task.CompletedTask;
        }

        SqlConnection.ClearAllPools();
        foreach (var name in _databases)
        {
            Execute(Server, $"ALTER DATABASE [{name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [{name}]");
        }

        return Task.CompletedTask;
    }

    private static string On(string database) => new SqlConnectionStringBuilder(Server) { InitialCatalog = database }.ConnectionString;

    private static void Execute(string connectionString, string sql)
    {
        using var connection = new SqlConnection(new SqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        connection.Open();
        using var command = new SqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}
