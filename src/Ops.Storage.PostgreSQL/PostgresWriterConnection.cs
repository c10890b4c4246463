using System.Data;
using Npgsql;
using NpgsqlTypes;
using Ops.Core.Log;

namespace Ops.Storage.PostgreSQL;

/// <summary>
/// The writer's own connection, kept open for the writer's lifetime so its statements stay prepared on the server
/// (a pooled connection would be reset between batches). Each batch is one READ COMMITTED transaction whose first
/// round trip takes <c>pg_advisory_xact_lock(chain)</c> and then reads both heads under it: every worker on every
/// machine appends one batch at a time, positions are assigned under the lock, and the lock is released only after
/// the commit is visible, so positions become visible in order (docs/adr/0004-postgres-append-serialization.md).
/// </summary>
[Authority(AuthorityClass.LogAppender, "events", "command_outcomes", "connector_cursors")]
internal sealed class PostgresWriterConnection(NpgsqlDataSource dataSource) : IWriterConnection
{
    internal const string SelectEvent = "SELECT position, envelope FROM events";

    private NpgsqlConnection? _connection;
    private PostgresWriteTransaction? _open;

    internal NpgsqlBatch Begin { get; private set; } = null!;

    internal NpgsqlCommand Head { get; private set; } = null!;

    internal NpgsqlCommand OutcomeHead { get; private set; } = null!;

    internal NpgsqlCommand Insert { get; private set; } = null!;

    internal NpgsqlCommand ByEventId { get; private set; } = null!;

    /// <summary>A unit's probe in one round trip: the streams' last versions, then the stored events among the event_ids.</summary>
    internal NpgsqlBatch Probe { get; private set; } = null!;

    /// <summary>A unit's rows in one statement, all or none (<see cref="IWriteTransaction.TryInsertEventsAsync"/>).</summary>
    internal NpgsqlCommand InsertMany { get; private set; } = null!;

    /// <summary>One row of <see cref="IWriteTransaction.TryInsertEventsAsync"/>: <see cref="Insert"/> with the stream's version checked.</summary>
    internal NpgsqlCommand InsertChecked { get; private set; } = null!;

    internal NpgsqlCommand StreamVersion { get; private set; } = null!;

    internal NpgsqlCommand LastOccurredAt { get; private set; } = null!;

    internal NpgsqlCommand ReadStream { get; private set; } = null!;

    internal NpgsqlCommand CoreAfter { get; private set; } = null!;

    internal NpgsqlCommand FindOutcome { get; private set; } = null!;

    internal NpgsqlCommand InsertOutcome { get; private set; } = null!;

    internal NpgsqlCommand ReadCursor { get; private set; } = null!;

    internal NpgsqlCommand WriteCursor { get; private set; } = null!;

