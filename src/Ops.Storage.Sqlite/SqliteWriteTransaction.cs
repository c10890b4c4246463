using System.Text.Json;
using Microsoft.Data.Sqlite;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Log;
using SQLitePCL;

namespace Ops.Storage.Sqlite;

/// <summary>
/// One batch of the group commit on SQLite: the stored-row reads and inserts of <see cref="IWriteTransaction"/>
/// on prepared statements of the writer's connection, reused by every batch. The one object is reused for each
/// batch of its connection; <see cref="DisposeAsync"/> ends the batch (rolling back what was not committed) and
/// releases the write gate.
/// </summary>
[Authority(AuthorityClass.LogAppender, "events", "command_outcomes", "connector_cursors", "egress_requests", "egress_switches")]
internal sealed class SqliteWriteTransaction : IWriteTransaction
{
    internal const string SelectColumns = "position, envelope";

    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate;
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _byEventId;
    private readonly SqliteCommand _streamVersion;
    private readonly SqliteCommand _head;
    private readonly SqliteCommand _outcomeHead;
    private readonly SqliteCommand _lastOccurredAt;
    private readonly SqliteCommand _readStream;
    private readonly SqliteCommand _coreAfter;
    private readonly SqliteCommand _findOutcome;
    private readonly SqliteCommand _insertOutcome;
    private readonly SqliteCommand _readCursor;
    private readonly SqliteCommand _writeCursor;
    private readonly SqliteCommand[] _all;
    private SqliteTransaction? _transaction;

    public SqliteWriteTransaction(SqliteConnection connection, SemaphoreSlim gate)
    {
        _connection = connection;
        _gate = gate;
        _insert = Prepare(
            "INSERT INTO events (position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash) VALUES ($position, $event_id, $stream_id, $stream_version, $event_type, $occurred_at, $source_ref, $source_sequence, $envelope, $prev_hash, $row_hash)",
            "$position", "$event_id", "$stream_id", "$stream_version", "$event_type", "$occurred_at", "$source_ref", "$source_sequence", "$envelope", "$prev_hash", "$row_hash");
        _byEventId = Prepare($"SELECT {SelectColumns} FROM events WHERE event_id = $event_id", "$event_id");
        _streamVersion = Prepare("SELECT COALESCE(MAX(stream_version), 0) FROM events WHERE stream_id = $stream_id", "$stream_id");
        _head = Prepare("SELECT position, row_hash FROM events ORDER BY position DESC LIMIT 1");
        _outcomeHead = Prepare("SELECT seq, row_hash FROM command_outcomes WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1");
        _lastOccurredAt = Prepare("SELECT occurred_at FROM events WHERE stream_id = $stream ORDER BY stream_version DESC LIMIT 1", "$stream");
        _readStream = Prepare($"SELECT {SelectColumns} FROM events WHERE stream_id = $stream ORDER BY stream_version", "$stream");
        _coreAfter = Prepare($"SELECT {SelectColumns} FROM events WHERE position > $after AND event_type LIKE 'core.%' ORDER BY position", "$after");
        _findOutcome = Prepare("SELECT outcome, content_hash FROM command_outcomes WHERE command_id = $id", "$id");
        _insertOutcome = Prepare(
            "INSERT INTO command_outcomes (command_id, content_hash, command_type, status, outcome, decided_at, seq, prev_hash, row_hash) VALUES ($id, $hash, $type, $status, $outcome, $at, $seq, $prev, $row)",
            "$id", "$hash", "$type", "$status", "$outcome", "$at", "$seq", "$prev", "$row");
        _readCursor = Prepare("SELECT cursor, watermark, pages, updated_at, completed_at FROM connector_cursors WHERE connector_id = $id", "$id");
        _writeCursor = Prepare(
            """
            INSERT INTO connector_cursors (connector_id, cursor, watermark, pages, updated_at, completed_at)
            VALUES ($id, $cursor, $watermark, $pages, $now, $completed)
            ON CONFLICT (connector_id) DO UPDATE SET cursor = excluded.cursor, watermark = excluded.watermark,
                pages = excluded.pages, updated_at = excluded.updated_at, completed_at = excluded.completed_at
            """,
            "$id", "$cursor", "$watermark", "$pages", "$now", "$completed");
        _all = [_insert, _byEventId, _streamVersion, _head, _outcomeHead, _lastOccurredAt, _readStream, _coreAfter, _findOutcome, _insertOutcome, _readCursor, _writeCursor];
    }

