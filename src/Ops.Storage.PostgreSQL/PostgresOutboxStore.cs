using Npgsql;

namespace Ops.Storage.PostgreSQL;

/// <summary>Outbox reads on PostgreSQL: a pooled connection per call, committed rows only, no row locks.</summary>
internal sealed class PostgresOutboxStore(NpgsqlDataSource dataSource) : IOutboxStore
{
    public async ValueTask<EgressRow?> FindAsync(string requestId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await new OutboxSql(connection, null, skipLocked: false).FindAsync(requestId, cancellationToken);
    }

    public async ValueTask<IReadOnlyList<EgressRow>> ListAsync(string? status, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await new OutboxSql(connection, null, skipLocked: false).ListAsync(status, limit, cancellationToken);
    }

    public async ValueTask<IReadOnlyList<EgressSwitch>> SwitchesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await new OutboxSql(connection, null, skipLocked: false).SwitchesAsync(cancellationToken);
    }
}
