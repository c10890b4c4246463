using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using Ops.Core.Errors;
using Ops.Core.Routing;

namespace Ops.Storage.PostgreSQL;

/// <summary>
/// One PostgreSQL database as a storage engine (issue 8 item 5): the engine for several workers on several
/// machines sharing one log and one chain (docs/adr/0004-postgres-append-serialization.md). One
/// <see cref="NpgsqlDataSource"/> (one pool) per engine; the writer keeps its own connection for its lifetime with
/// explicitly prepared statements, and pooled reads keep theirs through Npgsql's automatic preparation, which
/// survives the pool's connection reset (DESIGN.md §6, docs/performance.md).
/// </summary>
[Authority(AuthorityClass.SchemaMigrator)]
internal sealed class PostgresEngine : IStorageEngine
{
    /// <summary>
    /// Key of the transaction-scoped advisory lock every append batch holds from its first statement to its commit
    /// ("OPS_LOG" in ASCII). Advisory locks are per database, so two databases of one server never share it.
    /// </summary>
    internal const long ChainLockKey = 0x4F50535F4C4F47;

    /// <summary>Key of the lock projection writes hold, so two workers never fold into one projection at once ("OPS_PRJ").</summary>
    internal const long ProjectionLockKey = 0x4F50535F50524A;

    /// <summary>Statements Npgsql prepares on each pooled connection once used twice, unless the connection string says otherwise.</summary>
    internal const int DefaultMaxAutoPrepare = 64;

    private PostgresEngine(NpgsqlDataSource dataSource, string description)
    {
        DataSource = dataSource;
        Description = description;
        Events = new PostgresEventStore(dataSource);
        Projections = new PostgresProjectionStore(dataSource);
        Outbox = new PostgresOutboxStore(dataSource);
    }

    public string Provider => "postgres";

    public string Description { get; }

    public bool IsInMemory => false;

    public IEventStore Events { get; }

    public IProjectionStore Projections { get; }

    public IOutboxStore Outbox { get; }

    internal NpgsqlDataSource DataSource { get; }

    /// <summary>
    /// The engine for a route with provider <c>postgres</c> (<see cref="ResolvedRoute"/>): what the kernel's
    /// composition calls for every resource kind routed to PostgreSQL.
    /// </summary>
    public static PostgresEngine Create(ResolvedRoute route)
    {
        ArgumentNullException.ThrowIfNull(route);
        if (!string.Equals(route.Provider, "postgres", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Route '{route.ResourceKind}' has provider {route.Provider}, not postgres.", nameof(route));
        }

        return Create(route.ConnectionString);
    }

    /// <summary>
    /// The engine for an Npgsql connection string. Sets <c>Max Auto Prepare</c> (64) and <c>Auto Prepare Min
    /// Usages</c> (2) when the string does not, and <c>Application Name</c> (ops) for pg_stat_activity.
    /// </summary>
    /// <exception cref="OpsException"><see cref="ReasonCodes.BadRequest"/> when the connection string does not parse.</exception>
    public static PostgresEngine Create(string connectionString)
    {
        var builder = Parse(connectionString);
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = DefaultMaxAutoPrepare;
            builder.AutoPrepareMinUsages = 2;
        }

        builder.ApplicationName ??= "ops";
        var description = DescriptionOf(builder);
        return new PostgresEngine(new NpgsqlDataSourceBuilder(builder.ConnectionString).Build(), description);
    }

    /// <summary>Host:port/database of a connection string, never its password.</summary>
    public static string DescriptionOf(NpgsqlConnectionStringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return $"postgres://{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}";
    }

    /// <summary>Parses a connection string; a malformed one is refused without echoing it (it may hold a password).</summary>
    public static NpgsqlConnectionStringBuilder Parse(string connectionString)
    {
        try
        {
            return new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new OpsException(ReasonCodes.BadRequest, $"The PostgreSQL connection string does not parse ({ex.GetType().Name}); see Npgsql's connection string parameters. Nothing was opened.", ex);
        }
    }

    /// <summary>
    /// Migrates to <paramref name="target"/> (the latest when null; "0" removes everything). Refused, with nothing
    /// changed, when the target is unknown or when it would drop the log's tables while they hold events (checked
    /// before any Down runs, since each migration commits on its own; P0001's Down refuses too, SQLSTATE OPM01).
    /// Concurrent migrations wait for each other: EF Core's Npgsql migrator locks the history table in its
    /// transaction, so no lock outlives a killed migration.
    /// </summary>
    /// <exception cref="OpsException"><see cref="ReasonCodes.MigrationRefused"/>.</exception>
    public void Migrate(string? target = null)
    {
        using var context = CreateContext();
        var known = context.Database.GetMigrations().ToList();
        if (target is not null && target != Migration.InitialDatabase && !known.Contains(target, StringComparer.Ordinal))
        {
            throw new OpsException(ReasonCodes.MigrationRefused, $"There is no migration '{target}' for PostgreSQL. Known migrations: {string.Join(", ", known)} (or 0 for none). Nothing was changed.");
        }

        if (target is not null && (target == Migration.InitialDatabase || string.CompareOrdinal(target, known[0]) < 0) && context.Database.GetAppliedMigrations().Any())
        {
            RefuseWhileTheLogHoldsRows(target);
        }

        try
        {
            context.GetService<IMigrator>().Migrate(target);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresSqlStates.MigrationRefused)
        {
            throw new OpsException(ReasonCodes.MigrationRefused, $"Migration to {target ?? "latest"} on {Description} was refused: {ex.MessageText}. Nothing was dropped.", ex);
        }
    }

    /// <summary>Nothing to release on PostgreSQL: the migrations' lock is a table lock that ends with its transaction.</summary>
    public bool ReleaseMigrationLock() => false;

    private void RefuseWhileTheLogHoldsRows(string target)
    {
        using var command = DataSource.CreateCommand("SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM command_outcomes)");
        using var reader = command.ExecuteReader();
        reader.Read();
        var (events, outcomes) = (reader.GetInt64(0), reader.GetInt64(1));
        if (events + outcomes > 0)
        {
            throw new OpsException(ReasonCodes.MigrationRefused, $"Migrating {Description} to {target} would drop the log's tables, which hold {events} events and {outcomes} command outcomes (append-only history that cannot be recreated). Export them first ('log export --out <file>'), then drop the database yourself if you really mean to start over. Nothing was changed.");
        }
    }

    public IReadOnlyList<string> AppliedMigrations()
    {
        using var context = CreateContext();
        return [.. context.Database.GetAppliedMigrations()];
    }

    public IWriterConnection OpenWriter() => new PostgresWriterConnection(DataSource);

    public void Dispose() => DataSource.Dispose();

    private PostgresMigrationsContext CreateContext() =>
        new(new DbContextOptionsBuilder<PostgresMigrationsContext>()
            .UseNpgsql(DataSource)
            // Hand-written migrations carry no model snapshot; the schema is raw SQL, not a mapped model.
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning))
            .Options);
}

/// <summary>The SQLSTATEs the engine tells errors apart by (never their message text).</summary>
internal static class PostgresSqlStates
{
    /// <summary>unique_violation.</summary>
    public const string UniqueViolation = "23505";

    /// <summary>Raised by ops_refuse_change(): an UPDATE, DELETE or TRUNCATE of an append-only table.</summary>
    public const string AppendOnlyRefused = "OPA01";

    /// <summary>Raised by P0001's Down: the log holds rows.</summary>
    public const string MigrationRefused = "OPM01";
}
