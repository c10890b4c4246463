using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using Ops.Core.Envelopes;
using Ops.Core.Log;
using Ops.Storage.PostgreSQL;

namespace Ops.Load;

/// <summary>
/// Issue 8 item 7 on PostgreSQL, in one run on one server: the kernel's append path (LogWriter + WriteSession
/// on PostgresEngine, the chain computed and the advisory lock taken per batch) against raw Npgsql on a table of
/// the same shape and triggers: a prepared INSERT per transaction on 1 and 8 connections, binary COPY in batches of
/// 100. And the prepared-statement question of DESIGN.md §6: the same raw INSERT on pooled connections unprepared
/// (reset with DISCARD ALL on every return), auto-prepared (Max Auto Prepare), and on a kept connection explicitly
/// prepared. Marten 9.58 does the same work as a peer (<see cref="MartenPeer"/>). Every measurement gets a fresh
/// database.
/// </summary>
internal static class PostgresScenario
{
    private const int Connections = 8;
    private const int Batch = LoadOptions.BatchSize;

    private const string Insert = """
        INSERT INTO events (position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        """;

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

        await using var server = new Databases(options.Postgres);
        var drafts = new NoteDrafts();
        var shape = drafts.Shape();
        var single = options.PostgresSingle;
        var events = options.PostgresBatchEvents;
        report.Settings("postgres", new Dictionary<string, object>
        {
            ["server"] = await server.VersionAsync(),
            ["synchronous_commit"] = "on",
            ["fsync"] = "on",
            ["event_bytes"] = shape.Envelope.Length,
            ["row_bytes"] = shape.RowBytes,
            ["single_events"] = single,
            ["batch_events"] = events,
            ["batch_size"] = Batch,
            ["connections"] = Connections,
        });

        // The prepared-statement question: one INSERT per transaction, one caller; with the commit's flush, and
        // without it (synchronous_commit=off), which leaves the statement's own cost.
        foreach (var flush in options.PostgresTargetsOnly ? [] : new[] { true, false })
        {
            var off = flush ? string.Empty : ";Options=-c synchronous_commit=off";
            var label = flush ? "flushed" : "synchronous_commit=off";
            var unprepared = await RawSingleAsync(await server.CreateAsync("raw_unprepared" + (flush ? "" : "_nf")), shape, single, "Max Auto Prepare=0" + off);
            var autoPrepared = await RawSingleAsync(await server.CreateAsync("raw_autoprepared" + (flush ? "" : "_nf")), shape, single, "Max Auto Prepare=64;Auto Prepare Min Usages=2" + off);
            var kept = await RawPreparedAsync(await server.CreateAsync("raw_prepared" + (flush ? "" : "_nf")), shape, single, 1, off);
            report.Add(new Figure("postgres", $"raw INSERT 1/tx, {label}: pooled unprepared (DISCARD ALL per return) vs kept connection, prepared (events/s)", unprepared.Rate, kept, "events/s", null, null, unprepared.Details));
            report.Add(new Figure("postgres", $"raw INSERT 1/tx, {label}: pooled with Max Auto Prepare vs kept connection, prepared (events/s)", autoPrepared.Rate, kept, "events/s", null, null, autoPrepared.Details));
        }

        // The rows with a target: raw and kernel in alternating rounds, so that load coming and going on a shared
        // machine falls on both sides alike.
        var (prepared, kernelSingle) = await PairAsync(RawPreparedSide(await server.CreateAsync("raw_prepared_1"), shape), await KernelSide.CreateAsync(await server.CreateAsync("kernel_1"), drafts, callers: 1, writers: 1, perUnit: 1), single);
        report.Add(new Figure("postgres", "append 1 event/tx, 1 caller, vs raw prepared INSERT (events/s)", kernelSingle.Rate, prepared, "events/s", ">= 70% of raw", kernelSingle.Rate >= 0.7 * prepared, kernelSingle.Details));

        var prepared8 = 0.0;
        (double Rate, Dictionary<string, object> Details) kernelCallers = (0, []);
        if (!options.PostgresTargetsOnly)
        {
            prepared8 = await RawPreparedAsync(await server.CreateAsync("raw_prepared_8"), shape, single, Connections);
            kernelCallers = await KernelAsync(await server.CreateAsync("kernel_8_callers"), drafts, single, callers: Connections, writers: 1, perUnit: 1);
            var kernelWriters = await KernelAsync(await server.CreateAsync("kernel_8_writers"), drafts, single, callers: Connections, writers: Connections, perUnit: 1);
            report.Add(new Figure("postgres", "append 1 event/command, 8 callers on one writer (group commit), vs raw INSERT on 8 connections (events/s)", kernelCallers.Rate, prepared8, "events/s", null, null, kernelCallers.Details));
            report.Add(new Figure("postgres", "append 1 event/command, 8 writers (8 workers' connections, one chain lock), vs raw INSERT on 8 connections (events/s)", kernelWriters.Rate, prepared8, "events/s", null, null, kernelWriters.Details));
        }

