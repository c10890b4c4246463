using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Ops.Core.Storage.Sqlite;

/// <summary>
/// One SQLite database: opens connections with the durability settings of DESIGN.md §3 (WAL,
/// synchronous=FULL by default) and migrates its schema through EF Core.
/// </summary>
[Authority(AuthorityClass.SchemaMigrator)]
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

    /// <summary>Migrates to <paramref name="target"/> (the latest when null; "0" removes everything).</summary>
    public void Migrate(string? target = null)
    {
        using var connection = Open();
        using var context = CreateContext(connection);
        var migrator = context.GetService<IMigrator>();
        migrator.Migrate(target);
    }

    public IReadOnlyList<string> AppliedMigrations()
    {
        using var connection = Open();
        using var context = CreateContext(connection);
        return context.Database.GetAppliedMigrations().ToList();
    }

    public void Dispose() => _keepAlive?.Dispose();
}
