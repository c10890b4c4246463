using Microsoft.Data.SqlClient;

namespace Ops.Storage.SqlServer;

/// <summary>Outbox reads on SQL Server: a pooled connection per call, committed rows only, no row locks.</summary>
internal sealed class SqlServerOutboxStore(string connectionString) : IOutboxStore
{
    public async ValueTask<EgressRow?> FindAsync(string requestId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await new OutboxSql(connection, null, skipLocked: false, tsql: true).FindAsync(requestId, cancellationToken);
    }

    public async ValueTask<IReadOnlyList<EgressRow>> ListAsync(string? status, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await new OutboxSql(connection, null, skipLocked: false, tsql: true).ListAsync(status, limit, cancellationToken);
    }

    public async ValueTask<IReadOnlyList<EgressSwitch>> SwitchesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await new OutboxSql(connection, null, skipLocked: false, tsql: true).SwitchesAsync(cancellationToken);
    }

    private async ValueTask<SqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
