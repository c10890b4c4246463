using System.Data;
using Microsoft.Data.SqlClient;
using Ops.Core.Log;

namespace Ops.Storage.SqlServer;

/// <summary>
/// The writer's own connection, kept open for the writer's lifetime so its statements stay prepared. Each batch is
/// one READ COMMITTED transaction whose first round trip takes <c>sp_getapplock</c> on the chain (transaction-owned,
/// no timeout) and then reads both heads under it: every worker appends one batch at a time, positions are assigned
/// under the lock, and the lock is released only when the commit is done, so positions become visible in order.
/// </summary>
[Authority(AuthorityClass.LogAppender, "events", "command_outcomes", "connector_cursors")]
internal sealed class SqlServerWriterConnection(string connectionString) : IWriterConnection
{
    internal const string SelectEvent = "SELECT position, envelope FROM dbo.events";

    private SqlConnection? _connection;
    private SqlServerWriteTransaction? _open;
    private SqlCommand[] _all = [];

    internal SqlCommand Begin { get; private set; } = null!;

    internal SqlCommand Head { get; private set; } = null!;

    internal SqlCommand OutcomeHead { get; private set; } = null!;

    internal SqlCommand Insert { get; private set; } = null!;

    internal SqlCommand ByEventId { get; private set; } = null!;

    internal SqlCommand StreamVersion { get; private set; } = null!;

    internal SqlCommand LastOccurredAt { get; private set; } = null!;

    internal SqlCommand ReadStream { get; private set; } = null!;

    internal SqlCommand CoreAfter { get; private set; } = null!;

    internal SqlCommand FindOutcome { get; private set; } = null!;

    internal SqlCommand InsertOutcome { get; private set; } = null!;

    internal SqlCommand ReadCursor { get; private set; } = null!;

    internal SqlCommand WriteCursor { get; private set; } = null!;

