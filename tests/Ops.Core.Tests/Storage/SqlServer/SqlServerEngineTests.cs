using Ops.Core.Errors;
using Ops.Core.Routing;
using Ops.Core.Storage;
using Ops.Storage.SqlServer;

namespace Ops.Core.Tests.Storage.SqlServer;

/// <summary>
/// What CI can prove about the SQL Server engine without a server (issue 8 item 6): the migration script the
/// provider generates matches the committed copy (so a schema change is a reviewed diff), the script holds the
/// database-side append-only defences, routing opens this engine, and bad input is refused before any connection.
/// Regenerate the script with <c>OPS_UPDATE_SQLSERVER_SCRIPT=1 dotnet test tests/Ops.Core.Tests --filter SqlServerEngineTests</c>.
/// </summary>
public sealed class SqlServerEngineTests
{
    private static string Committed => Path.Combine(RepoRoot(), "src", "Ops.Storage.SqlServer", "Migrations", "sqlserver.sql");

    [Fact]
    public void MigrationScript_GeneratedOffline_MatchesTheCommittedCopy()
    {
        var script = SqlServerEngine.GenerateScript().ReplaceLineEndings("\n");
        if (Environment.GetEnvironmentVariable("OPS_UPDATE_SQLSERVER_SCRIPT") == "1")
        {
            File.WriteAllText(Committed, script);
        }

        Assert.True(File.Exists(Committed), $"{Committed} is missing: run OPS_UPDATE_SQLSERVER_SCRIPT=1 dotnet test tests/Ops.Core.Tests --filter SqlServerEngineTests and commit it.");
        Assert.True(script == File.ReadAllText(Committed).ReplaceLineEndings("\n"), "The SQL Server migrations differ from Storage/SqlServer/Migrations/sqlserver.sql: review the change, regenerate it (OPS_UPDATE_SQLSERVER_SCRIPT=1) and commit it.");
    }

    [Fact]
    public void MigrationScript_HoldsEveryAppendOnlyDefence_ForBothChainedTables()
    {
        var script = SqlServerEngine.GenerateScript();
        foreach (var table in new[] { "events", "command_outcomes" })
        {
            Assert.Contains($"CREATE TRIGGER dbo.{table}_refuse_change ON dbo.{table} AFTER UPDATE, DELETE", script, StringComparison.Ordinal);
            Assert.Contains($"REFERENCES dbo.{table}", script, StringComparison.Ordinal);
        }

        Assert.Contains("CREATE VIEW dbo.ops_events_chained WITH SCHEMABINDING", script, StringComparison.Ordinal);
        Assert.Contains("CREATE VIEW dbo.ops_outcomes_chained WITH SCHEMABINDING", script, StringComparison.Ordinal);
        Assert.Contains("20261215000001_MssqlInitialLog", script, StringComparison.Ordinal);
        Assert.Contains("20261215000002_MssqlTenantScopedProjections", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Routing_ASqlServerRoute_OpensTheSqlServerEngine_AndItsDescriptionNeverNamesThePassword()
    {
        var provider = new SqlServerStorageProvider();
        var route = provider.Resolve("event_log", "sqlserver", new RouteOptions { Provider = "SqlServer", ConnectionString = "Server=db1,1433;Database=ops;User ID=ops;Password=hunter2-secret;Encrypt=true" }, Path.GetTempPath());
        Assert.Equal("sqlserver", route.Provider);
        Assert.DoesNotContain("hunter2", route.ToString(), StringComparison.Ordinal);
        using var engine = provider.Open(route, new StorageContext("FULL", TimeProvider.System));
        var sqlServer = Assert.IsType<SqlServerEngine>(engine);
        Assert.Equal("sqlserver", sqlServer.Provider);
        Assert.Equal("sqlserver://db1,1433/ops", sqlServer.Description);
        Assert.DoesNotContain("hunter2", sqlServer.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Server=db1;Password=hunter2-secret;NoSuchKeyword=1")]
    public void Routing_AMissingOrMalformedConnectionString_IsRefusedWithoutEchoingIt(string connectionString)
    {
        var refused = Assert.Throws<OpsException>(() => new SqlServerStorageProvider().Resolve("event_log", "sqlserver", new RouteOptions { Provider = "sqlserver", ConnectionString = connectionString }, Path.GetTempPath()));
        Assert.Contains("sqlserver", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", refused.Message, StringComparison.Ordinal);
        var parse = Assert.Throws<OpsException>(() => SqlServerEngine.Parse("Server=db1;Password=hunter2-secret;NoSuchKeyword=1"));
        Assert.Equal(ReasonCodes.BadRequest, parse.Code);
        Assert.DoesNotContain("hunter2", parse.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Migrate_ToAnUnknownTarget_IsRefusedBeforeAnyConnection()
    {
        // Nothing listens on this port: the refusal must come from the migration list alone.
        using var engine = SqlServerEngine.Create("Server=127.0.0.1,1;Database=ops;User ID=ops;Password=x;Connect Timeout=1");
        var refused = Assert.Throws<OpsException>(() => engine.Migrate("20991231000000_NoSuchMigration"));
        Assert.Equal(ReasonCodes.MigrationRefused, refused.Code);
        Assert.Contains("20261215000001_MssqlInitialLog", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("core:pack-")]
    [InlineData("a")]
    [InlineData("é")]
    public void PrefixUpperBound_IsAboveEveryExtensionOfThePrefix_AndBelowTheNextPrefix(string prefix)
    {
        var bound = SqlServerText.PrefixUpperBound(prefix);
        var order = Comparer<byte[]>.Create(static (a, b) => a.AsSpan().SequenceCompareTo(b));
        foreach (var extension in new[] { "", "x", "\uFFFF", "zzzz", "😀" })
        {
            Assert.True(order.Compare(SqlServerText.Encode(prefix + extension), bound) < 0, $"'{prefix}{extension}' is not below the bound");
        }

        Assert.True(order.Compare(SqlServerText.Encode(prefix), bound) < 0);
        Assert.True(order.Compare(bound, SqlServerText.Encode(prefix + "\uFFFF")) > 0);
    }

    private static string RepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "AlignTrue.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("AlignTrue.sln not found above " + AppContext.BaseDirectory);
    }
}
