using Microsoft.Data.Sqlite;
using Ops.Core.Capabilities;
using Ops.Core.Envelopes;
using Ops.Core.Storage;
using SQLitePCL;

namespace Ops.Core.Log;

/// <summary>
/// One writer transaction of the group commit: appends events (chained, idempotent by event_id,
/// with optimistic concurrency per stream), records command outcomes and connector cursors. Every
/// unit of work runs inside a savepoint, so one failing unit never sinks its neighbours. Errors are
/// told apart by the state they leave, never by their message text.
/// </summary>
[Authority(AuthorityClass.LogAppender, "events", "command_outcomes", "connector_cursors")]
internal sealed class WriteSession
{
    private readonly Dictionary<string, long> _streamVersions = new(StringComparer.Ordinal);
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _byEventId;
    private readonly SqliteCommand _streamVersion;
    private readonly SqliteCommand _headRow;
    private readonly SqliteCommand _lastOccurredAt;
    private readonly SqliteCommand _readStream;
    private readonly SqliteCommand _outcomeHead;
    private readonly Dictionary<string, SqliteCommand> _cached = new(StringComparer.Ordinal);
    private long _head;
    private byte[] _headHash = LogChain.Genesis;
    private long _outcomeSeq;
    private byte[] _outcomeHash = LogChain.Genesis;

    public WriteSession(SqliteConnection connection, TimeProvider time)
    {
        Connection = connection;
        Time = time;
        _insert = Prepare(
            """
            INSERT INTO events (position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash)
            VALUES ($position, $event_id, $stream_id, $stream_version, $event_type, $occurred_at, $source_ref, $source_sequence, $envelope, $prev_hash, $row_hash)
            """,
            "$position", "$event_id", "$stream_id", "$stream_version", "$event_type", "$occurred_at", "$source_ref", "$source_sequence", "$envelope", "$prev_hash", "$row_hash");
        _byEventId = Prepare($"SELECT {SqliteEventLog.SelectColumns} FROM events WHERE event_id = $event_id", "$event_id");
        _streamVersion = Prepare("SELECT COALESCE(MAX(stream_version), 0) FROM events WHERE stream_id = $stream_id", "$stream_id");
        _headRow = Prepare("SELECT position, row_hash FROM events ORDER BY position DESC LIMIT 1");
        _lastOccurredAt = Prepare("SELECT occurred_at FROM events WHERE stream_id = $stream ORDER BY stream_version DESC LIMIT 1", "$stream");
        _readStream = Prepare($"SELECT {SqliteEventLog.SelectColumns} FROM events WHERE stream_id = $stream ORDER BY stream_version", "$stream");
        _outcomeHead = Prepare("SELECT seq, row_hash FROM command_outcomes WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1");
    }

    public SqliteConnection Connection { get; }

    public SqliteTransaction? Transaction { get; private set; }

    public TimeProvider Time { get; }

    /// <summary>Core state including this batch's appends so far.</summary>
    public CoreState Core { get; private set; } = CoreState.Empty;

    public long Head => _head;

    /// <summary>The last chained command outcome (seq 0 and the genesis hash when there is none), including this batch's.</summary>
    public (long Seq, byte[] Hash) OutcomeHead => (_outcomeSeq, _outcomeHash);

    /// <summary>Moves the outcome chain's head after <see cref="OutcomeStore"/> recorded an outcome.</summary>
    public void AdvanceOutcomes(long seq, byte[] hash) => (_outcomeSeq, _outcomeHash) = (seq, hash);

    public void Begin(SqliteTransaction transaction, CoreState committedCore)
    {
        Transaction = transaction;
        // The session's statements are prepared once and reused by every batch (measured: creating and
        // preparing a command per call cost more than the row it read, docs/performance.md).
        foreach (var command in new[] { _insert, _byEventId, _streamVersion, _headRow, _lastOccurredAt, _readStream, _outcomeHead })
        {
            command.Transaction = transaction;
        }

        foreach (var command in _cached.Values)
        {
            command.Transaction = transaction;
        }

        _streamVersions.Clear();
        using (var reader = _headRow.ExecuteReader())
        {
            (_head, _headHash) = reader.Read() ? (reader.GetInt64(0), (byte[])reader.GetValue(1)) : (0L, LogChain.Genesis);
        }

        using (var reader = _outcomeHead.ExecuteReader())
        {
            (_outcomeSeq, _outcomeHash) = reader.Read() ? (reader.GetInt64(0), (byte[])reader.GetValue(1)) : (0L, LogChain.Genesis);
        }

        // Another process (the admin CLI) may have appended since our last batch: fold its core events in.
        Core = committedCore;
        if (Core.Position < _head)
        {
            using var catchUp = Connection.CreateCommand();
            catchUp.Transaction = transaction;
            catchUp.CommandText = $"SELECT {SqliteEventLog.SelectColumns} FROM events WHERE position > $after AND event_type LIKE 'core.%' ORDER BY position";
            catchUp.Parameters.AddWithValue("$after", Core.Position);
            using var reader = catchUp.ExecuteReader();
            while (reader.Read())
            {
                Core = Core.Apply(SqliteEventLog.Read(reader));
            }

            Core = Core with { Position = _head };
        }
    }

    public SessionMark Mark() => new(_head, _headHash, Core, _outcomeSeq, _outcomeHash);

