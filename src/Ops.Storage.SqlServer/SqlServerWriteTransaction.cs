using System.Text.Json;
using Microsoft.Data.SqlClient;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Log;

namespace Ops.Storage.SqlServer;

/// <summary>
/// One batch of the group commit on SQL Server, on the writer's connection and its prepared statements, holding
/// the chain's application lock until it commits or rolls back. Its statements are the writer's
/// (<see cref="SqlServerWriterConnection"/>): this type only binds them.
/// </summary>
[Authority(AuthorityClass.LogAppender, "events", "command_outcomes", "connector_cursors", "egress_requests", "egress_switches")]
internal sealed class SqlServerWriteTransaction : IWriteTransaction
{
    private readonly SqlServerWriterConnection _writer;
    private readonly SqlTransaction _transaction;
    private (long Position, byte[] RowHash)? _head;
    private (long Seq, byte[] RowHash)? _outcomeHead;

    public SqlServerWriteTransaction(SqlServerWriterConnection writer, SqlTransaction transaction, (long, byte[]) head, (long, byte[]) outcomeHead)
    {
        _writer = writer;
        _transaction = transaction;
        _head = head;
        _outcomeHead = outcomeHead;
    }

    // UPDLOCK, READPAST: claimers on other connections pass rows this transaction holds (seed 004).
    public IOutboxWrites Outbox => new OutboxSql(_transaction.Connection!, _transaction, skipLocked: true, tsql: true);

    public ValueTask SaveAsync(string savepoint, CancellationToken cancellationToken)
    {
        _transaction.Save(savepoint);
        return ValueTask.CompletedTask;
    }

    public ValueTask RollbackToAsync(string savepoint, CancellationToken cancellationToken)
    {
        _transaction.Rollback(savepoint);
        (_head, _outcomeHead) = (null, null);
        return ValueTask.CompletedTask;
    }

