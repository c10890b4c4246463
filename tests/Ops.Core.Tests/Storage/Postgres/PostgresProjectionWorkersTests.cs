using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Core.Log;
using Ops.Core.Packs;
using Ops.Core.Projections;
using Ops.Storage.PostgreSQL;
using Ops.TestSupport;

namespace Ops.Core.Tests.Storage.Postgres;

/// <summary>
/// Several workers run projections on one PostgreSQL database: two workers' projection engines that read the same
/// checkpoint and then fold the same page must not both commit it (seed 004: exactly-once by conditional update).
/// The fold here counts events, so a page folded twice shows as a count too high.
/// </summary>
[RequiresPostgres]
public sealed class PostgresProjectionWorkersTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const string Counted = "pack.counter.c.Counted";
    private const string Count = "pack.counter.c.Count";

    [Fact]
    public async Task TwoWorkers_CatchingUpAtOnce_FoldEachEventOnce()
    {
        var log = await fixture.CreateEngineAsync();
        using var workerA = PostgresEngine.Create(log.DataSource.ConnectionString!);
        using var workerB = PostgresEngine.Create(log.DataSource.ConnectionString!);
        var a = Engine(workerA);
        var b = Engine(workerB);
        await AppendAsync(log, 0, 50);
        // Built once (a rebuild: idempotent however often it runs); what follows is the live fold, which is not.
        await a.CatchUpAsync(null, default);
        await AppendAsync(log, 50, 50);
        await using var admin = await PostgresFixture.AdminAsync(log);
        // Both read checkpoint 50 and then wait at the projections' lock, which this session holds: the moment
        // two workers' catch-ups meet.
        await PostgresEngineTests.ExecuteAsync(admin, $"SELECT pg_advisory_lock({PostgresEngine.ProjectionLockKey})");
        var catchUps = new[] { a.CatchUpAsync(null, default).AsTask(), b.CatchUpAsync(null, default).AsTask() };
        for (var i = 0; i < 2_000 && (long)(await PostgresEngineTests.ScalarAsync(admin, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"))! < 2; i++)
        {
            await Task.Yield();
        }

        await PostgresEngineTests.ExecuteAsync(admin, $"SELECT pg_advisory_unlock({PostgresEngine.ProjectionLockKey})");
        await Task.WhenAll(catchUps);

        await using var read = await log.Projections.BeginReadAsync(default);
        var document = await read.GetAsync(Count, new DocumentAddress(DocumentAddress.AllTenants, "system", "all"), default);
        Assert.Equal("100", Encoding.UTF8.GetString(document!));
        Assert.Equal(100, (await read.ReadCheckpointAsync(Count, default))!.Value.Position);
    }

    private static async Task AppendAsync(PostgresEngine engine, int from, int count)
    {
        var t0 = new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
        await using var writer = new LogWriter(engine, TimeProvider.System, NullLogger.Instance);
        await writer.ExecuteAsync(
            (session, ct) => session.AppendAsync("pack.counter:c", null, [.. Enumerable.Range(from, count).Select(i => TestEvents.Draft($"c{i}", new { i }, t0.AddSeconds(i)) with { EventType = Counted })], ct),
            default);
    }

    private static ProjectionEngine Engine(PostgresEngine engine)
    {
        var registry = new KernelRegistry();
        registry.Add(new PackRegistrations(
            new LoadedPack("counter", "1.0.0", string.Empty, string.Empty, [], []),
            [new EventRegistration(Counted, 1, typeof(object), "counter")],
            [],
            [new ProjectionRegistration(Count, 1, "projections", "counter", ProjectionTenancy.SpansTenants, new HashSet<string>(StringComparer.Ordinal) { Counted }, _ => "all", (current, _) =>
                Encoding.UTF8.GetBytes((int.Parse(current is null ? "0" : Encoding.UTF8.GetString(current), CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture)))],
            [],
            []));
        return new ProjectionEngine(registry, engine.Events, _ => engine.Projections, TimeProvider.System, NullLogger.Instance);
    }
}