    public void Restore(SessionMark mark)
    {
        (_head, _headHash, Core, _outcomeSeq, _outcomeHash) = (mark.Head, mark.HeadHash, mark.Core, mark.OutcomeSeq, mark.OutcomeHash);
        _streamVersions.Clear();
    }

    public async ValueTask<long> StreamVersionAsync(string streamId, CancellationToken cancellationToken)
    {
        if (_streamVersions.TryGetValue(streamId, out var cached))
        {
            return cached;
        }

        _streamVersion.Parameters[0].Value = streamId;
        var version = (long)(await _streamVersion.ExecuteScalarAsync(cancellationToken))!;
        _streamVersions[streamId] = version;
        return version;
    }

    /// <summary>occurred_at of the stream's last event, or null for a new stream.</summary>
    public async ValueTask<DateTimeOffset?> LastOccurredAtAsync(string streamId, CancellationToken cancellationToken)
    {
        _lastOccurredAt.Parameters[0].Value = streamId;
        return await _lastOccurredAt.ExecuteScalarAsync(cancellationToken) is long ticks ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;
    }

    public async ValueTask<IReadOnlyList<LoggedEvent>> ReadStreamAsync(string streamId, CancellationToken cancellationToken)
    {
        _readStream.Parameters[0].Value = streamId;
        var result = new List<LoggedEvent>();
        await using var reader = await _readStream.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(SqliteEventLog.Read(reader));
        }

        return result;
    }

    /// <summary>
    /// A statement of this session's connection, prepared on first use and reused by later batches; its
    /// parameters are cleared. Only for statements run and finished by one unit of work at a time.
    /// </summary>
    public SqliteCommand Cached(string sql)
    {
        if (!_cached.TryGetValue(sql, out var command))
        {
            command = Connection.CreateCommand();
            command.CommandText = sql;
            _cached[sql] = command;
        }

        command.Transaction = Transaction;
        command.Parameters.Clear();
        return command;
    }

    /// <summary>
    /// Appends drafts to one stream. A draft whose event_id is already in the log is not written;
    /// the original is returned in its place (DESIGN.md §3). <paramref name="expectedVersion"/>, when
    /// given, must equal the stream's version before the first new event.
    /// </summary>
    public async ValueTask<IReadOnlyList<AppendedEvent>> AppendAsync(string streamId, long? expectedVersion, IReadOnlyList<EventEnvelope> drafts, CancellationToken cancellationToken)
    {
        var result = new List<AppendedEvent>(drafts.Count);
        var version = await StreamVersionAsync(streamId, cancellationToken);
        var now = Time.GetUtcNow();
        var checkedExpected = false;
        foreach (var draft in drafts)
        {
            var eventIdBytes = Convert.FromHexString(draft.EventId);
            if (!checkedExpected && expectedVersion is { } expected && expected != version)
            {
                // A replayed event is not a conflict: it returns the original.
                result.Add(new AppendedEvent(await FindAsync(eventIdBytes, cancellationToken) ?? throw new StreamConcurrencyException(streamId, expected, version), Duplicate: true));
                continue;
            }

            checkedExpected = true;
            // Looked up first: the database refuses any insert of an existing event_id (M0002), and a
            // replayed event is not an error but returns the original (DESIGN.md §3).
            if (await FindAsync(eventIdBytes, cancellationToken) is { } original)
            {
                result.Add(new AppendedEvent(original, Duplicate: true));
                continue;
            }

            var envelope = draft with { StreamId = streamId, StreamVersion = version + 1, IngestedAt = now };
            var bytes = EventCodec.Encode(envelope);
            var row = new ChainRow(_head + 1, eventIdBytes, streamId, envelope.StreamVersion, envelope.EventType, EventCodec.Ticks(envelope.OccurredAt), envelope.SourceRef, envelope.SourceSequence, bytes);
            var rowHash = LogChain.RowHash(_headHash, row);
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
            p[9].Value = _headHash;
            p[10].Value = rowHash;
            try
            {
                await _insert.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (SqliteException ex) when (ex.SqliteErrorCode == raw.SQLITE_CONSTRAINT)
            {
                // Which constraint failed is read from the state, not the message: a stream that moved
                // past the version decided against is a concurrency conflict; anything else is not ours to name.
                _streamVersions.Remove(streamId);
                var actual = await StreamVersionAsync(streamId, cancellationToken);
                if (actual != version)
                {
                    throw new StreamConcurrencyException(streamId, version, actual);
                }

                throw;
            }

            version++;
            _streamVersions[streamId] = version;
            _head = row.Position;
            _headHash = rowHash;
            var logged = new LoggedEvent(row.Position, envelope);
            if (envelope.EventType.StartsWith("core.", StringComparison.Ordinal))
            {
                Core = Core.Apply(logged);
            }

            result.Add(new AppendedEvent(logged, Duplicate: false));
        }

        Core = Core with { Position = _head };
        return result;
    }

    private async ValueTask<LoggedEvent?> FindAsync(byte[] eventId, CancellationToken cancellationToken)
    {
        _byEventId.Parameters[0].Value = eventId;
        await using var reader = await _byEventId.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? SqliteEventLog.Read(reader) : null;
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = Connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }
}

/// <summary>A point to roll a session back to.</summary>
internal readonly record struct SessionMark(long Head, byte[] HeadHash, CoreState Core, long OutcomeSeq, byte[] OutcomeHash);

/// <summary>An appended event, or the original when the event_id already existed.</summary>
internal sealed record AppendedEvent(LoggedEvent Event, bool Duplicate);
