using System.Data;
using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;
using Ops.Core.Envelopes;
using Ops.Core.Log;
using Ops.Core.Log.Checkpoints;
using Ops.Core.Log.Integrity;

namespace Ops.Storage.PostgreSQL;

/// <summary>
/// Reads of the log and the outcome chain on pooled connections. Each statement reads one READ COMMITTED
/// snapshot, and because appends hold the chain lock until their commit is visible, every snapshot holds
/// positions 1..head with no gap: a tailer reading <c>position &gt; checkpoint</c> never steps over a row that
/// commits later (docs/adr/0004-postgres-append-serialization.md).
/// </summary>
internal sealed class PostgresEventStore(NpgsqlDataSource dataSource) : IEventStore
{
    private const string RowColumns = "position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash";
    private const string SelectEvent = PostgresWriterConnection.SelectEvent;
    private Task<LogSchema>? _expected;

    public async ValueTask<IReadOnlyList<LoggedEvent>> ReadAsync(long afterPosition, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterPosition);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 10_000);
        await using var command = dataSource.CreateCommand($"{SelectEvent} WHERE position > $1 ORDER BY position LIMIT $2");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterPosition });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        return await ReadAllAsync(command, cancellationToken);
    }

    public IAsyncEnumerable<LoggedEvent> ReadCanonicalAsync(CancellationToken cancellationToken) =>
        StreamAsync($"{SelectEvent} ORDER BY occurred_at, source_ref, source_sequence NULLS FIRST, event_id", null, cancellationToken);

    public async ValueTask<IReadOnlyList<LoggedEvent>> ReadStreamAsync(string streamId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"{SelectEvent} WHERE stream_id = $1 ORDER BY stream_version");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = streamId });
        return await ReadAllAsync(command, cancellationToken);
    }

    public async IAsyncEnumerable<LoggedEvent> ReadStreamsWithPrefixAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        // A range on the stream index (COLLATE "C"): every id that starts with the prefix sorts in [prefix, prefix with its last char + 1).
        await using var command = dataSource.CreateCommand($"{SelectEvent} WHERE stream_id >= $1 AND stream_id < $2 ORDER BY position");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = prefix });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = prefix[..^1] + (char)(prefix[^1] + 1) });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return Read(reader);
        }
    }

    public IAsyncEnumerable<LoggedEvent> ReadCoreEventsAsync(long afterPosition, CancellationToken cancellationToken) =>
        StreamAsync($"{SelectEvent} WHERE position > $1 AND event_type LIKE 'core.%' ORDER BY position", afterPosition, cancellationToken);

    public async ValueTask<long> HeadPositionAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT COALESCE(MAX(position), 0) FROM events");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async ValueTask<LogHeads> ReadHeadsAsync(CancellationToken cancellationToken)
    {
        // One statement, one snapshot: both heads as of the same instant.
        await using var command = dataSource.CreateCommand("""
            SELECT e.position, e.row_hash, e.event_type, o.seq, o.row_hash
            FROM (SELECT 1) AS one
            LEFT JOIN LATERAL (SELECT position, row_hash, event_type FROM events ORDER BY position DESC LIMIT 1) AS e ON true
            LEFT JOIN LATERAL (SELECT seq, row_hash FROM command_outcomes ORDER BY seq DESC LIMIT 1) AS o ON true
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.IsDBNull(0)
            ? new LogHeads(0, LogChain.Genesis, null, reader.IsDBNull(3) ? 0 : reader.GetInt64(3), reader.IsDBNull(4) ? LogChain.Genesis : reader.GetFieldValue<byte[]>(4))
            : new LogHeads(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetString(2), reader.IsDBNull(3) ? 0 : reader.GetInt64(3), reader.IsDBNull(4) ? LogChain.Genesis : reader.GetFieldValue<byte[]>(4));
    }

    public ValueTask<IReadOnlyDictionary<long, byte[]>> RowHashesAtAsync(IEnumerable<long> positions, CancellationToken cancellationToken) =>
        HashesAtAsync("SELECT position, row_hash FROM events WHERE position = ANY($1)", positions, cancellationToken);

    public ValueTask<IReadOnlyDictionary<long, byte[]>> OutcomeHashesAtAsync(IEnumerable<long> seqs, CancellationToken cancellationToken) =>
        HashesAtAsync("SELECT seq, row_hash FROM command_outcomes WHERE seq = ANY($1)", seqs, cancellationToken);

    public ValueTask ScanChainAsync(ChainScanner scanner, long fromPosition, long toPosition, IProgress<long>? progress, CancellationToken cancellationToken) =>
        ChainScan.RunAsync(ReadRowsAsync(fromPosition, toPosition, cancellationToken), scanner, progress, cancellationToken);

    public async IAsyncEnumerable<StoredRow> ReadRowsAsync(long fromPosition, long toPosition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {RowColumns} FROM events WHERE position >= $1 AND position <= $2 ORDER BY position");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = fromPosition });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = toPosition });
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var position = reader.GetInt64(0);
            var eventId = reader.GetFieldValue<byte[]>(1);
            var streamId = reader.GetString(2);
            var streamVersion = reader.GetInt64(3);
            var eventType = reader.GetString(4);
            var occurredAt = reader.GetInt64(5);
            var sourceRef = reader.GetString(6);
            long? sourceSequence = await reader.IsDBNullAsync(7, cancellationToken) ? null : reader.GetInt64(7);
            var envelope = reader.GetFieldValue<byte[]>(8);
            yield return new StoredRow(
                new ChainRow(position, eventId, streamId, streamVersion, eventType, occurredAt, sourceRef, sourceSequence, envelope),
                reader.GetFieldValue<byte[]>(9),
                reader.GetFieldValue<byte[]>(10));
        }
    }

    public async IAsyncEnumerable<StoredOutcomeRow> ReadOutcomeRowsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT seq, command_id, content_hash, command_type, status, outcome, decided_at, prev_hash, row_hash FROM command_outcomes WHERE seq IS NOT NULL ORDER BY seq");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new StoredOutcomeRow(
                new OutcomeRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetFieldValue<byte[]>(5), reader.GetInt64(6)),
                reader.GetFieldValue<byte[]>(7),
                reader.GetFieldValue<byte[]>(8));
        }
    }

    public async ValueTask<LogSchema?> ReadLogSchemaAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await PostgresLogSchema.ReadAsync(connection, null, cancellationToken);
    }

    public async ValueTask<LogSchema?> ExpectedLogSchemaAsync(CancellationToken cancellationToken)
    {
        // Once per engine: the scratch migration takes a few hundred milliseconds, and the code (the migrations) cannot change under a running process.
        var expected = _expected;
        if (expected is null || expected.IsFaulted || expected.IsCanceled)
        {
            expected = _expected = PostgresLogSchema.ExpectedAsync(dataSource, CancellationToken.None);
        }

        return await expected.WaitAsync(cancellationToken);
    }

    public async ValueTask<long> CountUnchainedOutcomesAsync(CancellationToken cancellationToken)
    {
        // seq is NOT NULL on PostgreSQL (no outcome predates the chain); asked anyway, so a schema change would show.
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM command_outcomes WHERE seq IS NULL");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    internal static LoggedEvent Read(NpgsqlDataReader reader) =>
        new(reader.GetInt64(0), EventCodec.Decode(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)));

    private async IAsyncEnumerable<LoggedEvent> StreamAsync(string sql, long? after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        if (after is { } position)
        {
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = position });
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return Read(reader);
        }
    }

    private async ValueTask<IReadOnlyDictionary<long, byte[]>> HashesAtAsync(string sql, IEnumerable<long> at, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<long[]> { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, TypedValue = [.. at.Where(p => p > 0).Distinct()] });
        var result = new Dictionary<long, byte[]>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result[reader.GetInt64(0)] = reader.GetFieldValue<byte[]>(1);
        }

        return result;
    }

    private static async ValueTask<IReadOnlyList<LoggedEvent>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var result = new List<LoggedEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(Read(reader));
        }

        return result;
    }
}
