using Microsoft.Data.SqlClient;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Ops.Core.Errors;
using Ops.Core.Routing;

namespace Ops.Storage.SqlServer;

/// <summary>
/// One SQL Server database as a storage engine (issue 8 item 6, DESIGN.md §6's provider). The same design as
/// PostgreSQL's (docs/adr/0004-postgres-append-serialization.md) with SQL Server's means: every append batch holds
/// a transaction-owned application lock (<c>sp_getapplock</c>) on the chain from its first statement to its
/// commit, so several workers append one chain and positions become visible in order; the writer keeps its own
/// connection with prepared statements. No SQL Server runs on the CI machines: this engine is built, its migration
/// script is generated and compared with a committed copy, and the conformance suite runs against a server named
/// by OPS_TEST_SQLSERVER when there is one (docs/operations.md says what has and has not been run).
/// </summary>
[Authority(AuthorityClass.SchemaMigrator)]
internal sealed class SqlServerEngine : IStorageEngine
{
    /// <summary>The application lock every append batch holds until it commits.</summary>
    internal const string ChainLock = "ops_log";

    /// <summary>The application lock projection writes hold, so two workers never fold into one projection at once.</summary>
    internal const string ProjectionLock = "ops_projections";

    private SqlServerEngine(string connectionString, string description)
    {
        ConnectionString = connectionString;
        Description = description;
        Events = new SqlServerEventStore(connectionString);
        Projections = new SqlServerProjectionStore(connectionString);
        Outbox = new SqlServerOutboxStore(connectionString);
    }

    public string Provider => "sqlserver";

    public string Description { get; }

    public bool IsInMemory => false;

    public IEventStore Events { get; }

    public IProjectionStore Projections { get; }

    public IOutboxStore Outbox { get; }

    internal string ConnectionString { get; }

    /// <summary>The engine for a route with provider <c>sqlserver</c>.</summary>
    /// <exception cref="ArgumentException">The route is not a sqlserver route.</exception>
    public static SqlServerEngine Create(ResolvedRoute route)
    {
        ArgumentNullException.ThrowIfNull(route);
        if (!string.Equals(route.Provider, "sqlserver", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Route '{route.ResourceKind}' has provider {route.Provider}, not sqlserver.", nameof(route));
        }

        return Create(route.ConnectionString);
    }

    /// <summary>The engine for a SqlClient connection string; sets <c>Application Name</c> (ops) when it does not.</summary>
    /// <exception cref="OpsException"><see cref="ReasonCodes.BadRequest"/> when the connection string does not parse.</exception>
    public static SqlServerEngine Create(string connectionString)
    {
        var builder = Parse(connectionString);
        if (string.IsNullOrEmpty(builder.ApplicationName) || builder.ApplicationName == new SqlConnectionStringBuilder().ApplicationName)
        {
            builder.ApplicationName = "ops";
        }

        return new SqlServerEngine(builder.ConnectionString, DescriptionOf(builder));
    }

    /// <summary>Server/database of a connection string, never its password.</summary>
    public static string DescriptionOf(SqlConnectionStringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return $"sqlserver://{builder.DataSource}/{builder.InitialCatalog}";
    }

    /// <summary>Parses a connection string; a malformed one is refused without echoing it (it may hold a password).</summary>
    /// <exception cref="OpsException"><see cref="ReasonCodes.BadRequest"/>.</exception>
    public static SqlConnectionStringBuilder Parse(string connectionString)
    {
        try
        {
            return new SqlConnectionStringBuilder(connectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw new OpsException(ReasonCodes.BadRequest, $"The SQL Server connection string does not parse ({ex.GetType().Name}); see SqlClient's connection string keywords. Nothing was opened.", ex);
        }
    }

    /// <summary>
    /// Migrates to <paramref name="target"/> (the latest when null; "0" removes everything). Refused, with nothing
    /// changed, when the target is unknown or when it would drop the log's tables while they hold events (checked
    /// before any Down runs; S0001's Down refuses too, error 51002). EF Core's SQL Server migrator serializes
    /// concurrent migrations with a session-owned application lock, which ends with its connection, so no lock
    /// outlives a killed migration.
    /// </summary>
    /// <exception cref="OpsException"><see cref="ReasonCodes.MigrationRefused"/>.</exception>
    public void Migrate(string? target = null)
    {
        using var context = CreateContext(ConnectionString);
        var known = context.Database.GetMigrations().ToList();
        if (target is not null && target != Migration.InitialDatabase && !known.Contains(target, StringComparer.Ordinal))
        {
            throw new OpsException(ReasonCodes.MigrationRefused, $"There is no migration '{target}' for SQL Server. Known migrations: {string.Join(", ", known)} (or 0 for none). Nothing was changed.");
        }

        if (target is not null && (target == Migration.InitialDatabase || string.CompareOrdinal(target, known[0]) < 0) && context.Database.GetAppliedMigrations().Any())
        {
            RefuseWhileTheLogHoldsRows(target);
        }

        try
        {
            context.GetService<IMigrator>().Migrate(target);
        }
        catch (SqlException ex) when (ex.Number == SqlServerErrors.MigrationRefused)
        {
            throw new OpsException(ReasonCodes.MigrationRefused, $"Migration to {target ?? "latest"} on {Description} was refused: the log holds events or command outcomes. Nothing was dropped.", ex);
        }
    }

    /// <summary>Nothing to release on SQL Server: the migrations' lock is owned by their session and ends with it.</summary>
    public bool ReleaseMigrationLock() => false;

    public IReadOnlyList<string> AppliedMigrations()
    {
        using var context = CreateContext(ConnectionString);
        return [.. context.Database.GetAppliedMigrations()];
    }

    public IWriterConnection OpenWriter() => new SqlServerWriterConnection(ConnectionString);

    /// <summary>Pools belong to SqlClient (per connection string); nothing of this engine's own stays open.</summary>
    public void Dispose()
    {
    }

    /// <summary>
    /// The migration script from nothing to the latest migration, generated offline (no server is contacted): what
    /// CI compares with the committed copy, src/Ops.Storage.SqlServer/Migrations/sqlserver.sql.
    /// </summary>
    internal static string GenerateScript()
    {
        using var context = CreateContext("Server=127.0.0.1;Database=ops;Integrated Security=false;Encrypt=true");
        return context.GetService<IMigrator>().GenerateScript();
    }

    private static SqlServerMigrationsContext CreateContext(string connectionString) =>
        new(new DbContextOptionsBuilder<SqlServerMigrationsContext>()
            .UseSqlServer(connectionString)
            // Hand-written migrations carry no model snapshot; the schema is raw SQL, not a mapped model.
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning))
            .Options);

    private void RefuseWhileTheLogHoldsRows(string target)
    {
        using var connection = new SqlConnection(ConnectionString);
        connection.Open();
        using var command = new SqlCommand("SELECT (SELECT COUNT_BIG(*) FROM dbo.events), (SELECT COUNT_BIG(*) FROM dbo.command_outcomes)", connection);
        using var reader = command.ExecuteReader();
        reader.Read();
        var (events, outcomes) = (reader.GetInt64(0), reader.GetInt64(1));
        if (events + outcomes > 0)
        {
            throw new OpsException(ReasonCodes.MigrationRefused, $"Migrating {Description} to {target} would drop the log's tables, which hold {events} events and {outcomes} command outcomes (append-only history that cannot be recreated). Export them first ('log export --out <file>'), then drop the database yourself if you really mean to start over. Nothing was changed.");
        }
    }
}
