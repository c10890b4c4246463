using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Ops.Storage.Sqlite;

/// <summary>
/// One SQLite database: opens connections with the durability settings of DESIGN.md §3 (WAL,
/// synchronous=FULL by default) and migrates its schema through EF Core.
/// </summary>
[Authority(AuthorityClass.SchemaMigrator, "__EFMigrationsLock")]
internal sealed class SqliteDatabase : IDisposable
{
    private readonly SqliteConnection? _keepAlive;

    public SqliteDatabase(string connectionString, string synchronous = "FULL")
    {
        ConnectionString = connectionString;
        Synchronous = synchronous;
        var builder = new SqliteConnectionStringBuilder(connectionString);
        IsInMemory = builder.Mode == SqliteOpenMode.Memory || builder.DataSource == ":memory:";
        if (IsInMemory)
        {
            // A shared in-memory database lives as long as one connection to it is open.
            _keepAlive = new SqliteConnection(connectionString);
            _keepAlive.Open();
        }
        else if (builder.Mode == SqliteOpenMode.ReadWriteCreate && !string.IsNullOrEmpty(builder.DataSource))
        {
            // Created 0600 before SQLite opens it: SQLite creates -wal and -shm with the main file's mode,
            // so no file of the database is ever readable by other users (issue 7 item 7).
            PrivateFiles.EnsureExists(builder.DataSource);
        }
    }

    public string ConnectionString { get; }

    public string Synchronous { get; }

    public bool IsInMemory { get; }

    /// <summary>Makes a relative file path absolute under <paramref name="contentRoot"/> and creates its folder (0700 when new).</summary>
    public static string ResolveFileConnectionString(string connectionString, string contentRoot)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (builder.Mode != SqliteOpenMode.Memory && builder.DataSource != ":memory:" && !string.IsNullOrEmpty(builder.DataSource))
        {
            var path = Path.IsPathRooted(builder.DataSource) ? builder.DataSource : Path.GetFullPath(Path.Combine(contentRoot, builder.DataSource));
            PrivateFiles.CreateDirectory(Path.GetDirectoryName(path)!);
            builder.DataSource = path;
        }

        builder.Pooling = true;
        return builder.ToString();
    }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = IsInMemory
            ? "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;"
            : $"PRAGMA journal_mode=WAL; PRAGMA synchronous={Synchronous}; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;";
        command.ExecuteNonQuery();
        return connection;
    }

    public OpsDbContext CreateContext(SqliteConnection connection) =>
        new(new DbContextOptionsBuilder<OpsDbContext>()
            .UseSqlite(connection)
            // Hand-written migrations carry no model snapshot; the schema is raw SQL, not a mapped model.
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning))
            .Options);

    /// <summary>
    /// Migrates to <paramref name="target"/> (the latest when null; "0" removes everything); with nothing to apply it
    /// returns without taking the lock. Refused, with nothing changed, when the target is unknown, when another
    /// migration holds EF Core's lock, or when it would drop the
    /// log's tables while they hold events (DESIGN.md §6). A migration that fails releases the lock it took.
    /// </summary>
    /// <exception cref="Ops.Core.Errors.OpsException"><see cref="Ops.Core.Errors.ReasonCodes.MigrationRefused"/>.</exception>
    public void Migrate(string? target = null)
    {
        using var connection = Open();
        using var context = CreateContext(connection);
        var known = context.Database.GetMigrations().ToList();
        if (target is not null && target != "0" && !known.Contains(target, StringComparer.Ordinal))
        {
            throw new Ops.Core.Errors.OpsException(Ops.Core.Errors.ReasonCodes.MigrationRefused, $"There is no migration '{target}'. Known migrations: {string.Join(", ", known)} (or 0 for none). Nothing was changed.");
        }

        // Nothing to apply: take no lock, so workers starting side by side on one file never meet on it.
        if (target is null && !known.Except(context.Database.GetAppliedMigrations(), StringComparer.Ordinal).Any())
        {
            return;
        }

        if (LockHeldSince(connection) is { } since)
        {
            throw new Ops.Core.Errors.OpsException(Ops.Core.Errors.ReasonCodes.MigrationRefused, $"Another migration has held the schema lock since {since}. If no migration is running (an earlier one was killed), release it with 'db unlock' and migrate again. Nothing was changed.");
        }

        var applied = context.Database.GetAppliedMigrations().ToList();
        if (target is not null && applied.Count > 0 && (target == "0" || string.CompareOrdinal(target, known[0]) < 0) && EventCount(connection) is > 0 and var events)
        {
            throw new Ops.Core.Errors.OpsException(Ops.Core.Errors.ReasonCodes.MigrationRefused, $"Migrating to {target} would drop the log's tables, which hold {events} events (append-only history that cannot be recreated). Export them first ('log export --out <file>'), then move or delete the database file if you really mean to start over. Nothing was changed.");
        }

        try
        {
            context.GetService<IMigrator>().Migrate(target);
        }
        catch
        {
            // EF Core leaves its lock row behind when a migration throws; the next run would wait on it forever.
            ReleaseLock(connection);
            throw;
        }
    }

    /// <summary>Removes a schema lock left behind by a migration that was killed (<c>db unlock</c>); returns whether there was one.</summary>
    public bool ReleaseStaleLock()
    {
        using var connection = Open();
        return ReleaseLock(connection);
    }

    private static string? LockHeldSince(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '__EFMigrationsLock'";
        if ((long)command.ExecuteScalar()! == 0)
        {
            return null;
        }

        command.CommandText = "SELECT Timestamp FROM __EFMigrationsLock LIMIT 1";
        return command.ExecuteScalar() as string;
    }

    private static bool ReleaseLock(SqliteConnection connection)
    {
        if (LockHeldSince(connection) is null)
        {
            return false;
        }

        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM __EFMigrationsLock";
        return command.ExecuteNonQuery() > 0;
    }

    private static long EventCount(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'events'";
        if ((long)command.ExecuteScalar()! == 0)
        {
            return 0;
        }

        command.CommandText = "SELECT count(*) FROM events";
        return (long)command.ExecuteScalar()!;
    }

    public IReadOnlyList<string> AppliedMigrations()
    {
        using var connection = Open();
        using var context = CreateContext(connection);
        return context.Database.GetAppliedMigrations().ToList();
    }

    public void Dispose()
    {
        _keepAlive?.Dispose();

        // Pooled connections keep the file open; a closed engine lets its folder go (this pool only, not other engines').
        using var pooled = new SqliteConnection(ConnectionString);
        SqliteConnection.ClearPool(pooled);
    }
}
