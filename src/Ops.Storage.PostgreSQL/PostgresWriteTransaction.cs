using System.Text.Json;
using Npgsql;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Log;

namespace Ops.Storage.PostgreSQL;

/// <summary>
/// One batch of the group commit on PostgreSQL, on the writer's connection and its prepared statements, holding
/// the chain's advisory lock until it commits or rolls back. Its statements are the writer's
/// (<see cref="PostgresWriterConnection"/>): this type only binds them.
/// </summary>
[Authority(AuthorityClass.LogAppender, "events", "command_outcomes", "connector_cursors", "egress_requests", "egress_switches")]
internal sealed class PostgresWriteTransaction : IWriteTransaction
{
    private readonly PostgresWriterConnection _writer;
    private readonly NpgsqlTransaction _transaction;
    private (long Position, byte[] RowHash)? _head;
    private (long Seq, byte[] RowHash)? _outcomeHead;
    private string? _pendingRelease;

    public PostgresWriteTransaction(PostgresWriterConnection writer, NpgsqlTransaction transaction, (long, byte[]) head, (long, byte[]) outcomeHead)
    {
        _writer = writer;
        _transaction = transaction;
        _head = head;
        _outcomeHead = outcomeHead;
    }

    // SKIP LOCKED: claimers on other connections pass rows this transaction holds (seed 004).
    public IOutboxWrites Outbox => new OutboxSql(_transaction.Connection!, _transaction, skipLocked: true);

    public async ValueTask SaveAsync(string savepoint, CancellationToken cancellationToken)
    {
        Name(savepoint);
        if (_pendingRelease is null)
        {
            await _transaction.SaveAsync(savepoint, cancellationToken);
            return;
        }

        // The previous unit's RELEASE rides with this SAVEPOINT: one round trip per unit of a batch, not two.
        await using var command = new NpgsqlCommand($"RELEASE SAVEPOINT {_pendingRelease}; SAVEPOINT {savepoint}", _transaction.Connection, _transaction);
        _pendingRelease = null;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask RollbackToAsync(string savepoint, CancellationToken cancellationToken)
    {
        await _transaction.RollbackAsync(Name(savepoint), cancellationToken);
        (_head, _outcomeHead) = (null, null);
        if (_pendingRelease != savepoint)
        {
            // A pending release is of the innermost open savepoint; rolling back to one outside it destroyed it.
            _pendingRelease = null;
        }
    }

    /// <summary>
    /// Deferred to the next <see cref="SaveAsync"/>, which sends it with its own statement; COMMIT releases whatever is
    /// still open, and ROLLBACK TO a later savepoint is unaffected by an earlier one left open (they nest).
    /// </summary>
    public ValueTask ReleaseAsync(string savepoint, CancellationToken cancellationToken)
    {
        // RELEASE of the outermost open savepoint releases every one nested in it: the first pending one is enough.
        _pendingRelease ??= Name(savepoint);
        return ValueTask.CompletedTask;
    }

    public async ValueTask CommitAsync(CancellationToken cancellationToken) =>
        await _transaction.CommitAsync(cancellationToken);

    public async ValueTask RollbackAsync(CancellationToken cancellationToken) =>
        await _transaction.RollbackAsync(cancellationToken);

    public async ValueTask<(long Position, byte[] RowHash)> ReadHeadAsync(CancellationToken cancellationToken)
    {
        // Read with the lock in BeginAsync's round trip; asked again only after this batch wrote or rolled back.
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
        var command = _writer.CoreAfter;
        command.Parameters[0].Value = position;
        return await ReadEventsAsync(command, cancellationToken);
    }

    public async ValueTask<long> StreamVersionAsync(string streamId, CancellationToken cancellationToken)
    {
        var command = _writer.StreamVersion;
        command.Parameters[0].Value = streamId;
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async ValueTask<long?> LastOccurredAtTicksAsync(string streamId, CancellationToken cancellationToken)
    {
        var command = _writer.LastOccurredAt;
        command.Parameters[0].Value = streamId;
        return await command.ExecuteScalarAsync(cancellationToken) is long ticks ? ticks : null;
    }

    public async ValueTask<IReadOnlyList<LoggedEvent>> ReadStreamAsync(string streamId, CancellationToken cancellationToken)
    {
        var command = _writer.ReadStream;
        command.Parameters[0].Value = streamId;
        return await ReadEventsAsync(command, cancellationToken);
    }

    public async ValueTask<LoggedEvent?> FindEventAsync(byte[] eventId, CancellationToken cancellationToken)
    {
        var command = _writer.ByEventId;
        command.Parameters[0].Value = eventId;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? PostgresEventStore.Read(reader) : null;
    }

    public ValueTask<bool> TryInsertEventAsync(StoredRow row, CancellationToken cancellationToken) =>
        InsertOneAsync(_writer.Insert, row, cancellationToken);

    private async ValueTask<bool> InsertOneAsync(NpgsqlCommand insert, StoredRow row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        var r = row.Row;
        var p = insert.Parameters;
        p[0].Value = r.Position;
        p[1].Value = r.EventId;
        p[2].Value = r.StreamId;
        p[3].Value = r.StreamVersion;
        p[4].Value = r.EventType;
        p[5].Value = r.OccurredAtTicks;
        p[6].Value = r.SourceRef;
        p[7].Value = (object?)r.SourceSequence ?? DBNull.Value;
        p[8].Value = r.Envelope;
        p[9].Value = row.PrevHash;
        p[10].Value = row.RowHash;
        _head = null;
        if (await insert.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            return false;
        }

        _head = (r.Position, row.RowHash);
        return true;
    }

    public async ValueTask<AppendProbe> ProbeAsync(IReadOnlyCollection<string> streamIds, IReadOnlyCollection<byte[]> eventIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(streamIds);
        ArgumentNullException.ThrowIfNull(eventIds);
        var probe = _writer.Probe;
        probe.BatchCommands[0].Parameters[0].Value = streamIds.ToArray();
        probe.BatchCommands[1].Parameters[0].Value = eventIds.ToArray();
        var versions = new Dictionary<string, long>(streamIds.Count, StringComparer.Ordinal);
        var existing = new Dictionary<byte[], LoggedEvent>(EventIdComparer.Instance);
        await using var reader = await probe.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            versions[reader.GetString(0)] = reader.GetInt64(1);
        }

        await reader.NextResultAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            existing[reader.GetFieldValue<byte[]>(2)] = PostgresEventStore.Read(reader);
        }

        return new AppendProbe(versions, existing);
    }

