using System.Data;
using System.Data.Common;

namespace Ops.Storage.Relational;

/// <summary>
/// The outbox's statements on any ADO.NET connection, in the SQL SQLite and PostgreSQL share (named <c>@</c>
/// parameters, <c>ON CONFLICT DO NOTHING</c>, <c>LIMIT</c>); row locks for claims are a flag, and <c>tsql</c>
/// switches to SQL Server's forms (<c>TOP</c>, <c>INSERT ... WHERE NOT EXISTS</c> under the chain lock,
/// <c>UPDLOCK, READPAST</c> for claims). The engines bind it to their writer's transaction and their reads.
/// </summary>
[Authority(AuthorityClass.LogAppender, "egress_requests", "egress_switches")]
public class OutboxSql(DbConnection connection, DbTransaction? transaction, bool skipLocked, bool tsql = false) : IOutboxWrites
{
    internal const string Columns = "request_id, tenant_id, pack_id, destination, command_type, command_id, idempotency_key, request_hash, request, status, held_from, attempts, lease_owner, lease_until, created_at, updated_at, dispatched_at";

    /// <inheritdoc/>
    public async ValueTask<bool> TryEnqueueAsync(EgressRow row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        await using var command = Command(
            tsql
                ? $"INSERT INTO egress_requests ({Columns}) SELECT @id, @tenant, @pack, @destination, @type, @command, @key, @hash, @request, @status, @held_from, @attempts, @owner, @until, @created, @updated, @dispatched WHERE NOT EXISTS (SELECT 1 FROM egress_requests WHERE request_id = @id OR idempotency_key = @key)"
                : $"INSERT INTO egress_requests ({Columns}) VALUES (@id, @tenant, @pack, @destination, @type, @command, @key, @hash, @request, @status, @held_from, @attempts, @owner, @until, @created, @updated, @dispatched) ON CONFLICT DO NOTHING",
            ("@id", row.RequestId), ("@tenant", row.TenantId), ("@pack", row.PackId), ("@destination", row.Destination), ("@type", row.CommandType),
            ("@command", row.CommandId), ("@key", row.IdempotencyKey), ("@hash", row.RequestHash), ("@request", row.Request), ("@status", row.Status),
            ("@held_from", row.HeldFrom), ("@attempts", row.Attempts), ("@owner", row.LeaseOwner), ("@until", row.LeaseUntilTicks),
            ("@created", row.CreatedAtTicks), ("@updated", row.UpdatedAtTicks), ("@dispatched", row.DispatchedAtTicks));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <inheritdoc/>
    public async ValueTask<bool> TryMoveAsync(EgressMove move, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(move);
        var sql = "UPDATE egress_requests SET status = @to, held_from = @held_from, lease_owner = @owner, lease_until = @until, updated_at = @at"
            + (move.Dispatch ? ", attempts = attempts + 1, dispatched_at = COALESCE(dispatched_at, @at)" : string.Empty)
            + " WHERE request_id = @id AND status = @from"
            + (move.LeaseExpiredByTicks is not null ? " AND lease_until <= @expired_by" : string.Empty)
            + (move.RequireLeaseOwner is not null ? " AND lease_owner = @required_owner" : string.Empty);
        await using var command = Command(
            sql,
            ("@to", move.To), ("@held_from", move.HeldFrom), ("@owner", move.LeaseOwner), ("@until", move.LeaseUntilTicks), ("@at", move.AtTicks),
            ("@id", move.RequestId), ("@from", move.From), ("@expired_by", move.LeaseExpiredByTicks), ("@required_owner", move.RequireLeaseOwner));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <inheritdoc/>
    public async ValueTask<EgressRow?> FindAsync(string requestId, CancellationToken cancellationToken)
    {
        await using var command = Command($"SELECT {Columns} FROM egress_requests WHERE request_id = @id", ("@id", requestId));
        var rows = await ReadRowsAsync(command, cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<EgressRow>> ClaimableAsync(long nowTicks, int limit, IReadOnlyList<string> atQuota, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(atQuota);
        var names = atQuota.Select((_, i) => "@q" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var where = "(status = 'approved' OR (status IN ('dispatched', 'compensating') AND lease_until <= @now))"
            + (names.Count == 0 ? string.Empty : $" AND NOT (dispatched_at IS NULL AND destination IN ({string.Join(", ", names)}))");
        await using var command = Command(
            tsql
                ? $"SELECT TOP (@limit) {Columns} FROM egress_requests {(skipLocked ? "WITH (UPDLOCK, READPAST, ROWLOCK) " : string.Empty)}WHERE {where} ORDER BY created_at, request_id"
                : $"SELECT {Columns} FROM egress_requests WHERE {where} ORDER BY created_at, request_id LIMIT @limit"
                    + (skipLocked ? " FOR UPDATE SKIP LOCKED" : string.Empty),
            [("@now", nowTicks), ("@limit", limit), .. names.Select((n, i) => (n, (object?)atQuota[i]))]);
        return await ReadRowsAsync(command, cancellationToken);
    }

    /// <summary>Requests in <paramref name="status"/>, or in every status when null, oldest first.</summary>
    public async ValueTask<IReadOnlyList<EgressRow>> ListAsync(string? status, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 10_000);
        await using var command = status is null
            ? Command(Limited($"{Columns} FROM egress_requests ORDER BY created_at, request_id"), ("@limit", limit))
            : Command(Limited($"{Columns} FROM egress_requests WHERE status = @status ORDER BY created_at, request_id"), ("@status", status), ("@limit", limit));
        return await ReadRowsAsync(command, cancellationToken);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<EgressRow>> InStatusAsync(IReadOnlyList<string> statuses, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(statuses);
        var names = statuses.Select((_, i) => "@s" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        await using var command = Command(
            Limited($"{Columns} FROM egress_requests WHERE status IN ({string.Join(", ", names)}) ORDER BY created_at, request_id"),
            [.. names.Select((n, i) => (n, (object?)statuses[i])), ("@limit", limit)]);
        return await ReadRowsAsync(command, cancellationToken);
    }

    /// <inheritdoc/>
    public async ValueTask<long> CountDispatchedSinceAsync(string destination, long sinceTicks, CancellationToken cancellationToken)
    {
        await using var command = Command("SELECT COUNT(*) FROM egress_requests WHERE destination = @destination AND dispatched_at >= @since", ("@destination", destination), ("@since", sinceTicks));
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <inheritdoc/>
    public async ValueTask<long> CountDispatchedSinceAsync(string destination, string tenantId, long sinceTicks, CancellationToken cancellationToken)
    {
        await using var command = Command("SELECT COUNT(*) FROM egress_requests WHERE destination = @destination AND tenant_id = @tenant AND dispatched_at >= @since", ("@destination", destination), ("@tenant", tenantId), ("@since", sinceTicks));
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<EgressSwitch>> SwitchesAsync(CancellationToken cancellationToken)
    {
        await using var command = Command("SELECT scope, reason, engaged_at FROM egress_switches ORDER BY scope");
        var result = new List<EgressSwitch>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new EgressSwitch(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return result;
    }

    /// <inheritdoc/>
    public async ValueTask<bool> SetSwitchAsync(string scope, bool engaged, string? reason, long atTicks, CancellationToken cancellationToken)
    {
        await using var command = engaged
            ? Command(
                tsql
                    ? "INSERT INTO egress_switches (scope, reason, engaged_at) SELECT @scope, @reason, @at WHERE NOT EXISTS (SELECT 1 FROM egress_switches WHERE scope = @scope)"
                    : "INSERT INTO egress_switches (scope, reason, engaged_at) VALUES (@scope, @reason, @at) ON CONFLICT DO NOTHING",
                ("@scope", scope),
                ("@reason", reason ?? string.Empty),
                ("@at", atTicks))
            : Command("DELETE FROM egress_switches WHERE scope = @scope", ("@scope", scope));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>A SELECT of <paramref name="rest"/> (columns onwards) limited to <c>@limit</c> rows in this dialect.</summary>
    private string Limited(string rest) => tsql ? $"SELECT TOP (@limit) {rest}" : $"SELECT {rest} LIMIT @limit";

    /// <summary>Every row a command returns, in its order.</summary>
    internal static async ValueTask<IReadOnlyList<EgressRow>> ReadRowsAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var result = new List<EgressRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new EgressRow(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
                reader.GetString(6), reader.GetString(7), (byte[])reader.GetValue(8), reader.GetString(9), reader.IsDBNull(10) ? null : reader.GetString(10),
                Convert.ToInt32(reader.GetValue(11), System.Globalization.CultureInfo.InvariantCulture), reader.IsDBNull(12) ? null : reader.GetString(12),
                reader.IsDBNull(13) ? null : reader.GetInt64(13), reader.GetInt64(14), reader.GetInt64(15), reader.IsDBNull(16) ? null : reader.GetInt64(16)));
        }

        return result;
    }

    /// <summary>A command on this connection and transaction with typed parameters (PostgreSQL needs a type for a null).</summary>
    internal DbCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            p.DbType = value switch
            {
                byte[] => DbType.Binary,
                int => DbType.Int32,
                long => DbType.Int64,
                _ when name is "@until" or "@dispatched" or "@expired_by" => DbType.Int64,
                _ => DbType.String,
            };
            command.Parameters.Add(p);
        }

        return command;
    }
}