    public async ValueTask<IWriteTransaction> BeginAsync(CancellationToken cancellationToken)
    {
        if (_open is not null)
        {
            throw new System.Diagnostics.UnreachableException("The writer's previous batch is still open: one batch at a time.");
        }

        if (_connection is not null && (_connection.FullState & (ConnectionState.Broken | ConnectionState.Closed)) != 0)
        {
            // The server went away (restart, failover): a new connection, its statements prepared again.
            await _connection.DisposeAsync();
            _connection = null;
        }

        if (_connection is null)
        {
            var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            try
            {
                await PrepareAsync(connection, cancellationToken);
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }

            _connection = connection;
        }

        var transaction = await _connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        try
        {
            // One round trip: BEGIN (sent with it), the lock, and both heads read after the lock is held (READ
            // COMMITTED takes a snapshot per statement, so they see every batch committed before ours).
            await using var reader = await Begin.ExecuteReaderAsync(cancellationToken);
            await reader.NextResultAsync(cancellationToken);
            var head = await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)) : (0L, LogChain.Genesis);
            await reader.NextResultAsync(cancellationToken);
            var outcomeHead = await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)) : (0L, LogChain.Genesis);
            _open = new PostgresWriteTransaction(this, transaction, head, outcomeHead);
            return _open;
        }
        catch
        {
            await transaction.DisposeAsync();
            throw;
        }
    }

    internal void Closed(PostgresWriteTransaction transaction)
    {
        if (ReferenceEquals(_open, transaction))
        {
            _open = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
        }
    }

    private async Task PrepareAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        Begin = new NpgsqlBatch(connection)
        {
            // No client timeout on the lock wait (Npgsql's default of 30 s broke the connection of a writer queued
            // behind 15 others on a loaded machine): it ends when the holder commits, rolls back or its session
            // dies, or when the caller cancels. A hung holder is bounded on the server by the workers' role's
            // idle_in_transaction_session_timeout (docs/operations.md).
            Timeout = 0,
            BatchCommands =
            {
                new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock($1)") { Parameters = { new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = PostgresEngine.ChainLockKey } } },
                new NpgsqlBatchCommand("SELECT position, row_hash FROM events ORDER BY position DESC LIMIT 1"),
                new NpgsqlBatchCommand("SELECT seq, row_hash FROM command_outcomes ORDER BY seq DESC LIMIT 1"),
            },
        };
        Head = Command(connection, "SELECT position, row_hash FROM events ORDER BY position DESC LIMIT 1");
        OutcomeHead = Command(connection, "SELECT seq, row_hash FROM command_outcomes ORDER BY seq DESC LIMIT 1");
        // ON CONFLICT DO NOTHING: a uniqueness refusal reports 0 rows instead of aborting the whole batch's
        // transaction (PostgreSQL aborts a transaction on any error); the caller reads state to tell which.
        Insert = Command(
            connection,
            """
            INSERT INTO events (position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING
            """,
            NpgsqlDbType.Bigint, NpgsqlDbType.Bytea, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Bytea, NpgsqlDbType.Bytea, NpgsqlDbType.Bytea);
        ByEventId = Command(connection, $"{SelectEvent} WHERE event_id = $1", NpgsqlDbType.Bytea);
        InsertChecked = Command(
            connection,
            """
            INSERT INTO events (position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash)
            SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11
            WHERE COALESCE((SELECT MAX(stream_version) FROM events WHERE stream_id = $3), 0) = $4 - 1
            ON CONFLICT DO NOTHING
            """,
            NpgsqlDbType.Bigint, NpgsqlDbType.Bytea, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Bytea, NpgsqlDbType.Bytea, NpgsqlDbType.Bytea);
        Probe = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                // A subquery per stream, so each is the index's backward probe (MAX on (stream_id, stream_version)),
                // not a scan of a long stream's versions.
                new NpgsqlBatchCommand("SELECT s.id, COALESCE((SELECT MAX(e.stream_version) FROM events e WHERE e.stream_id = s.id), 0) FROM unnest($1::text[]) AS s(id)")
                {
                    Parameters = { new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text } },
                },
                new NpgsqlBatchCommand("SELECT position, envelope, event_id FROM events WHERE event_id = ANY($1)")
                {
                    Parameters = { new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea } },
                },
            },
        };
        // All or none without aborting the transaction: nothing is inserted when any row's position or event_id is
        // stored, or a stream is not at the version just before its first row (each check an index probe per row or
        // stream); ON CONFLICT DO NOTHING stays the backstop, and the caller compares the count with the set's size.
        InsertMany = Command(
            connection,
            """
            WITH r AS (
                SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::text[], $8::bigint[], $9::bytea[], $10::bytea[], $11::bytea[])
                    AS r(position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash))
            INSERT INTO events (position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash)
            SELECT position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash FROM r
            WHERE NOT EXISTS (SELECT 1 FROM r x JOIN events e ON e.position = x.position)
              AND NOT EXISTS (SELECT 1 FROM r x JOIN events e ON e.event_id = x.event_id)
              AND NOT EXISTS (
                  SELECT 1 FROM (SELECT stream_id, MIN(stream_version) AS first FROM r GROUP BY stream_id) f
                  WHERE COALESCE((SELECT MAX(e.stream_version) FROM events e WHERE e.stream_id = f.stream_id), 0) <> f.first - 1)
            ORDER BY position
            ON CONFLICT DO NOTHING
            """,
            Arrays(NpgsqlDbType.Bigint, NpgsqlDbType.Bytea, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Bytea, NpgsqlDbType.Bytea, NpgsqlDbType.Bytea));
        StreamVersion = Command(connection, "SELECT COALESCE(MAX(stream_version), 0) FROM events WHERE stream_id = $1", NpgsqlDbType.Text);
        LastOccurredAt = Command(connection, "SELECT occurred_at FROM events WHERE stream_id = $1 ORDER BY stream_version DESC LIMIT 1", NpgsqlDbType.Text);
        ReadStream = Command(connection, $"{SelectEvent} WHERE stream_id = $1 ORDER BY stream_version", NpgsqlDbType.Text);
        CoreAfter = Command(connection, $"{SelectEvent} WHERE position > $1 AND event_type LIKE 'core.%' ORDER BY position", NpgsqlDbType.Bigint);
        FindOutcome = Command(connection, "SELECT outcome, content_hash FROM command_outcomes WHERE command_id = $1", NpgsqlDbType.Text);
        InsertOutcome = Command(
            connection,
            "INSERT INTO command_outcomes (command_id, content_hash, command_type, status, outcome, decided_at, seq, prev_hash, row_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Bytea, NpgsqlDbType.Bigint, NpgsqlDbType.Bigint, NpgsqlDbType.Bytea, NpgsqlDbType.Bytea);
        ReadCursor = Command(connection, "SELECT connector_id, cursor, watermark, pages, updated_at, completed_at FROM connector_cursors WHERE connector_id = $1", NpgsqlDbType.Text);
        WriteCursor = Command(
            connection,
            """
            INSERT INTO connector_cursors (connector_id, cursor, watermark, pages, updated_at, completed_at) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (connector_id) DO UPDATE SET cursor = excluded.cursor, watermark = excluded.watermark,
                pages = excluded.pages, updated_at = excluded.updated_at, completed_at = excluded.completed_at
            """,
            NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Integer, NpgsqlDbType.Bigint, NpgsqlDbType.Bigint);

        await Begin.PrepareAsync(cancellationToken);
        await Probe.PrepareAsync(cancellationToken);
        foreach (var command in new[] { Head, OutcomeHead, Insert, InsertMany, InsertChecked, ByEventId, StreamVersion, LastOccurredAt, ReadStream, CoreAfter, FindOutcome, InsertOutcome, ReadCursor, WriteCursor })
        {
            await command.PrepareAsync(cancellationToken);
        }
    }

    private static NpgsqlDbType[] Arrays(params NpgsqlDbType[] elements) => [.. elements.Select(e => NpgsqlDbType.Array | e)];

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params NpgsqlDbType[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var type in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = type });
        }

        return command;
    }
}
