using System.Data;
using System.Runtime.CompilerServices;
using Microsoft.Data.SqlClient;
using Ops.Core.Envelopes;
using Ops.Core.Log;
using Ops.Core.Log.Checkpoints;
using Ops.Core.Log.Integrity;

namespace Ops.Storage.SqlServer;

/// <summary>
/// Reads of the log and the outcome chain on pooled connections, each statement READ COMMITTED. Because appends
/// hold the chain lock until their commit is done, a reader never sees position n+1 committed while n is not:
/// a tailer reading <c>position &gt; checkpoint</c> never steps over a row that commits later.
/// </summary>
internal sealed class SqlServerEventStore(string connectionString) : IEventStore
{
    private const string RowColumns = "position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash";
    private const string SelectEvent = SqlServerWriterConnection.SelectEvent;

    public async ValueTask<IReadOnlyList<LoggedEvent>> ReadAsync(long afterPosition, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterPosition);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 10_000);
        return await ReadAllAsync(
            $"SELECT TOP (@limit) position, envelope FROM dbo.events WHERE position > @after ORDER BY position",
            [new SqlParameter("@limit", SqlDbType.Int) { Value = limit }, new SqlParameter("@after", SqlDbType.BigInt) { Value = afterPosition }],
            cancellationToken);
    }

    public IAsyncEnumerable<LoggedEvent> ReadCanonicalAsync(CancellationToken cancellationToken) =>
        // Ascending order puts NULL source_sequence first; varbinary source_ref compares UTF-8 bytes.
        StreamAsync($"{SelectEvent} ORDER BY occurred_at, source_ref, source_sequence, event_id", [], cancellationToken);

    public async ValueTask<IReadOnlyList<LoggedEvent>> ReadStreamAsync(string streamId, CancellationToken cancellationToken) =>
        await ReadAllAsync($"{SelectEvent} WHERE stream_id = @s ORDER BY stream_version", [Bytes("@s", streamId, 1600)], cancellationToken);

    public IAsyncEnumerable<LoggedEvent> ReadStreamsWithPrefixAsync(string prefix, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        // A range on the stream index: every id that starts with the prefix sorts in [prefix, upper bound).
        return StreamAsync(
            $"{SelectEvent} WHERE stream_id >= @low AND stream_id < @high ORDER BY position",
            [Bytes("@low", prefix, 1600), new SqlParameter("@high", SqlDbType.VarBinary, 1600) { Value = SqlServerText.PrefixUpperBound(prefix) }],
            cancellationToken);
    }

    public IAsyncEnumerable<LoggedEvent> ReadCoreEventsAsync(long afterPosition, CancellationToken cancellationToken) =>
        StreamAsync($"{SelectEvent} WHERE position > @after AND event_type LIKE N'core.%' ORDER BY position", [new SqlParameter("@after", SqlDbType.BigInt) { Value = afterPosition }], cancellationToken);

    public async ValueTask<long> HeadPositionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = new SqlCommand("SELECT COALESCE(MAX(position), 0) FROM dbo.events", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async ValueTask<LogHeads> ReadHeadsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        // SNAPSHOT: both heads as of the same instant (S0002 allows snapshot isolation).
        await using var transaction = (SqlTransaction)await connection.BeginTransactionAsync(IsolationLevel.Snapshot, cancellationToken);
        await using var command = new SqlCommand(
            """
            SELECT e.position, e.row_hash, e.event_type, o.seq, o.row_hash
            FROM (SELECT 1 AS one) AS one
            OUTER APPLY (SELECT TOP (1) position, row_hash, event_type FROM dbo.events ORDER BY position DESC) AS e
            OUTER APPLY (SELECT TOP (1) seq, row_hash FROM dbo.command_outcomes ORDER BY seq DESC) AS o
            """,
            connection,
            transaction);
        LogHeads heads;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            var outcomesSeq = reader.IsDBNull(3) ? 0 : reader.GetInt64(3);
            var outcomesHash = reader.IsDBNull(4) ? LogChain.Genesis : reader.GetFieldValue<byte[]>(4);
            heads = reader.IsDBNull(0)
                ? new LogHeads(0, LogChain.Genesis, null, outcomesSeq, outcomesHash)
                : new LogHeads(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetString(2), outcomesSeq, outcomesHash);
        }

        await transaction.CommitAsync(cancellationToken);
        return heads;
    }

    public ValueTask<IReadOnlyDictionary<long, byte[]>> RowHashesAtAsync(IEnumerable<long> positions, CancellationToken cancellationToken) =>
        HashesAtAsync("SELECT position, row_hash FROM dbo.events WHERE position IN (SELECT CAST([value] AS bigint) FROM OPENJSON(@at))", positions, cancellationToken);

    public ValueTask<IReadOnlyDictionary<long, byte[]>> OutcomeHashesAtAsync(IEnumerable<long> seqs, CancellationToken cancellationToken) =>
        HashesAtAsync("SELECT seq, row_hash FROM dbo.command_outcomes WHERE seq IN (SELECT CAST([value] AS bigint) FROM OPENJSON(@at))", seqs, cancellationToken);

    public ValueTask ScanChainAsync(ChainScanner scanner, long fromPosition, long toPosition, IProgress<long>? progress, CancellationToken cancellationToken) =>
        ChainScan.RunAsync(ReadRowsAsync(fromPosition, toPosition, cancellationToken), scanner, progress, cancellationToken);

    public async IAsyncEnumerable<StoredRow> ReadRowsAsync(long fromPosition, long toPosition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = new SqlCommand($"SELECT {RowColumns} FROM dbo.events WHERE position >= @from AND position <= @to ORDER BY position", connection);
        command.Parameters.Add(new SqlParameter("@from", SqlDbType.BigInt) { Value = fromPosition });
        command.Parameters.Add(new SqlParameter("@to", SqlDbType.BigInt) { Value = toPosition });
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var position = reader.GetInt64(0);
            var eventId = reader.GetFieldValue<byte[]>(1);
            var streamId = SqlServerText.Decode(reader.GetFieldValue<byte[]>(2));
            var streamVersion = reader.GetInt64(3);
            var eventType = reader.GetString(4);
            var occurredAt = reader.GetInt64(5);
            var sourceRef = SqlServerText.Decode(reader.GetFieldValue<byte[]>(6));
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
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = new SqlCommand("SELECT seq, command_id, content_hash, command_type, status, outcome, decided_at, prev_hash, row_hash FROM dbo.command_outcomes ORDER BY seq", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new StoredOutcomeRow(
                new OutcomeRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetFieldValue<byte[]>(5), reader.GetInt64(6)),
                reader.GetFieldValue<byte[]>(7),
                reader.GetFieldValue<byte[]>(8));
        }
    }

    /// <summary>Always 0: seq is NOT NULL on SQL Server (no outcome predates the chain).</summary>
    public ValueTask<long> CountUnchainedOutcomesAsync(CancellationToken cancellationToken) => ValueTask.FromResult(0L);

    internal static LoggedEvent Read(SqlDataReader reader) =>
        new(reader.GetInt64(0), EventCodec.Decode(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1)));

    private static SqlParameter Bytes(string name, string value, int size) =>
        new(name, SqlDbType.VarBinary, size) { Value = SqlServerText.Encode(value) };

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

    private async IAsyncEnumerable<LoggedEvent> StreamAsync(string sql, SqlParameter[] parameters, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = new SqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return Read(reader);
        }
    }

    private async ValueTask<IReadOnlyList<LoggedEvent>> ReadAllAsync(string sql, SqlParameter[] parameters, CancellationToken cancellationToken)
    {
        var result = new List<LoggedEvent>();
        await foreach (var loggedEvent in StreamAsync(sql, parameters, cancellationToken))
        {
            result.Add(loggedEvent);
        }

        return result;
    }

    private async ValueTask<IReadOnlyDictionary<long, byte[]>> HashesAtAsync(string sql, IEnumerable<long> at, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = new SqlCommand(sql, connection);
        command.Parameters.Add(new SqlParameter("@at", SqlDbType.NVarChar, -1) { Value = "[" + string.Join(",", at.Where(p => p > 0).Distinct().Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]" });
        var result = new Dictionary<long, byte[]>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result[reader.GetInt64(0)] = reader.GetFieldValue<byte[]>(1);
        }

        return result;
    }

    // Not described on SQL Server yet: verify says so in a note instead of comparing.
    public ValueTask<LogSchema?> ReadLogSchemaAsync(CancellationToken cancellationToken) => ValueTask.FromResult<LogSchema?>(null);

    public ValueTask<LogSchema?> ExpectedLogSchemaAsync(CancellationToken cancellationToken) => ValueTask.FromResult<LogSchema?>(null);
}
