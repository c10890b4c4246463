using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Ops.Core.Envelopes;
using Ops.Core.Log;
using Ops.Core.Log.Checkpoints;
using Ops.Core.Log.Integrity;
using SQLitePCL;

namespace Ops.Storage.Sqlite;

/// <summary>Reads of the SQLite log; each call opens its own pooled connection (WAL lets reads run beside the writer and see committed rows only).</summary>
internal sealed class SqliteEventStore(SqliteDatabase database) : IEventStore
{
    private const string SelectColumns = SqliteWriteTransaction.SelectColumns;
    private const string RowColumns = "position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash";

    public async ValueTask<IReadOnlyList<LoggedEvent>> ReadAsync(long afterPosition, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterPosition);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 10_000);
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {SelectColumns} FROM events WHERE position > $after ORDER BY position LIMIT $limit";
        command.Parameters.AddWithValue("$after", afterPosition);
        command.Parameters.AddWithValue("$limit", limit);
        return await ReadAllAsync(command, cancellationToken);
    }

    public async IAsyncEnumerable<LoggedEvent> ReadCanonicalAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        // NULL source_sequence sorts first, matching "(occurred_at, source_ref, event_id)" when it is absent.
        command.CommandText = $"SELECT {SelectColumns} FROM events ORDER BY occurred_at, source_ref, source_sequence, event_id";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return SqliteWriteTransaction.Read(reader);
        }
    }

    public async ValueTask<IReadOnlyList<LoggedEvent>> ReadStreamAsync(string streamId, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {SelectColumns} FROM events WHERE stream_id = $stream ORDER BY stream_version";
        command.Parameters.AddWithValue("$stream", streamId);
        return await ReadAllAsync(command, cancellationToken);
    }

    public async IAsyncEnumerable<LoggedEvent> ReadStreamsWithPrefixAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        // A range on the stream index: every id that starts with the prefix sorts in [prefix, prefix with its last char + 1).
        command.CommandText = $"SELECT {SelectColumns} FROM events WHERE stream_id >= $from AND stream_id < $to ORDER BY position";
        command.Parameters.AddWithValue("$from", prefix);
        command.Parameters.AddWithValue("$to", prefix[..^1] + (char)(prefix[^1] + 1));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return SqliteWriteTransaction.Read(reader);
        }
    }

    public async IAsyncEnumerable<LoggedEvent> ReadCoreEventsAsync(long afterPosition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {SelectColumns} FROM events WHERE position > $after AND event_type LIKE 'core.%' ORDER BY position";
        command.Parameters.AddWithValue("$after", afterPosition);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return SqliteWriteTransaction.Read(reader);
        }
    }

    public async ValueTask<long> HeadPositionAsync(CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(position), 0) FROM events";
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async ValueTask<LogHeads> ReadHeadsAsync(CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var transaction = connection.BeginTransaction(deferred: true);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT position, row_hash, event_type FROM events ORDER BY position DESC LIMIT 1";
        long position = 0;
        var rowHash = LogChain.Genesis;
        string? type = null;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                (position, rowHash, type) = (reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetString(2));
            }
        }

        command.CommandText = "SELECT seq, row_hash FROM command_outcomes WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1";
        long seq = 0;
        var outcomesHash = LogChain.Genesis;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                (seq, outcomesHash) = (reader.GetInt64(0), reader.GetFieldValue<byte[]>(1));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return new LogHeads(position, rowHash, type, seq, outcomesHash);
    }

    public ValueTask<IReadOnlyDictionary<long, byte[]>> RowHashesAtAsync(IEnumerable<long> positions, CancellationToken cancellationToken) =>
        HashesAsync("SELECT row_hash FROM events WHERE position = $at", positions, cancellationToken);

    public ValueTask<IReadOnlyDictionary<long, byte[]>> OutcomeHashesAtAsync(IEnumerable<long> seqs, CancellationToken cancellationToken) =>
        HashesAsync("SELECT row_hash FROM command_outcomes WHERE seq = $at", seqs, cancellationToken);

    public async ValueTask ScanChainAsync(ChainScanner scanner, long fromPosition, long toPosition, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();

        // Measured (docs/performance.md): through SqliteDataReader every blob and text is copied into a new array or
        // string before it is hashed, which cost more than the read. The scan steps the statement itself and hands the
        // columns to the scanner straight from SQLite's buffers (texts as the UTF-8 bytes the chain hashes).
        var sql = $"SELECT {RowColumns} FROM events WHERE position >= {fromPosition} AND position <= {toPosition} ORDER BY position";
        var db = connection.Handle!;
        var rc = raw.sqlite3_prepare_v2(db, sql, out var statement);
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), rc);
        }

        using (statement)
        {
            // Each batch of rows is hashed on another thread while the next is read (ChainPipeline).
            var pipeline = new ChainPipeline(scanner, progress);
            long read = 0;
            try
            {
                while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
                {
                    if ((read++ & 0x3FF) == 0)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                    }

                    long? sourceSequence = raw.sqlite3_column_type(statement, 7) == raw.SQLITE_NULL ? null : raw.sqlite3_column_int64(statement, 7);
                    var full = pipeline.Add(
                        raw.sqlite3_column_int64(statement, 0),
                        raw.sqlite3_column_blob(statement, 1),
                        raw.sqlite3_column_blob(statement, 2),
                        raw.sqlite3_column_int64(statement, 3),
                        raw.sqlite3_column_blob(statement, 4),
                        raw.sqlite3_column_int64(statement, 5),
                        raw.sqlite3_column_blob(statement, 6),
                        sourceSequence,
                        raw.sqlite3_column_blob(statement, 8),
                        raw.sqlite3_column_blob(statement, 9),
                        raw.sqlite3_column_blob(statement, 10));
                    if (full && !await pipeline.FlushAsync())
                    {
                        return;
                    }
                }

                if (rc != raw.SQLITE_DONE)
                {
                    throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), rc);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                if (await pipeline.FailedAsync())
                {
                    throw;
                }

                return;
            }

            await pipeline.CompleteAsync();
        }
    }

    public async IAsyncEnumerable<StoredRow> ReadRowsAsync(long fromPosition, long toPosition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {RowColumns} FROM events WHERE position >= $from AND position <= $to ORDER BY position";
        command.Parameters.AddWithValue("$from", fromPosition);
        command.Parameters.AddWithValue("$to", toPosition);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new StoredRow(
                new ChainRow(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetString(2), reader.GetInt64(3), reader.GetString(4), reader.GetInt64(5), reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetInt64(7), reader.GetFieldValue<byte[]>(8)),
                reader.GetFieldValue<byte[]>(9),
                reader.GetFieldValue<byte[]>(10));
        }
    }

    public async IAsyncEnumerable<StoredOutcomeRow> ReadOutcomeRowsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, command_id, content_hash, command_type, status, outcome, decided_at, prev_hash, row_hash FROM command_outcomes WHERE seq IS NOT NULL ORDER BY seq";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new StoredOutcomeRow(
                new OutcomeRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetFieldValue<byte[]>(5), reader.GetInt64(6)),
                reader.GetFieldValue<byte[]>(7),
                reader.GetFieldValue<byte[]>(8));
        }
    }

    public async ValueTask<long> CountUnchainedOutcomesAsync(CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM command_outcomes WHERE seq IS NULL";
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async ValueTask<LogSchema?> ReadLogSchemaAsync(CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        return await DescribeAsync(connection, cancellationToken);
    }

    public async ValueTask<LogSchema?> ExpectedLogSchemaAsync(CancellationToken cancellationToken) => await ExpectedSchema.Value;

    /// <summary>
    /// Every sqlite_master row of the log's tables: the tables, their indexes and every trigger on them, as SQLite stores
    /// them. sqlite_master is what SQLite itself parses at open, so an edit through writable_schema shows here too.
    /// </summary>
    internal static async Task<LogSchema> DescribeAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE tbl_name IN ('events', 'command_outcomes') OR name IN ('events', 'command_outcomes')";
        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            lines.Add(LogSchema.Line(reader.GetValue(0) as string, reader.GetValue(1) as string, reader.GetValue(2) as string, reader.GetValue(3) as string));
        }

        return LogSchema.Of(lines);
    }

    // What the migrations create, from a private in-memory database migrated once per process (a few milliseconds).
    private static readonly Lazy<Task<LogSchema>> ExpectedSchema = new(async () =>
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = "ops-expected-schema-" + Guid.NewGuid().ToString("N"), Mode = SqliteOpenMode.Memory, Cache = SqliteCacheMode.Shared };
        using var reference = new SqliteDatabase(builder.ToString());
        reference.Migrate();
        await using var connection = reference.Open();
        return await DescribeAsync(connection, CancellationToken.None);
    });

    private async ValueTask<IReadOnlyDictionary<long, byte[]>> HashesAsync(string sql, IEnumerable<long> at, CancellationToken cancellationToken)
    {
        var result = new Dictionary<long, byte[]>();
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var parameter = command.Parameters.Add("$at", SqliteType.Integer);
        foreach (var position in at.Where(p => p > 0).Distinct())
        {
            parameter.Value = position;
            if (await command.ExecuteScalarAsync(cancellationToken) is byte[] hash)
            {
                result[position] = hash;
            }
        }

        return result;
    }

    private static async ValueTask<IReadOnlyList<LoggedEvent>> ReadAllAsync(SqliteCommand command, CancellationToken cancellationToken)
    {
        var result = new List<LoggedEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(SqliteWriteTransaction.Read(reader));
        }

        return result;
    }
}