    public async ValueTask<IWriteTransaction> BeginAsync(CancellationToken cancellationToken)
    {
        if (_open is not null)
        {
            throw new System.Diagnostics.UnreachableException("The writer's previous batch is still open: one batch at a time.");
        }

        if (_connection is not null && _connection.State != ConnectionState.Open)
        {
            // The server went away (restart, failover): a new connection, its statements prepared again.
            await _connection.DisposeAsync();
            _connection = null;
        }

        if (_connection is null)
        {
            var connection = new SqlConnection(connectionString);
            try
            {
                await connection.OpenAsync(cancellationToken);
                Prepare(connection);
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }

            _connection = connection;
        }

        var transaction = (SqlTransaction)await _connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        try
        {
            foreach (var command in _all)
            {
                command.Transaction = transaction;
            }

            await using var reader = await Begin.ExecuteReaderAsync(cancellationToken);
            var head = await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)) : (0L, LogChain.Genesis);
            await reader.NextResultAsync(cancellationToken);
            var outcomeHead = await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)) : (0L, LogChain.Genesis);
            _open = new SqlServerWriteTransaction(this, transaction, head, outcomeHead);
            return _open;
        }
        catch
        {
            await transaction.DisposeAsync();
            throw;
        }
    }

    internal void Closed(SqlServerWriteTransaction transaction)
    {
        if (ReferenceEquals(_open, transaction))
        {
            _open = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var command in _all)
        {
            await command.DisposeAsync();
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
        }
    }

    private void Prepare(SqlConnection connection)
    {
        Begin = new SqlCommand(
            $"""
            DECLARE @granted int;
            EXEC @granted = sp_getapplock @Resource = N'{SqlServerEngine.ChainLock}', @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = -1;
            IF @granted < 0 THROW {SqlServerErrors.LockNotGranted}, N'the chain lock was not granted', 1;
            SELECT TOP (1) position, row_hash FROM dbo.events ORDER BY position DESC;
            SELECT TOP (1) seq, row_hash FROM dbo.command_outcomes ORDER BY seq DESC;
            """,
            connection)
        {
            // No client timeout on the lock wait: it ends when the holder commits, rolls back or its session dies,
            // or when the caller cancels (the PostgreSQL engine's reasoning, ADR 0004).
            CommandTimeout = 0,
        };
        Head = Command(connection, "SELECT TOP (1) position, row_hash FROM dbo.events ORDER BY position DESC");
        OutcomeHead = Command(connection, "SELECT TOP (1) seq, row_hash FROM dbo.command_outcomes ORDER BY seq DESC");
        Insert = Command(
            connection,
            """
            INSERT INTO dbo.events (position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash)
            VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10)
            """,
            (SqlDbType.BigInt, 0), (SqlDbType.VarBinary, 32), (SqlDbType.VarBinary, 1600), (SqlDbType.BigInt, 0), (SqlDbType.NVarChar, 256), (SqlDbType.BigInt, 0),
            (SqlDbType.VarBinary, 1024), (SqlDbType.BigInt, 0), (SqlDbType.VarBinary, -1), (SqlDbType.Binary, 32), (SqlDbType.Binary, 32));
        ByEventId = Command(connection, $"{SelectEvent} WHERE event_id = @p0", (SqlDbType.VarBinary, 32));
        StreamVersion = Command(connection, "SELECT COALESCE(MAX(stream_version), 0) FROM dbo.events WHERE stream_id = @p0", (SqlDbType.VarBinary, 1600));
        LastOccurredAt = Command(connection, "SELECT TOP (1) occurred_at FROM dbo.events WHERE stream_id = @p0 ORDER BY stream_version DESC", (SqlDbType.VarBinary, 1600));
        ReadStream = Command(connection, $"{SelectEvent} WHERE stream_id = @p0 ORDER BY stream_version", (SqlDbType.VarBinary, 1600));
        CoreAfter = Command(connection, $"{SelectEvent} WHERE position > @p0 AND event_type LIKE N'core.%' ORDER BY position", (SqlDbType.BigInt, 0));
        FindOutcome = Command(connection, "SELECT outcome, content_hash FROM dbo.command_outcomes WHERE command_id = @p0", (SqlDbType.NVarChar, 450));
        InsertOutcome = Command(
            connection,
            "INSERT INTO dbo.command_outcomes (command_id, content_hash, command_type, status, outcome, decided_at, seq, prev_hash, row_hash) VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8)",
            (SqlDbType.NVarChar, 450), (SqlDbType.NVarChar, 128), (SqlDbType.NVarChar, 256), (SqlDbType.NVarChar, 32), (SqlDbType.VarBinary, -1), (SqlDbType.BigInt, 0),
            (SqlDbType.BigInt, 0), (SqlDbType.Binary, 32), (SqlDbType.Binary, 32));
        ReadCursor = Command(connection, "SELECT connector_id, [cursor], watermark, pages, updated_at, completed_at FROM dbo.connector_cursors WHERE connector_id = @p0", (SqlDbType.NVarChar, 450));
        // Under the chain lock no other writer touches the row between the UPDATE and the INSERT.
        WriteCursor = Command(
            connection,
            """
            UPDATE dbo.connector_cursors SET [cursor] = @p1, watermark = @p2, pages = @p3, updated_at = @p4, completed_at = @p5 WHERE connector_id = @p0;
            IF @@ROWCOUNT = 0
                INSERT INTO dbo.connector_cursors (connector_id, [cursor], watermark, pages, updated_at, completed_at) VALUES (@p0, @p1, @p2, @p3, @p4, @p5);
            """,
            (SqlDbType.NVarChar, 450), (SqlDbType.NVarChar, -1), (SqlDbType.NVarChar, -1), (SqlDbType.Int, 0), (SqlDbType.BigInt, 0), (SqlDbType.BigInt, 0));
        _all = [Begin, Head, OutcomeHead, Insert, ByEventId, StreamVersion, LastOccurredAt, ReadStream, CoreAfter, FindOutcome, InsertOutcome, ReadCursor, WriteCursor];
        foreach (var command in _all)
        {
            // sp_prepexec on first execution; the handle lives as long as this connection.
            command.Prepare();
        }
    }

    private static SqlCommand Command(SqlConnection connection, string sql, params (SqlDbType Type, int Size)[] parameters)
    {
        var command = new SqlCommand(sql, connection);
        for (var i = 0; i < parameters.Length; i++)
        {
            var (type, size) = parameters[i];
            var parameter = new SqlParameter("@p" + i, type);
            if (size != 0)
            {
                parameter.Size = size;
            }

            command.Parameters.Add(parameter);
        }

        return command;
    }
}
