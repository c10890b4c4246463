using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Ops.Core.Storage;
using Ops.Storage.Sqlite;
using SQLitePCL;

namespace Ops.Load;

/// <summary>
/// A raw log: a database migrated by the kernel's own migrations (so its events table has the same
/// shape, indexes and triggers), opened with the kernel's own connection settings (WAL, the same
/// synchronous mode, page and cache size), written with one prepared Microsoft.Data.Sqlite INSERT.
/// </summary>
internal sealed class RawLog : IDisposable
{
    private readonly SqliteDatabase _database;
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _insert;

    /// <param name="path">The database file.</param>
    /// <param name="synchronous">FULL or NORMAL.</param>
    /// <param name="migration">Migrate up to this migration only (the latest when null): the trigger scenario compares schemas.</param>
    public RawLog(string path, string synchronous, string? migration = null)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        Path = path;
        _database = new SqliteDatabase($"Data Source={path}", synchronous);
        _database.Migrate(migration);
        _connection = _database.Open();
        _insert = RawRows.PrepareInsert(_connection);
    }

    public string Path { get; }

    public long Position { get; private set; }

    public Dictionary<string, object> Settings => DbSettings.Read(_connection);

    /// <summary>count rows, each in its own BEGIN IMMEDIATE ... COMMIT (one flush per commit under FULL).</summary>
    public TimeSpan InsertOnePerTransaction(int count, RawRows rows)
    {
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            _insert.Transaction = transaction;
            rows.Fill(_insert, ++Position);
            _insert.ExecuteNonQuery();
            transaction.Commit();
        }

        return watch.Elapsed;
    }

    /// <summary>count rows in transactions of batchSize rows.</summary>
    public TimeSpan InsertBatches(long count, int batchSize, RawRows rows)
    {
        var watch = Stopwatch.StartNew();
        long done = 0;
        while (done < count)
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            _insert.Transaction = transaction;
            var n = (int)Math.Min(batchSize, count - done);
            for (var i = 0; i < n; i++)
            {
                rows.Fill(_insert, ++Position);
                _insert.ExecuteNonQuery();
            }

            transaction.Commit();
            done += n;
        }

        return watch.Elapsed;
    }

    public void Dispose()
    {
        _insert.Dispose();
        _connection.Dispose();
        _database.Dispose();
    }

    /// <summary>
    /// Raw sequential read of a log's rows in position order: the statement stepped through SQLitePCL
    /// itself, every column read (texts and blobs as spans over SQLite's buffers, touched at both ends),
    /// nothing copied or decoded: the limit a rebuild (position, envelope) or a verify (every column)
    /// is measured against.
    /// </summary>
    public static (long Rows, TimeSpan Elapsed) SequentialRead(string path, string synchronous, bool allColumns)
    {
        using var database = new SqliteDatabase($"Data Source={path}", synchronous);
        using var connection = database.Open();
        var sql = allColumns
            ? "SELECT position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash FROM events ORDER BY position"
            : "SELECT position, envelope FROM events ORDER BY position";

        // Column kinds of the events table: I(nteger), B(lob or text).
        var kinds = allColumns ? "IBBIBIBIBBB" : "IB";
        long rows = 0;
        long checksum = 0;
        var watch = Stopwatch.StartNew();
        var rc = raw.sqlite3_prepare_v2(connection.Handle!, sql, out var statement);
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(connection.Handle!).utf8_to_string(), rc);
        }

        using (statement)
        {
            while (raw.sqlite3_step(statement) == raw.SQLITE_ROW)
            {
                rows++;
                for (var c = 0; c < kinds.Length; c++)
                {
                    if (kinds[c] == 'I')
                    {
                        checksum += raw.sqlite3_column_int64(statement, c);
                    }
                    else
                    {
                        var bytes = raw.sqlite3_column_blob(statement, c);
                        checksum += bytes.Length == 0 ? 0 : bytes[0] + bytes[^1];
                    }
                }
            }
        }

        var elapsed = watch.Elapsed;
        GC.KeepAlive(checksum);
        return (rows, elapsed);
    }
}

/// <summary>Raw limits measured once per run and shared by the scenarios that compare against them.</summary>
internal sealed class RawBaselines(LoadOptions options) : IAsyncDisposable
{
    private readonly Dictionary<string, double> _singleRates = new(StringComparer.Ordinal);

    /// <summary>Records a one-insert-per-transaction rate measured by a scenario, so later scenarios reuse it.</summary>
    public void RecordSingle(string synchronous, double rate) => _singleRates[synchronous] = rate;

    /// <summary>The raw one-insert-per-transaction rate for a synchronous mode, measured now if no scenario has yet.</summary>
    public double SingleInsertRate(string synchronous, RowShape shape, int count)
    {
        if (_singleRates.TryGetValue(synchronous, out var rate))
        {
            return rate;
        }

        using var raw = new RawLog(System.IO.Path.Combine(options.WorkDirectory, $"raw-single-{synchronous.ToLowerInvariant()}-baseline.db"), synchronous);
        var rows = new RawRows(shape);
        raw.InsertOnePerTransaction(Math.Max(10, count / 10), rows); // warm-up
        var elapsed = raw.InsertOnePerTransaction(count, rows);
        rate = count / elapsed.TotalSeconds;
        _singleRates[synchronous] = rate;
        return rate;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