    public void Begin(SqliteTransaction transaction)
    {
        _transaction = transaction;
        foreach (var command in _all)
        {
            command.Transaction = transaction;
        }
    }

    /// <summary>The open batch's SQLite transaction (for tests that act behind the writer's back within its transaction).</summary>
    internal SqliteTransaction Transaction => _transaction ?? throw new System.Diagnostics.UnreachableException("No batch is open.");

    /// <summary>The writer's connection.</summary>
    internal SqliteConnection Connection => _connection;

    public ValueTask SaveAsync(string savepoint, CancellationToken cancellationToken)
    {
        Transaction.Save(savepoint);
        return ValueTask.CompletedTask;
    }

    public ValueTask RollbackToAsync(string savepoint, CancellationToken cancellationToken)
    {
        Transaction.Rollback(savepoint);
        return ValueTask.CompletedTask;
    }

    public ValueTask ReleaseAsync(string savepoint, CancellationToken cancellationToken)
    {
        Transaction.Release(savepoint);
        return ValueTask.CompletedTask;
    }

    public async ValueTask CommitAsync(CancellationToken cancellationToken) => await Transaction.CommitAsync(cancellationToken);

    public async ValueTask RollbackAsync(CancellationToken cancellationToken) => await Transaction.RollbackAsync(cancellationToken);

