using System.Diagnostics;
using Npgsql;
using Ops.Core.Envelopes;
using Ops.Storage.PostgreSQL;
using Ops.TestSupport;
using Xunit.Abstractions;

namespace Ops.Core.Tests.Storage.Postgres;

/// <summary>
/// Issue 8 item 5, the bug Marten fixed in 9.16.1: a tailer reading <c>position &gt; checkpoint</c> must never step
/// over an event that commits after a later position became visible. 16 writers hold their batches open 0–500 ms
/// at random over 100,000 events while tailers page through the log; every tailer sees every event exactly once,
/// in position order. A control shows the test has teeth: positions drawn from a sequence without the chain's
/// lock do let a tailer skip.
/// </summary>
[RequiresPostgres]
public sealed class PostgresTailerTests(PostgresFixture fixture, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    private const int Writers = 16;
    private const int Events = 100_000;
    private const int BatchSize = 625; // 10 batches per writer: 6,250 each
    private const int Tailers = 4;
    private const int PageSize = 1_000;

    [Fact]
    public async Task Tailers_ReadingAfterTheirCheckpoint_SeeEveryEventOnceInOrder_WhileWritersHoldCommitsOpen()
    {
        var engine = await fixture.CreateEngineAsync();
        var connectionString = engine.DataSource.ConnectionString!;
        var clock = Stopwatch.StartNew();
        // A bound against a hang, not a speed target: under the full suite on 2 cores this run has taken 3 to 8 minutes.
        using var done = new CancellationTokenSource(TimeSpan.FromMinutes(15));

        var tailers = Enumerable.Range(0, Tailers).Select(_ => Task.Run(() => TailAsync(engine, done.Token))).ToList();
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() => WriteAsync(connectionString, w, done.Token))).ToList();
        var written = (await Task.WhenAll(writers)).SelectMany(ids => ids).ToList();
        var seen = await Task.WhenAll(tailers);

        Assert.Equal(Events, written.Count);
        var expected = written.ToHashSet(StringComparer.Ordinal);
        Assert.Equal(Events, expected.Count);
        foreach (var tail in seen)
        {
            Assert.Equal(Events, tail.EventIds.Count);
            Assert.True(expected.SetEquals(tail.EventIds), "a tailer saw another set of events than the writers committed");
            Assert.Equal(0, tail.OutOfOrder);
        }

        output.WriteLine($"{Writers} writers, batches of {BatchSize} held open 0-500 ms, {Events} events in {clock.Elapsed.TotalSeconds:F1} s; " +
            string.Join("; ", seen.Select((t, i) => $"tailer {i}: {t.EventIds.Count} events once each, in order, {t.Pages} pages, {t.EmptyPolls} empty polls")));
    }

    [Fact]
    public async Task Control_PositionsFromASequenceWithoutTheLock_LetATailerSkipAnEvent()
    {
        var engine = await fixture.CreateEngineAsync();
        await using var admin = await PostgresFixture.AdminAsync(engine);
        await PostgresEngineTests.ExecuteAsync(admin, "CREATE SEQUENCE naive_seq; CREATE TABLE naive (position bigint PRIMARY KEY DEFAULT nextval('naive_seq'))");
        await using var slow = new NpgsqlConnection(admin.ConnectionString);
        await using var fast = new NpgsqlConnection(admin.ConnectionString);
        await slow.OpenAsync();
        await fast.OpenAsync();

        await using var slowTransaction = await slow.BeginTransactionAsync();
        await PostgresEngineTests.ExecuteAsync(slow, "INSERT INTO naive DEFAULT VALUES");
        await PostgresEngineTests.ExecuteAsync(fast, "INSERT INTO naive DEFAULT VALUES");
        var firstPage = await PositionsAfterAsync(admin, 0);
        await slowTransaction.CommitAsync();
        var secondPage = await PositionsAfterAsync(admin, firstPage[^1]);

        Assert.Equal([2L], firstPage);
        Assert.Empty(secondPage);
        Assert.Equal([1L, 2], await PositionsAfterAsync(admin, 0));
    }

    private static async Task<List<string>> WriteAsync(string connectionString, int writer, CancellationToken cancellationToken)
    {
        var random = new Random(writer);
        var ids = new List<string>();
        using var engine = PostgresEngine.Create(connectionString);
        await using var connection = engine.OpenWriter();
        var t0 = new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
        for (var b = 0; b < Events / Writers / BatchSize; b++)
        {
            var drafts = Enumerable.Range(0, BatchSize).Select(i => TestEvents.Draft($"w{writer}-b{b}-{i}", new { writer, b, i }, t0)).ToList();
            await using var batch = await connection.BeginAsync(cancellationToken);
            await new SeamAppender(batch, t0).AppendAsync($"writer-{writer}", null, drafts, cancellationToken);
            // The scenario itself: a commit held open while other writers and the tailers go on.
            await Task.Delay(random.Next(0, 501), cancellationToken);
            await batch.CommitAsync(cancellationToken);
            ids.AddRange(drafts.Select(d => d.EventId));
        }

        return ids;
    }

    private static async Task<Tail> TailAsync(PostgresEngine engine, CancellationToken cancellationToken)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        long checkpoint = 0;
        int pages = 0, empty = 0, outOfOrder = 0;
        while (checkpoint < Events)
        {
            IReadOnlyList<LoggedEvent> page = await engine.Events.ReadAsync(checkpoint, PageSize, cancellationToken);
            if (page.Count == 0)
            {
                empty++;
                // A tailer's polling cadence, not a synchronisation: nothing waits on it.
                await Task.Delay(10, cancellationToken);
                continue;
            }

            pages++;
            foreach (var e in page)
            {
                if (e.Position != checkpoint + 1)
                {
                    outOfOrder++;
                }

                Assert.True(ids.Add(e.Envelope.EventId), $"event at position {e.Position} seen twice");
                checkpoint = e.Position;
            }
        }

        return new Tail(ids, pages, empty, outOfOrder);
    }

    private static async Task<List<long>> PositionsAfterAsync(NpgsqlConnection connection, long checkpoint)
    {
        await using var command = new NpgsqlCommand("SELECT position FROM naive WHERE position > $1 ORDER BY position", connection) { Parameters = { new NpgsqlParameter<long> { TypedValue = checkpoint } } };
        await using var reader = await command.ExecuteReaderAsync();
        var result = new List<long>();
        while (await reader.ReadAsync())
        {
            result.Add(reader.GetInt64(0));
        }

        return result;
    }

    private sealed record Tail(HashSet<string> EventIds, int Pages, int EmptyPolls, int OutOfOrder);
}
