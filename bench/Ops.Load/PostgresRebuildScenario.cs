using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Ops.Packs.Notes.Contracts;

namespace Ops.Load;

/// <summary>
/// The rebuild scenario on PostgreSQL (issue 21 item 4): a kernel whose log, projections and notes store are one
/// PostgreSQL database appends --events NoteCreated events in batches of 100 (each a new note; these commits unflushed),
/// then
/// pack.notes.notes.NoteIndex is rebuilt, next to a raw read of (position, envelope) of the same rows through Npgsql
/// into one reused buffer (raw, kernel, raw after an untimed warm-up read, as the SQLite rebuild).
/// </summary>
internal static class PostgresRebuildScenario
{
    public static async Task RunAsync(LoadOptions options, Report report)
    {
        if (options.Postgres is null)
        {
            const string Missing = "no PostgreSQL server named: pass --postgres <connection string> or set OPS_TEST_POSTGRES (source build/postgres-test-cluster.sh start gives a throwaway one)";
            if (options.PostgresNamed)
            {
                throw new InvalidOperationException(Missing);
            }

            Console.WriteLine("   skipped: " + Missing);
            return;
        }

        var database = "ops_load_rebuild_" + Guid.NewGuid().ToString("N")[..8];
        await ExecuteAsync(options.Postgres, $"CREATE DATABASE {database}");
        try
        {
            var connectionString = new NpgsqlConnectionStringBuilder(options.Postgres) { Database = database }.ConnectionString;
            var routes = new Dictionary<string, string?>();
            foreach (var route in new[] { "event_log", "projections", "notes_store" })
            {
                routes[$"Ops:Routes:{route}:Provider"] = "postgres";
                routes[$"Ops:Routes:{route}:ConnectionString"] = connectionString;
            }

            // Filling the log is not what is measured: its commits skip the flush (synchronous_commit=off for this database's
            // new connections), and the setting is reset, and the pools cleared, before the rebuild and its raw reads.
            await ExecuteAsync(options.Postgres, $"ALTER DATABASE {database} SET synchronous_commit = off");
            await using var kernel = await KernelFactory.OpenAsync(Path.Combine(options.WorkDirectory, "pg-rebuild", "unused.db"), options.Synchronous, extra: routes);
            var drafts = new NoteDrafts();
            var shape = drafts.Shape();
            var total = options.BatchEvents;
            var appendTime = TimeSpan.Zero;
            for (long done = 0; done < total; done += 100_000)
            {
                var count = Math.Min(100_000, total - done);
                appendTime += await SharedLog.AppendBatchesAsync(kernel, drafts, done, count, LoadOptions.BatchSize);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   appended {done + count:N0} events ({(done + count) / appendTime.TotalSeconds:N0} events/s)"));
            }

            await ExecuteAsync(options.Postgres, $"ALTER DATABASE {database} RESET synchronous_commit");
            NpgsqlConnection.ClearAllPools();
            await RawReadAsync(connectionString); // warm the server's cache for both sides
            var before = await RawReadAsync(connectionString);
            var watch = Stopwatch.StartNew();
            await kernel.Projections.RebuildAsync(NoteNames.NoteIndex, CancellationToken.None);
            var elapsed = watch.Elapsed;
            var after = await RawReadAsync(connectionString);
            var head = await kernel.EventLog.HeadPositionAsync(CancellationToken.None);
            report.Settings("pg-rebuild", new Dictionary<string, object>
            {
                ["server"] = await VersionAsync(options.Postgres),
                ["synchronous_commit"] = "on",
                ["rows"] = head,
                ["event_bytes"] = shape.Envelope.Length,
                ["append_events_per_s"] = Math.Round(total / appendTime.TotalSeconds),
                ["append_synchronous_commit"] = "off (filling the log only)",
                ["projection"] = NoteNames.NoteIndex + " (one document per note; every event creates a note)",
            });
            var rate = head / elapsed.TotalSeconds;
            var rawRate = (before.Rows + after.Rows) / (before.Elapsed + after.Elapsed).TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"   rebuild of {head:N0} events took {elapsed.TotalSeconds:F1} s"));
            report.Add(new Figure("pg-rebuild", $"PostgreSQL projection rebuild, {head:N0} events (events/s)", rate, rawRate, "events/s", ">= 50% of raw read", rate >= 0.5 * rawRate));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(options.Postgres, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        }
    }

    /// <summary>(position, envelope) of every row in position order, each envelope read into one reused buffer.</summary>
    private static async Task<(long Rows, TimeSpan Elapsed)> RawReadAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT position, envelope FROM events ORDER BY position", connection);
        var buffer = new byte[1 << 20];
        long rows = 0;
        long checksum = 0;
        var watch = Stopwatch.StartNew();
        await using (var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess))
        {
            while (await reader.ReadAsync())
            {
                rows++;
                checksum += reader.GetInt64(0);
                var length = reader.GetBytes(1, 0, buffer, 0, buffer.Length);
                checksum += length == 0 ? 0 : buffer[0] + buffer[length - 1];
            }
        }

        var elapsed = watch.Elapsed;
        GC.KeepAlive(checksum);
        return (rows, elapsed);
    }

    private static async Task<string> VersionAsync(string admin)
    {
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        return connection.PostgreSqlVersion.ToString();
    }

    private static async Task ExecuteAsync(string admin, string sql)
    {
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
