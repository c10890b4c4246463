namespace Ops.Core.Storage;

/// <summary>
/// The storage seam (issue 8, DESIGN.md §6; public for provider packages, issue 21): one routed database of one
/// engine — SQLite (Ops.Storage.Sqlite), PostgreSQL (Ops.Storage.PostgreSQL), SQL Server (Ops.Storage.SqlServer),
/// opened by an <see cref="IStorageProvider"/>. The kernel's logic (the hash chain, group
/// commit, projections, capabilities) is engine-independent and talks to the engine only through this
/// interface and the role interfaces it hands out; every engine passes the same conformance suite
/// (tests/Ops.Storage.Conformance.Tests). Engines refuse, in the database itself, every statement that would change
/// or remove a row of an append-only table.
/// </summary>
public interface IStorageEngine : IDisposable
{
    /// <summary><c>sqlite</c>, <c>postgres</c> or <c>sqlserver</c>.</summary>
    string Provider { get; }

    /// <summary>Where the data lives, for status lines and errors: a file path or host/database, never a password.</summary>
    string Description { get; }

    /// <summary>Whether the database lives only in memory (lab mode).</summary>
    bool IsInMemory { get; }

    /// <summary>
    /// Migrates the schema to <paramref name="target"/> (latest when null, <c>0</c> for none) through EF Core. Refused
    /// (<c>migration_refused</c>, nothing changed) for an unknown target, while another migration holds the lock, or
    /// when it would drop the log's tables while they hold events. A failed migration releases its lock.
    /// </summary>
    void Migrate(string? target = null);

    /// <summary>Releases a schema-migration lock left behind by a migration that was killed; returns whether one was held.</summary>
    bool ReleaseMigrationLock();

    /// <summary>Applied migration ids, oldest first.</summary>
    IReadOnlyList<string> AppliedMigrations();

    /// <summary>Reads of the log and the outcome chain, outside the writer.</summary>
    IEventStore Events { get; }

    /// <summary>Projection documents and checkpoints.</summary>
    IProjectionStore Projections { get; }

    /// <summary>Reads of the egress outbox outside the writer.</summary>
    IOutboxStore Outbox { get; }

    /// <summary>Opens the single writer's connection of this process (DESIGN.md §3: one writer, group commit).</summary>
    IWriterConnection OpenWriter();
}
