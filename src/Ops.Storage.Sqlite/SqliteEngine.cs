namespace Ops.Storage.Sqlite;

/// <summary>The embedded default engine (DESIGN.md §6): one SQLite file, WAL, synchronous=FULL for the log.</summary>
internal sealed class SqliteEngine : IStorageEngine
{
    public SqliteEngine(SqliteDatabase database, TimeProvider time)
    {
        Database = database;
        Events = new SqliteEventStore(database);
        Projections = new SqliteProjectionStore(database, time);
        Outbox = new SqliteOutboxStore(database);
    }

    public SqliteDatabase Database { get; }

    public string Provider => "sqlite";

    public string Description => Database.IsInMemory ? "memory (LAB: not durable)" : new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(Database.ConnectionString).DataSource;

    public bool IsInMemory => Database.IsInMemory;

    public IEventStore Events { get; }

    public IProjectionStore Projections { get; }

    public IOutboxStore Outbox { get; }

    public void Migrate(string? target = null) => Database.Migrate(target);

    public IReadOnlyList<string> AppliedMigrations() => Database.AppliedMigrations();

    public bool ReleaseMigrationLock() => Database.ReleaseStaleLock();

    public IWriterConnection OpenWriter() => new SqliteWriterConnection(Database);

    public void Dispose() => Database.Dispose();
}