    public async ValueTask<(long Position, byte[] RowHash)> ReadHeadAsync(CancellationToken cancellationToken)
    {
        await using var reader = await _head.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)) : (0L, LogChain.Genesis);
    }

    public async ValueTask<(long Seq, byte[] RowHash)> ReadOutcomeHeadAsync(CancellationToken cancellationToken)
    {
        await using var reader = await _outcomeHead.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)) : (0L, LogChain.Genesis);
    }

    public async ValueTask<IReadOnlyList<LoggedEvent>> ReadCoreEventsAfterAsync(long position, CancellationToken cancellationToken)
    {
        _coreAfter.Parameters[0].Value = position;
        return await ReadAllAsync(_coreAfter, cancellationToken);
    }

    public async ValueTask<long> StreamVersionAsync(string streamId, CancellationToken cancellationToken)
    {
        _streamVersion.Parameters[0].Value = streamId;
        return (long)(await _streamVersion.ExecuteScalarAsync(cancellationToken))!;
    }

    public async ValueTask<long?> LastOccurredAtTicksAsync(string streamId, CancellationToken cancellationToken)
    {
        _lastOccurredAt.Parameters[0].Value = streamId;
        return await _lastOccurredAt.ExecuteScalarAsync(cancellationToken) is long ticks ? ticks : null;
    }

    public async ValueTask<IReadOnlyList<LoggedEvent>> ReadStreamAsync(string streamId, CancellationToken cancellationToken)
    {
        _readStream.Parameters[0].Value = streamId;
        return await ReadAllAsync(_readStream, cancellationToken);
    }

    public async ValueTask<LoggedEvent?> FindEventAsync(byte[] eventId, CancellationToken cancellationToken)
    {
        _byEventId.Parameters[0].Value = eventId;
        await using var reader = await _byEventId.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async ValueTask<bool> TryInsertEventAsync(StoredRow stored, CancellationToken cancellationToken)
    {
        var row = stored.Row;
        var p = _insert.Parameters;
        p[0].Value = row.Position;
        p[1].Value = row.EventId;
        p[2].Value = row.StreamId;
        p[3].Value = row.StreamVersion;
        p[4].Value = row.EventType;
        p[5].Value = row.OccurredAtTicks;
        p[6].Value = row.SourceRef;
        p[7].Value = (object?)row.SourceSequence ?? DBNull.Value;
        p[8].Value = row.Envelope;
        p[9].Value = stored.PrevHash;
        p[10].Value = stored.RowHash;
        try
        {
            await _insert.ExecuteNonQueryAsync(cancellationToken);
            return true;
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == raw.SQLITE_CONSTRAINT)
        {
            // A uniqueness refusal (index or the M0002 trigger); the caller reads the state to tell which.
            return false;
        }
    }

    // A statement is no network round trip here: the row calls in a loop (RowAtATime) are the set calls.
    public ValueTask<AppendProbe> ProbeAsync(IReadOnlyCollection<string> streamIds, IReadOnlyCollection<byte[]> eventIds, CancellationToken cancellationToken) =>
        RowAtATime.ProbeAsync(this, streamIds, eventIds, cancellationToken);

    public ValueTask<bool> TryInsertEventsAsync(IReadOnlyList<StoredRow> rows, CancellationToken cancellationToken) =>
        RowAtATime.TryInsertEventsAsync(this, rows, cancellationToken);

    public async ValueTask<StoredOutcome?> FindOutcomeAsync(string commandId, CancellationToken cancellationToken)
    {
        _findOutcome.Parameters[0].Value = commandId;
        await using var reader = await _findOutcome.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new StoredOutcome(Ops.Core.Log.Integrity.RowDamage.Outcome(commandId, reader.GetFieldValue<byte[]>(0)), reader.GetString(1))
            : null;
    }

    public async ValueTask InsertOutcomeAsync(OutcomeRow row, byte[] prevHash, byte[] rowHash, CancellationToken cancellationToken)
    {
        var p = _insertOutcome.Parameters;
        p[0].Value = row.CommandId;
        p[1].Value = row.ContentHash;
        p[2].Value = row.CommandType;
        p[3].Value = row.Status;
        p[4].Value = row.Outcome;
        p[5].Value = row.DecidedAtTicks;
        p[6].Value = row.Seq;
        p[7].Value = prevHash;
        p[8].Value = rowHash;
        await _insertOutcome.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask<ConnectorCursor?> ReadCursorAsync(string connectorId, CancellationToken cancellationToken)
    {
        _readCursor.Parameters[0].Value = connectorId;
        await using var reader = await _readCursor.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new ConnectorCursor(connectorId, reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt32(2), reader.GetInt64(3), reader.IsDBNull(4) ? null : reader.GetInt64(4))
            : null;
    }

    public async ValueTask WriteCursorAsync(ConnectorCursor cursor, CancellationToken cancellationToken)
    {
        var p = _writeCursor.Parameters;
        p[0].Value = cursor.ConnectorId;
        p[1].Value = (object?)cursor.Cursor ?? DBNull.Value;
        p[2].Value = (object?)cursor.Watermark ?? DBNull.Value;
        p[3].Value = cursor.Pages;
        p[4].Value = cursor.UpdatedAtTicks;
        p[5].Value = (object?)cursor.CompletedAtTicks ?? DBNull.Value;
        await _writeCursor.ExecuteNonQueryAsync(cancellationToken);
    }

    public IOutboxWrites Outbox => new OutboxSql(_connection, Transaction, skipLocked: false);

    /// <summary>Ends the batch: rolls back whatever was not committed and releases the gate; the statements stay prepared.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_transaction is not null)
        {
            try
            {
                await _transaction.DisposeAsync();
            }
            finally
            {
                _transaction = null;
                _gate.Release();
            }
        }
    }

    public void DisposeStatements()
    {
        foreach (var command in _all)
        {
            command.Dispose();
        }
    }

    internal static LoggedEvent Read(SqliteDataReader reader)
    {
        // SQLite stores any type in any column: GetFieldValue<byte[]> reads text stored where a blob belongs as its bytes, which then fail to parse as a row at its position.
        var position = reader.GetInt64(0);
        return new(position, EventCodec.Decode(position, reader.GetFieldValue<byte[]>(1)));
    }

    private static async ValueTask<IReadOnlyList<LoggedEvent>> ReadAllAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var result = new List<LoggedEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(Read(reader));
        }

        return result;
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }
}