    /// <summary>SQL Server has no RELEASE SAVEPOINT: a savepoint ends with its transaction.</summary>
    public ValueTask ReleaseAsync(string savepoint, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public async ValueTask CommitAsync(CancellationToken cancellationToken) =>
        await _transaction.CommitAsync(cancellationToken);

    public async ValueTask RollbackAsync(CancellationToken cancellationToken) =>
        await _transaction.RollbackAsync(cancellationToken);

    public async ValueTask<(long Position, byte[] RowHash)> ReadHeadAsync(CancellationToken cancellationToken)
    {
        if (_head is { } head)
        {
            return head;
        }

        await using var reader = await _writer.Head.ExecuteReaderAsync(cancellationToken);
        _head = await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)) : (0L, LogChain.Genesis);
        return _head.Value;
    }

    public async ValueTask<(long Seq, byte[] RowHash)> ReadOutcomeHeadAsync(CancellationToken cancellationToken)
    {
        if (_outcomeHead is { } head)
        {
            return head;
        }

        await using var reader = await _writer.OutcomeHead.ExecuteReaderAsync(cancellationToken);
        _outcomeHead = await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)) : (0L, LogChain.Genesis);
        return _outcomeHead.Value;
    }

    public async ValueTask<IReadOnlyList<LoggedEvent>> ReadCoreEventsAfterAsync(long position, CancellationToken cancellationToken)
    {
        _writer.CoreAfter.Parameters[0].Value = position;
        return await ReadEventsAsync(_writer.CoreAfter, cancellationToken);
    }

    public async ValueTask<long> StreamVersionAsync(string streamId, CancellationToken cancellationToken)
    {
        _writer.StreamVersion.Parameters[0].Value = SqlServerText.Encode(streamId);
        return (long)(await _writer.StreamVersion.ExecuteScalarAsync(cancellationToken))!;
    }

    public async ValueTask<long?> LastOccurredAtTicksAsync(string streamId, CancellationToken cancellationToken)
    {
        _writer.LastOccurredAt.Parameters[0].Value = SqlServerText.Encode(streamId);
        return await _writer.LastOccurredAt.ExecuteScalarAsync(cancellationToken) is long ticks ? ticks : null;
    }

    public async ValueTask<IReadOnlyList<LoggedEvent>> ReadStreamAsync(string streamId, CancellationToken cancellationToken)
    {
        _writer.ReadStream.Parameters[0].Value = SqlServerText.Encode(streamId);
        return await ReadEventsAsync(_writer.ReadStream, cancellationToken);
    }

    public async ValueTask<LoggedEvent?> FindEventAsync(byte[] eventId, CancellationToken cancellationToken)
    {
        _writer.ByEventId.Parameters[0].Value = eventId;
        await using var reader = await _writer.ByEventId.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? SqlServerEventStore.Read(reader) : null;
    }

    public async ValueTask<bool> TryInsertEventAsync(StoredRow row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        var r = row.Row;
        var p = _writer.Insert.Parameters;
        p[0].Value = r.Position;
        p[1].Value = r.EventId;
        p[2].Value = SqlServerText.Encode(r.StreamId);
        p[3].Value = r.StreamVersion;
        p[4].Value = r.EventType;
        p[5].Value = r.OccurredAtTicks;
        p[6].Value = SqlServerText.Encode(r.SourceRef);
        p[7].Value = (object?)r.SourceSequence ?? DBNull.Value;
        p[8].Value = r.Envelope;
        p[9].Value = row.PrevHash;
        p[10].Value = row.RowHash;
        _head = null;
        try
        {
            await _writer.Insert.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (SqlException ex) when (ex.Number is SqlServerErrors.UniqueConstraint or SqlServerErrors.UniqueIndex)
        {
            // A duplicate key ends the statement, not the transaction (XACT_ABORT is off on SqlClient's sessions):
            // the caller reads state to tell which key was taken.
            return false;
        }

        _head = (r.Position, row.RowHash);
        return true;
    }

    // SQL Server: the row calls in a loop (RowAtATime); untested here for want of a server, so kept to the row statements.
    public ValueTask<AppendProbe> ProbeAsync(IReadOnlyCollection<string> streamIds, IReadOnlyCollection<byte[]> eventIds, CancellationToken cancellationToken) =>
        RowAtATime.ProbeAsync(this, streamIds, eventIds, cancellationToken);

    public ValueTask<bool> TryInsertEventsAsync(IReadOnlyList<StoredRow> rows, CancellationToken cancellationToken) =>
        RowAtATime.TryInsertEventsAsync(this, rows, cancellationToken);

    public async ValueTask<StoredOutcome?> FindOutcomeAsync(string commandId, CancellationToken cancellationToken)
    {
        _writer.FindOutcome.Parameters[0].Value = commandId;
        await using var reader = await _writer.FindOutcome.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var outcome = Ops.Core.Log.Integrity.RowDamage.Outcome(commandId, reader.GetFieldValue<byte[]>(0));
        return new StoredOutcome(outcome, reader.GetString(1));
    }

    public async ValueTask InsertOutcomeAsync(OutcomeRow row, byte[] prevHash, byte[] rowHash, CancellationToken cancellationToken)
    {
        var p = _writer.InsertOutcome.Parameters;
        p[0].Value = row.CommandId;
        p[1].Value = row.ContentHash;
        p[2].Value = row.CommandType;
        p[3].Value = row.Status;
        p[4].Value = row.Outcome;
        p[5].Value = row.DecidedAtTicks;
        p[6].Value = row.Seq;
        p[7].Value = prevHash;
        p[8].Value = rowHash;
        _outcomeHead = null;
        await _writer.InsertOutcome.ExecuteNonQueryAsync(cancellationToken);
        _outcomeHead = (row.Seq, rowHash);
    }

    public async ValueTask<ConnectorCursor?> ReadCursorAsync(string connectorId, CancellationToken cancellationToken)
    {
        _writer.ReadCursor.Parameters[0].Value = connectorId;
        await using var reader = await _writer.ReadCursor.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new ConnectorCursor(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetInt32(3),
                reader.GetInt64(4),
                reader.IsDBNull(5) ? null : reader.GetInt64(5))
            : null;
    }

    public async ValueTask WriteCursorAsync(ConnectorCursor cursor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        var p = _writer.WriteCursor.Parameters;
        p[0].Value = cursor.ConnectorId;
        p[1].Value = (object?)cursor.Cursor ?? DBNull.Value;
        p[2].Value = (object?)cursor.Watermark ?? DBNull.Value;
        p[3].Value = cursor.Pages;
        p[4].Value = cursor.UpdatedAtTicks;
        p[5].Value = (object?)cursor.CompletedAtTicks ?? DBNull.Value;
        await _writer.WriteCursor.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _writer.Closed(this);
        // Rolls back (and so releases the chain lock) unless the batch committed.
        await _transaction.DisposeAsync();
    }

    private static async ValueTask<IReadOnlyList<LoggedEvent>> ReadEventsAsync(SqlCommand command, CancellationToken cancellationToken)
    {
        var result = new List<LoggedEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(SqlServerEventStore.Read(reader));
        }

        return result;
    }
}