    public async ValueTask<bool> TryInsertEventsAsync(IReadOnlyList<StoredRow> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 1)
        {
            return await InsertOneAsync(_writer.InsertChecked, rows[0], cancellationToken);
        }

        // The statement's checks see stored rows only: a set that repeats a key within itself is refused here, unsent.
        var n = rows.Count;
        var positions = new HashSet<long>(n);
        var eventIds = new HashSet<byte[]>(n, EventIdComparer.Instance);
        var versions = new HashSet<(string, long)>(n);
        var (position, eventId, streamId, streamVersion, eventType, occurredAt) = (new long[n], new byte[n][], new string[n], new long[n], new string[n], new long[n]);
        var (sourceRef, sourceSequence, envelope, prevHash, rowHash) = (new string[n], new long?[n], new byte[n][], new byte[n][], new byte[n][]);
        for (var i = 0; i < n; i++)
        {
            var r = rows[i].Row;
            if (!positions.Add(r.Position) || !eventIds.Add(r.EventId) || !versions.Add((r.StreamId, r.StreamVersion)))
            {
                return false;
            }

            (position[i], eventId[i], streamId[i], streamVersion[i], eventType[i], occurredAt[i]) = (r.Position, r.EventId, r.StreamId, r.StreamVersion, r.EventType, r.OccurredAtTicks);
            (sourceRef[i], sourceSequence[i], envelope[i], prevHash[i], rowHash[i]) = (r.SourceRef, r.SourceSequence, r.Envelope, rows[i].PrevHash, rows[i].RowHash);
        }

        var p = _writer.InsertMany.Parameters;
        (p[0].Value, p[1].Value, p[2].Value, p[3].Value, p[4].Value, p[5].Value) = (position, eventId, streamId, streamVersion, eventType, occurredAt);
        (p[6].Value, p[7].Value, p[8].Value, p[9].Value, p[10].Value) = (sourceRef, sourceSequence, envelope, prevHash, rowHash);
        _head = null;
        var inserted = await _writer.InsertMany.ExecuteNonQueryAsync(cancellationToken);
        if (inserted == 0)
        {
            return false;
        }

        if (inserted != n)
        {
            // Only a writer that bypassed the chain lock can race the statement's own checks; the unit must fail.
            throw new OpsException(ReasonCodes.LogUnavailable, $"The database took {inserted} of {n} rows from position {position[0]}: another writer appended without the chain lock. The unit fails and its savepoint is rolled back; nothing of it stays.");
        }

        _head = (rows[^1].Row.Position, rows[^1].RowHash);
        return true;
    }

    public async ValueTask<StoredOutcome?> FindOutcomeAsync(string commandId, CancellationToken cancellationToken)
    {
        var command = _writer.FindOutcome;
        command.Parameters[0].Value = commandId;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
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
        var command = _writer.ReadCursor;
        command.Parameters[0].Value = connectorId;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
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

    /// <summary>Savepoint names go into SQL text: plain identifiers only (the writer's are w0, w1, ...).</summary>
    private static string Name(string savepoint) =>
        savepoint.Length > 0 && savepoint.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_') && !char.IsAsciiDigit(savepoint[0])
            ? savepoint
            : throw new ArgumentException($"A savepoint name must be a plain lower-case identifier: '{savepoint}' is not; nothing was sent.", nameof(savepoint));

    private static async ValueTask<IReadOnlyList<LoggedEvent>> ReadEventsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var result = new List<LoggedEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(PostgresEventStore.Read(reader));
        }

        return result;
    }
}
