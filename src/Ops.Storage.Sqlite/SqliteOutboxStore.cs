namespace Ops.Storage.Sqlite;

/// <summary>Outbox reads on SQLite: a fresh connection per call, committed rows only (WAL readers never block the writer).</summary>
internal sealed class SqliteOutboxStore(SqliteDatabase database) : IOutboxStore
{
    public async ValueTask<EgressRow?> FindAsync(string requestId, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        return await new OutboxSql(connection, null, skipLocked: false).FindAsync(requestId, cancellationToken);
    }

    public async ValueTask<IReadOnlyList<EgressRow>> ListAsync(string? status, int limit, CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        return await new OutboxSql(connection, null, skipLocked: false).ListAsync(status, limit, cancellationToken);
    }

    public async ValueTask<IReadOnlyList<EgressSwitch>> SwitchesAsync(CancellationToken cancellationToken)
    {
        using var connection = database.Open();
        return await new OutboxSql(connection, null, skipLocked: false).SwitchesAsync(cancellationToken);
    }
}