        var (copy, kernelBatch) = await PairAsync(RawCopySide(await server.CreateAsync("raw_copy"), shape), await KernelSide.CreateAsync(await server.CreateAsync("kernel_batch"), drafts, callers: 1, writers: 1, perUnit: Batch), events);
        var (copy4, kernelBatch4) = await PairAsync(RawCopySide(await server.CreateAsync("raw_copy_4"), shape), await KernelSide.CreateAsync(await server.CreateAsync("kernel_batch_4"), drafts, callers: 4, writers: 1, perUnit: Batch), events);
        report.Add(new Figure("postgres", $"append batches of {Batch}, 1 caller, vs raw binary COPY of {Batch} (events/s)", kernelBatch.Rate, copy, "events/s", ">= 50% of raw COPY", kernelBatch.Rate >= 0.5 * copy, kernelBatch.Details));
        report.Add(new Figure("postgres", $"append batches of {Batch}, 4 callers (group commit), vs raw binary COPY of {Batch} (events/s)", kernelBatch4.Rate, copy4, "events/s", ">= 50% of raw COPY", kernelBatch4.Rate >= 0.5 * copy4, kernelBatch4.Details));

        if (options.PostgresTargetsOnly)
        {
            return;
        }

        // Marten doing the same work, against the same raw figures; "kernel" is Marten's column here.
        var martenSingle = await MartenPeer.AppendAsync(await server.CreateAsync("marten_1"), drafts, single, callers: 1, perSave: 1);
        var martenPrepared = await MartenPeer.AppendAsync(await server.CreateAsync("marten_1_ap") + ";Max Auto Prepare=64;Auto Prepare Min Usages=2", drafts, single, callers: 1, perSave: 1);
        var marten8 = await MartenPeer.AppendAsync(await server.CreateAsync("marten_8"), drafts, single, callers: Connections, perSave: 1);
        var martenBatch = await MartenPeer.AppendAsync(await server.CreateAsync("marten_batch"), drafts, events, callers: 1, perSave: Batch);
        report.Add(new Figure("postgres", "Marten 9.58: 1 event/SaveChanges, 1 caller, default settings, vs raw prepared INSERT (events/s)", martenSingle, prepared, "events/s", null, null, Peer(kernelSingle.Rate, martenSingle)));
        report.Add(new Figure("postgres", "Marten 9.58: 1 event/SaveChanges, 1 caller, Max Auto Prepare=64, vs raw prepared INSERT (events/s)", martenPrepared, prepared, "events/s", null, null, Peer(kernelSingle.Rate, martenPrepared)));
        report.Add(new Figure("postgres", "Marten 9.58: 1 event/SaveChanges, 8 callers, vs raw INSERT on 8 connections (events/s)", marten8, prepared8, "events/s", null, null, Peer(kernelCallers.Rate, marten8)));
        report.Add(new Figure("postgres", $"Marten 9.58: {Batch} events/SaveChanges, 1 caller, vs raw binary COPY of {Batch} (events/s)", martenBatch, copy, "events/s", null, null, Peer(kernelBatch.Rate, martenBatch)));
    }

    private static Dictionary<string, object> Peer(double kernel, double marten) =>
        new() { ["kernel_same_work_events_per_s"] = Math.Round(kernel), ["kernel_over_marten"] = Math.Round(kernel / marten, 2) };

    /// <summary>One INSERT per transaction, each on a connection taken from the pool and returned (a command per call).</summary>
    private static async Task<(double Rate, Dictionary<string, object> Details)> RawSingleAsync(string connectionString, RowShape shape, int count, string settings)
    {
        await using var source = NpgsqlDataSource.Create(connectionString + ";" + settings);
        var rows = new PgRows(shape);
        async Task RunAsync(long from, int n)
        {
            for (var i = 0; i < n; i++)
            {
                await using var command = source.CreateCommand(Insert);
                rows.AddParameters(command.Parameters);
                rows.Fill(command.Parameters, from + i);
                await command.ExecuteNonQueryAsync();
            }
        }

        var warm = Math.Max(20, count / 20);
        await RunAsync(1, warm);
        var watch = Stopwatch.StartNew();
        await RunAsync(warm + 1, count);
        var rate = count / watch.Elapsed.TotalSeconds;
        await using var connection = await source.OpenConnectionAsync();
        await using var prepared = new NpgsqlCommand("SELECT count(*) FROM pg_prepared_statements", connection);
        var kept = (long)(await prepared.ExecuteScalarAsync())!;
        return (rate, new Dictionary<string, object> { ["us_per_event"] = Math.Round(1e6 / rate, 1), ["statements_prepared_on_the_pooled_connection_after_the_run"] = kept });
    }

    /// <summary>One INSERT per transaction on kept connections, explicitly prepared: the raw limit.</summary>
    private static async Task<double> RawPreparedAsync(string connectionString, RowShape shape, int count, int connections, string settings = "")
    {
        await using var source = NpgsqlDataSource.Create(connectionString + settings);
        long position = 0;
        var seed = 0;
        async Task RunAsync(int n)
        {
            await using var connection = await source.OpenConnectionAsync();
            await using var command = new NpgsqlCommand(Insert, connection);
            var rows = new PgRows(shape, Interlocked.Increment(ref seed));
            rows.AddParameters(command.Parameters);
            await command.PrepareAsync();
            for (var i = 0; i < n; i++)
            {
                rows.Fill(command.Parameters, Interlocked.Increment(ref position));
                await command.ExecuteNonQueryAsync();
            }
        }

        await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => RunAsync(Math.Max(20, count / 20 / connections))));
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(() => RunAsync(count / connections))));
        return count / connections * connections / watch.Elapsed.TotalSeconds;
    }

    /// <summary>Rounds of interleaving per pair: enough that a burst of someone else's load falls on both sides.</summary>
    private const int Rounds = 10;

    /// <summary>
    /// A raw side and the kernel measured in <see cref="Rounds"/> alternating rounds of count/Rounds events each (who
    /// goes first swaps every round), after a warm-up of each; the kernel's chain is verified at the end.
    /// </summary>
    private static async Task<(double Raw, (double Rate, Dictionary<string, object> Details) Kernel)> PairAsync(Func<int, Task> raw, KernelSide kernel, int count)
    {
        await using (kernel)
        {
            var per = Math.Max(1, count / Rounds);
            await raw(Math.Max(kernel.PerUnit * kernel.Callers * 2, count / 20));
            await kernel.RunAsync(Math.Max(kernel.PerUnit * kernel.Callers * 2, count / 20));
            var (rawTime, kernelTime, kernelCpu) = (TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);
            long measured = 0;
            var batchesBefore = kernel.Batches;
            for (var round = 0; round < Rounds; round++)
            {
                if (round % 2 == 0)
                {
                    rawTime += await TimeAsync(() => raw(per));
                }

                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                measured += await kernel.RunAsync(per);
                kernelTime += watch.Elapsed;
                kernelCpu += Process.GetCurrentProcess().TotalProcessorTime - cpu;
                if (round % 2 == 1)
                {
                    rawTime += await TimeAsync(() => raw(per));
                }
            }

            var details = await kernel.DetailsAsync(kernelTime, measured, kernel.Batches - batchesBefore);
            details["rounds"] = Rounds;
            // This process's CPU (callers, writer, Npgsql) per event: what the server's work overlaps with, or not.
            details["client_cpu_us_per_event"] = Math.Round(kernelCpu.TotalMicroseconds / measured, 1);
            details["raw_us_per_event"] = Math.Round(rawTime.TotalMicroseconds / (per * Rounds), 1);
            return (per * Rounds / rawTime.TotalSeconds, (measured / kernelTime.TotalSeconds, details));
        }
    }

    private static async Task<TimeSpan> TimeAsync(Func<Task> run)
    {
        var watch = Stopwatch.StartNew();
        await run();
        return watch.Elapsed;
    }

    /// <summary>The raw limit of one event per transaction: one kept connection, the INSERT explicitly prepared.</summary>
    private static Func<int, Task> RawPreparedSide(string connectionString, RowShape shape)
    {
        NpgsqlConnection? connection = null;
        NpgsqlCommand? command = null;
        var rows = new PgRows(shape);
        long position = 0;
        return async n =>
        {
            if (command is null)
            {
                connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync();
                command = new NpgsqlCommand(Insert, connection);
                rows.AddParameters(command.Parameters);
                await command.PrepareAsync();
            }

            for (var i = 0; i < n; i++)
            {
                rows.Fill(command.Parameters, ++position);
                await command.ExecuteNonQueryAsync();
            }
        };
    }

    /// <summary>The raw limit of batches: binary COPY of <see cref="Batch"/> rows per transaction on one kept connection.</summary>
    private static Func<int, Task> RawCopySide(string connectionString, RowShape shape)
    {
        NpgsqlConnection? connection = null;
        var rows = new PgRows(shape);
        long position = 0;
        return async n =>
        {
            if (connection is null)
            {
                connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync();
            }

            for (var b = 0; b < n / Batch; b++)
            {
                await using var import = await connection.BeginBinaryImportAsync("COPY events (position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash) FROM STDIN (FORMAT binary)");
                for (var i = 0; i < Batch; i++)
                {
                    await rows.WriteAsync(import, ++position);
                }

                await import.CompleteAsync();
            }
        };
    }

    /// <summary>The kernel's append path measured on its own (rows without a target).</summary>
    private static async Task<(double Rate, Dictionary<string, object> Details)> KernelAsync(string connectionString, NoteDrafts drafts, int count, int callers, int writers, int perUnit)
    {
        await using var kernel = await KernelSide.CreateAsync(connectionString, drafts, callers, writers, perUnit);
        await kernel.RunAsync(Math.Max(perUnit * callers * 2, count / 20));
        var batchesBefore = kernel.Batches;
        var watch = Stopwatch.StartNew();
        var measured = await kernel.RunAsync(count);
        var elapsed = watch.Elapsed;
        return (measured / elapsed.TotalSeconds, await kernel.DetailsAsync(elapsed, measured, kernel.Batches - batchesBefore));
    }

    /// <summary>
    /// The kernel's append path: <c>writers</c> engines (workers), each with its LogWriter, fed by <c>callers</c>
    /// concurrent callers in all; each unit of work appends <c>perUnit</c> events (one new stream each) in one
    /// set-based call. <see cref="DetailsAsync"/> verifies the chain from position 1.
    /// </summary>
    private sealed class KernelSide : IAsyncDisposable
    {
        private readonly List<PostgresEngine> _engines;
        private readonly List<LogWriter> _logs;
        private readonly NoteDrafts _drafts;
        private long _next;

        private KernelSide(List<PostgresEngine> engines, NoteDrafts drafts, int callers, int perUnit)
        {
            _engines = engines;
            _logs = engines.Select(e => new LogWriter(e, TimeProvider.System, NullLogger.Instance)).ToList();
            _drafts = drafts;
            (Callers, PerUnit) = (callers, perUnit);
        }

        public int Callers { get; }

        public int PerUnit { get; }

        public long Batches => _logs.Sum(l => l.BatchesCommitted);

        public static Task<KernelSide> CreateAsync(string connectionString, NoteDrafts drafts, int callers, int writers, int perUnit)
        {
            var engines = Enumerable.Range(0, writers).Select(_ => PostgresEngine.Create(connectionString)).ToList();
            engines[0].Migrate();
            return Task.FromResult(new KernelSide(engines, drafts, callers, perUnit));
        }

        /// <summary>Appends about <paramref name="events"/> events (whole units on every caller); returns how many.</summary>
        public async Task<long> RunAsync(int events)
        {
            var units = Math.Max(1, events / PerUnit / Callers);
            var before = Interlocked.Read(ref _next);
            await Task.WhenAll(Enumerable.Range(0, Callers).Select(c => Task.Run(() => CallerAsync(_logs[c % _logs.Count], units))));
            return Interlocked.Read(ref _next) - before;
        }

        public async Task<Dictionary<string, object>> DetailsAsync(TimeSpan elapsed, long measured, long batches)
        {
            var chain = new Ops.Core.Log.Integrity.ChainScanner();
            await _engines[0].Events.ScanChainAsync(chain, 1, long.MaxValue, null, CancellationToken.None);
            if (!chain.Result().IsValid || chain.RowsChecked != Interlocked.Read(ref _next))
            {
                throw new InvalidOperationException($"the chain does not verify after the run: {chain.Problem} ({chain.RowsChecked} rows)");
            }

            return new Dictionary<string, object>
            {
                ["callers"] = Callers,
                ["writers"] = _logs.Count,
                ["events_per_unit"] = PerUnit,
                ["writer_batches"] = batches,
                ["events_per_batch"] = Math.Round((double)measured / batches, 1),
                ["us_per_event"] = Math.Round(elapsed.TotalMicroseconds / measured, 1),
                ["chain_verified_rows"] = chain.RowsChecked,
            };
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var log in _logs)
            {
                await log.DisposeAsync();
            }

            foreach (var engine in _engines)
            {
                engine.Dispose();
            }
        }

        private async Task CallerAsync(LogWriter writer, int units)
        {
            for (var u = 0; u < units; u++)
            {
                var first = Interlocked.Add(ref _next, PerUnit) - PerUnit;
                var now = DateTimeOffset.UtcNow;
                // One set-based append per unit: every stream's version and event_id checked at once, one insert.
                var unit = Enumerable.Range(0, PerUnit).Select(i => _drafts.Create(first + i, now)).Select(d => new StreamAppend(d.StreamId, 0, [d.Draft])).ToArray();
                await writer.ExecuteAsync(
                    async (session, ct) =>
                    {
                        await session.AppendAsync(unit, ct);
                        return true;
                    },
                    CancellationToken.None);
            }
        }
    }

    /// <summary>Raw rows of the kernel's sizes (random ids, the same envelope bytes), for Npgsql.</summary>
    private sealed class PgRows(RowShape shape, int seed = 42)
    {
        private readonly byte[] _eventId = new byte[32];
        private readonly byte[] _hash = new byte[32];
        private readonly Random _random = new(seed);
        private long _ticks = DateTime.UtcNow.Ticks;

        public void AddParameters(NpgsqlParameterCollection parameters)
        {
            foreach (var type in new[] { NpgsqlDbType.Bigint, NpgsqlDbType.Bytea, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Bytea, NpgsqlDbType.Bytea, NpgsqlDbType.Bytea })
            {
                parameters.Add(new NpgsqlParameter { NpgsqlDbType = type });
            }
        }

        public void Fill(NpgsqlParameterCollection p, long position)
        {
            var (streamId, sourceRef) = Next();
            p[0].Value = position;
            p[1].Value = _eventId;
            p[2].Value = streamId;
            p[3].Value = 1L;
            p[4].Value = shape.EventType;
            p[5].Value = _ticks;
            p[6].Value = sourceRef;
            p[7].Value = 0L;
            p[8].Value = shape.Envelope;
            p[9].Value = _hash;
            p[10].Value = _eventId;
        }

        public async Task WriteAsync(NpgsqlBinaryImporter import, long position)
        {
            var (streamId, sourceRef) = Next();
            await import.StartRowAsync();
            await import.WriteAsync(position, NpgsqlDbType.Bigint);
            await import.WriteAsync(_eventId, NpgsqlDbType.Bytea);
            await import.WriteAsync(streamId, NpgsqlDbType.Text);
            await import.WriteAsync(1L, NpgsqlDbType.Bigint);
            await import.WriteAsync(shape.EventType, NpgsqlDbType.Text);
            await import.WriteAsync(_ticks, NpgsqlDbType.Bigint);
            await import.WriteAsync(sourceRef, NpgsqlDbType.Text);
            await import.WriteAsync(0L, NpgsqlDbType.Bigint);
            await import.WriteAsync(shape.Envelope, NpgsqlDbType.Bytea);
            await import.WriteAsync(_hash, NpgsqlDbType.Bytea);
            await import.WriteAsync(_eventId, NpgsqlDbType.Bytea);
        }

        private (string StreamId, string SourceRef) Next()
        {
            lock (_random)
            {
                _random.NextBytes(_eventId);
                _random.NextBytes(_hash);
                _ticks += 10;
                return ("pack.notes:note-" + Convert.ToHexStringLower(_eventId.AsSpan(0, 16)), "command:" + Convert.ToHexStringLower(_hash));
            }
        }
    }

    /// <summary>The scenario's databases on the named server, each migrated with the kernel's schema; dropped at the end.</summary>
    private sealed class Databases(string admin) : IAsyncDisposable
    {
        private readonly string _prefix = "ops_load_" + Guid.NewGuid().ToString("N")[..8];
        private readonly List<string> _names = [];

        public async Task<string> VersionAsync()
        {
            await using var connection = new NpgsqlConnection(admin);
            await connection.OpenAsync();
            return connection.PostgreSqlVersion.ToString();
        }

        public async Task<string> CreateAsync(string name)
        {
            var database = $"{_prefix}_{name}";
            await ExecuteAsync($"CREATE DATABASE {database}");
            _names.Add(database);
            var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = database }.ConnectionString;
            using (var engine = PostgresEngine.Create(connectionString))
            {
                engine.Migrate();
            }

            return connectionString;
        }

        public async ValueTask DisposeAsync()
        {
            NpgsqlConnection.ClearAllPools();
            foreach (var name in _names)
            {
                await ExecuteAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            }
        }

        private async Task ExecuteAsync(string sql)
        {
            await using var connection = new NpgsqlConnection(admin);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
    }
}
