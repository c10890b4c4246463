using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Ops.Core.Envelopes;
using Ops.Core.Storage;
using SQLitePCL;

namespace Ops.Core.Log;

/// <summary>Reads the SQLite log; each call opens its own connection (WAL lets reads run beside the writer).</summary>
internal sealed class SqliteEventLog(SqliteDatabase database) : IEventLog
{
    internal const string SelectColumns = "position, envelope";

    public SqliteDatabase Database { get; } = database;

    public async ValueTask<IReadOnlyList<LoggedEvent>> ReadAsync(long afterPosition, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterPosition);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 10_000);
        await using var connection = Database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {SelectColumns} FROM events WHERE position > $after ORDER BY position LIMIT $limit";
        command.Parameters.AddWithValue("$after", afterPosition);
        command.Parameters.AddWithValue("$limit", limit);
        return await ReadAllAsync(command, cancellationToken);
    }

    public async IAsyncEnumerable<LoggedEvent> ReadCanonicalAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = Database.Open();
        await using var command = connection.CreateCommand();
        // NULL source_sequence sorts first, matching "(occurred_at, source_ref, event_id)" when it is absent.
        command.CommandText = $"SELECT {SelectColumns} FROM events ORDER BY occurred_at, source_ref, source_sequence, event_id";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return Read(reader);
        }
    }

    public async ValueTask<IReadOnlyList<LoggedEvent>> ReadStreamAsync(string streamId, CancellationToken cancellationToken)
    {
        await using var connection = Database.Open();
        return await ReadStreamAsync(connection, null, streamId, cancellationToken);
    }

    internal static async ValueTask<IReadOnlyList<LoggedEvent>> ReadStreamAsync(SqliteConnection connection, SqliteTransaction? transaction, string streamId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {SelectColumns} FROM events WHERE stream_id = $stream ORDER BY stream_version";
        command.Parameters.AddWithValue("$stream", streamId);
        return await ReadAllAsync(command, cancellationToken);
    }

    public async ValueTask<long> HeadPositionAsync(CancellationToken cancellationToken)
    {
        await using var connection = Database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(position), 0) FROM events";
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async ValueTask<LogVerification> VerifyAsync(IProgress<long>? progress, CancellationToken cancellationToken)
    {
        await using var connection = Database.Open();

        // Measured (docs/performance.md): through SqliteDataReader every blob and text is copied into a
        // new array or string before it is hashed, which cost more than the read. Verify steps the
        // statement itself and hashes the columns straight from SQLite's buffers (texts as the UTF-8
        // bytes the chain hashes), through the one ChainScanner every verify uses.
        const string sql = "SELECT position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash FROM events ORDER BY position";
        var db = connection.Handle!;
        var rc = raw.sqlite3_prepare_v2(db, sql, out var statement);
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), rc);
        }

        using (statement)
        {
            var scanner = new Integrity.ChainScanner();
            while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
                if ((scanner.RowsChecked & 0x3FF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                long? sourceSequence = raw.sqlite3_column_type(statement, 7) == raw.SQLITE_NULL ? null : raw.sqlite3_column_int64(statement, 7);
                var ok = scanner.Step(
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
                if (!ok)
                {
                    return scanner.Result();
                }

                if (scanner.RowsChecked % 100_000 == 0)
                {
                    progress?.Report(scanner.RowsChecked);
                }
            }

            if (rc != raw.SQLITE_DONE)
            {
                throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), rc);
            }

            progress?.Report(scanner.RowsChecked);
            return scanner.Result();
        }
    }

    internal static LoggedEvent Read(SqliteDataReader reader) =>
        new(reader.GetInt64(0), EventCodec.Decode((byte[])reader.GetValue(1)));

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
}
