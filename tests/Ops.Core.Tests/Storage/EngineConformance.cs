using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Identity;
using Ops.Core.Log;
using Ops.Core.Log.Integrity;
using Ops.Core.Projections;
using Ops.Core.Storage;
using Ops.Testing;

namespace Ops.Core.Tests.Storage;

/// <summary>What a storage engine's conformance run needs: fresh databases, and raw statements to attack them with.</summary>
public interface IEngineFixture
{
    /// <summary>An engine on a fresh, empty, unmigrated database.</summary>
    internal IStorageEngine CreateEngine();

    /// <summary>Runs one raw SQL statement on the engine's database behind the kernel's back (throws when the database refuses it).</summary>
    internal Task ExecuteRawAsync(IStorageEngine engine, string sql);

    /// <summary>Statements that would change or remove an existing row of an append-only table, in this engine's dialect; each must be refused by the database.</summary>
    IReadOnlyList<string> AppendOnlyAttacks { get; }
}

/// <summary>
/// The one conformance suite every storage engine passes unchanged (issue 8 item 4; Eventuous'
/// <c>StoreAppendTests&lt;T&gt;</c> is the model): migrations, append-only refused by the database, the hash chain and
/// verify, idempotent append, per-stream optimistic concurrency, canonical-order reads, savepoints, outcomes, cursors,
/// projection documents and checkpoints. An engine joins by deriving a class with its fixture.
/// </summary>
public abstract class EngineConformance<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : class, IEngineFixture
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    [SkippableFact]
    public async Task Migrations_GoUpDownAndUpAgain_AndDownIsRefusedWhileTheLogHoldsEvents()
    {
        using var engine = fixture.CreateEngine();
        engine.Migrate();
        var all = engine.AppliedMigrations();
        Assert.NotEmpty(all);
        engine.Migrate("0");
        Assert.Empty(engine.AppliedMigrations());
        engine.Migrate();
        Assert.Equal(all, engine.AppliedMigrations());

        Assert.Equal(ReasonCodes.MigrationRefused, Assert.Throws<OpsException>(() => engine.Migrate("no-such-migration")).Code);
        await using (var writer = Writer(engine))
        {
            await AppendAsync(writer, "s-1", Draft("a", T0));
        }

        var refused = Assert.Throws<OpsException>(() => engine.Migrate("0"));
        Assert.Equal(ReasonCodes.MigrationRefused, refused.Code);
        Assert.Contains("1 events", refused.Message, StringComparison.Ordinal);
        Assert.Equal(all, engine.AppliedMigrations());
    }

    [SkippableFact]
    public async Task AppendOnly_EveryStatementThatWouldChangeOrRemoveARow_IsRefusedByTheDatabase()
    {
        using var engine = Migrated();
        await using (var writer = Writer(engine))
        {
            await AppendAsync(writer, "s-1", Draft("a", T0), Draft("b", T0.AddSeconds(1)));
            await writer.ExecuteAsync(async (session, ct) =>
            {
                await OutcomeStore.RecordAsync(session, Outcome("c-1"), new string('1', 64), ct);
                return true;
            }, CancellationToken.None);
        }

        var before = await SnapshotAsync(engine);
        foreach (var attack in fixture.AppendOnlyAttacks)
        {
            await Assert.ThrowsAnyAsync<Exception>(() => fixture.ExecuteRawAsync(engine, attack));
        }

        Assert.Equal(before, await SnapshotAsync(engine));
    }

    [SkippableFact]
    public async Task Append_ChainsEveryRow_AndVerifyChecksItFromPositionOne()
    {
        using var engine = Migrated();
        await using (var writer = Writer(engine))
        {
            for (var i = 0; i < 20; i++)
            {
                await AppendAsync(writer, "s-" + (i % 3), Draft("e" + i, T0.AddSeconds(i)));
            }
        }

        var scanner = new ChainScanner();
        await engine.Events.ScanChainAsync(scanner, 1, long.MaxValue, null, CancellationToken.None);
        var result = scanner.Result();
        Assert.True(result.IsValid, result.Problem);
        Assert.Equal(20, result.RowsChecked);
        var heads = await engine.Events.ReadHeadsAsync(CancellationToken.None);
        Assert.Equal(20, heads.Position);
        Assert.Equal(result.HeadHash, Convert.ToHexStringLower(heads.RowHash));
        var rows = await engine.Events.ReadRowsAsync(1, 20, CancellationToken.None).ToListAsync();
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), rows.Select(r => r.Row.Position));
        Assert.All(rows.Skip(1).Zip(rows), pair => Assert.Equal(pair.Second.RowHash, pair.First.PrevHash));
        Assert.Equal(rows[5].RowHash, (await engine.Events.RowHashesAtAsync([6, 999], CancellationToken.None))[6]);
    }

    [SkippableFact]
    public async Task Append_ExistingEventId_IsANoOpThatReturnsTheOriginal()
    {
        using var engine = Migrated();
        await using var writer = Writer(engine);
        var draft = Draft("once", T0);
        var first = await AppendAsync(writer, "s-1", draft);
        var again = await AppendAsync(writer, "s-2", draft);

        Assert.False(first[0].Duplicate);
        Assert.True(again[0].Duplicate);
        Assert.Equal(first[0].Event.Position, again[0].Event.Position);
        Assert.Equal(1, await engine.Events.HeadPositionAsync(CancellationToken.None));
    }

    [SkippableFact]
    public async Task Append_WithAStaleExpectedVersion_IsAConcurrencyConflictAndWritesNothing()
    {
        using var engine = Migrated();
        await using var writer = Writer(engine);
        await AppendAsync(writer, "s-1", Draft("a", T0));

        var conflict = await Assert.ThrowsAsync<StreamConcurrencyException>(() => writer.ExecuteAsync((session, ct) => session.AppendAsync("s-1", 0, [Draft("b", T0)], ct), CancellationToken.None));

        Assert.Equal((0L, 1L), (conflict.ExpectedVersion, conflict.ActualVersion));
        Assert.Equal(1, await engine.Events.HeadPositionAsync(CancellationToken.None));
        var stream = await engine.Events.ReadStreamAsync("s-1", CancellationToken.None);
        Assert.Equal([1L], stream.Select(e => e.Envelope.StreamVersion));
    }

    [SkippableFact]
    public async Task ReadCanonical_OrdersByOccurredAtSourceRefSourceSequenceEventId()
    {
        using var engine = Migrated();
        await using (var writer = Writer(engine))
        {
            await AppendAsync(writer, "s-1", Draft("late", T0.AddSeconds(5), "src:b"));
            await AppendAsync(writer, "s-2", Draft("early-b", T0, "src:b", 2));
            await AppendAsync(writer, "s-3", Draft("early-a", T0, "src:a", 9));
            await AppendAsync(writer, "s-4", Draft("early-b-null", T0, "src:b"));
            await AppendAsync(writer, "s-5", Draft("early-b-1", T0, "src:b", 1));
        }

        var canonical = await engine.Events.ReadCanonicalAsync(CancellationToken.None).Select(e => e.Envelope.Payload.GetProperty("name").GetString()).ToListAsync();

        Assert.Equal(["early-a", "early-b-null", "early-b-1", "early-b", "late"], canonical);
    }

    [SkippableFact]
    public async Task Batch_AFailingUnitRollsBackAlone_ItsNeighboursCommit()
    {
        using var engine = Migrated();
        await using var writer = Writer(engine);
        var ok1 = writer.ExecuteAsync((s, ct) => s.AppendAsync("s-1", null, [Draft("ok1", T0)], ct), CancellationToken.None);
        var bad = writer.ExecuteAsync<bool>(
            async (s, ct) =>
            {
                await s.AppendAsync("s-2", null, [Draft("doomed", T0)], ct);
                throw new InvalidOperationException("the unit fails after appending");
            },
            CancellationToken.None);
        var ok2 = writer.ExecuteAsync((s, ct) => s.AppendAsync("s-3", null, [Draft("ok2", T0)], ct), CancellationToken.None);

        await ok1;
        await ok2;
        await Assert.ThrowsAsync<InvalidOperationException>(() => bad);
        Assert.Empty(await engine.Events.ReadStreamAsync("s-2", CancellationToken.None));
        var scanner = new ChainScanner();
        await engine.Events.ScanChainAsync(scanner, 1, long.MaxValue, null, CancellationToken.None);
        Assert.True(scanner.Result().IsValid);
        Assert.Equal(2, scanner.RowsChecked);
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Append_AUnitMixingNewAndReplayedEventIds_WritesOnlyTheNew_AndReturnsTheOriginals(bool expectVersions)
    {
        using var engine = Migrated();
        await using var writer = Writer(engine);
        var (a, b, c, d) = (Draft("a", T0), Draft("b", T0), Draft("c", T0), Draft("d", T0));
        await AppendAsync(writer, "s-1", a);

        // One unit, one set-based call: a replay of a stored event, new events on three streams, a draft repeated
        // within the call; with every version expected (the one-statement path) and with none (the probe path).
        var results = await writer.ExecuteAsync(
            (session, ct) => session.AppendAsync(
            [
                new StreamAppend("s-1", expectVersions ? 1 : null, [a, b]),
                new StreamAppend("s-2", expectVersions ? 0 : null, [c]),
                new StreamAppend("s-3", expectVersions ? 0 : null, [d, c]),
            ], ct),
            CancellationToken.None);

        Assert.Equal([(1L, true), (2L, false)], results[0].Select(r => (r.Event.Position, r.Duplicate)));
        Assert.Equal([(3L, false)], results[1].Select(r => (r.Event.Position, r.Duplicate)));
        Assert.Equal([(4L, false), (3L, true)], results[2].Select(r => (r.Event.Position, r.Duplicate)));
        Assert.Equal("s-1", results[0][0].Event.Envelope.StreamId);
        Assert.Equal([1L, 2L], (await engine.Events.ReadStreamAsync("s-1", CancellationToken.None)).Select(e => e.Envelope.StreamVersion));
        Assert.Equal([1L], (await engine.Events.ReadStreamAsync("s-3", CancellationToken.None)).Select(e => e.Envelope.StreamVersion));
        await AssertChainAsync(engine, 4);
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Append_TwoStreamsInOneCallWithOneConflicting_IsAConcurrencyConflict_AndWritesNeitherStream(bool conflictFirst)
    {
        using var engine = Migrated();
        await using var writer = Writer(engine);
        await AppendAsync(writer, "s-1", Draft("a", T0));
        StreamAppend[] appends = conflictFirst
            ? [new("s-1", 0, [Draft("stale", T0)]), new("s-2", 0, [Draft("x", T0), Draft("y", T0)])]
            : [new("s-2", 0, [Draft("x", T0), Draft("y", T0)]), new("s-1", 0, [Draft("stale", T0)])];

        // As the command pipeline does: the unit catches the conflict and goes on; nothing of the call may stay.
        var (conflict, after) = await writer.ExecuteAsync(
            async (session, ct) =>
            {
                var caught = await Assert.ThrowsAsync<StreamConcurrencyException>(async () => await session.AppendAsync(appends, ct));
                var next = await session.AppendAsync("s-3", null, [Draft("z", T0)], ct);
                return (caught, next[0].Event.Position);
            },
            CancellationToken.None);

        Assert.Equal(("s-1", 0L, 1L), (conflict.StreamId, conflict.ExpectedVersion, conflict.ActualVersion));
        Assert.Equal(2, after);
        Assert.Empty(await engine.Events.ReadStreamAsync("s-2", CancellationToken.None));
        await AssertChainAsync(engine, 2);
    }

    [SkippableFact]
    public async Task Batch_AUnitThatFailsAfterASetAppend_LeavesNothing_ItsNeighboursCommitOnAContiguousChain()
    {
        using var engine = Migrated();
        await using var writer = Writer(engine);
        var ok1 = writer.ExecuteAsync((s, ct) => s.AppendAsync([new StreamAppend("s-1", 0, [Draft("o1", T0), Draft("o2", T0)]), new StreamAppend("s-2", 0, [Draft("o3", T0)])], ct), CancellationToken.None);
        var bad = writer.ExecuteAsync<bool>(
            async (s, ct) =>
            {
                await s.AppendAsync([new StreamAppend("s-3", 0, [Draft("d1", T0), Draft("d2", T0)]), new StreamAppend("s-4", null, [Draft("d3", T0)])], ct);
                throw new InvalidOperationException("the unit fails after its set append");
            },
            CancellationToken.None);
        var ok2 = writer.ExecuteAsync((s, ct) => s.AppendAsync([new StreamAppend("s-3", 0, [Draft("o4", T0)]), new StreamAppend("s-1", null, [Draft("o5", T0)])], ct), CancellationToken.None);

        await ok1;
        var second = await ok2;
        await Assert.ThrowsAsync<InvalidOperationException>(() => bad);
        Assert.Empty(await engine.Events.ReadStreamAsync("s-4", CancellationToken.None));
        Assert.Equal(["o4"], (await engine.Events.ReadStreamAsync("s-3", CancellationToken.None)).Select(e => e.Envelope.Payload.GetProperty("name").GetString()));
        Assert.Equal([(4L, 1L), (5L, 3L)], second.Select(r => (r[0].Event.Position, r[0].Event.Envelope.StreamVersion)));
        await AssertChainAsync(engine, 5);
    }

    /// <summary>The attacker's view of the seam: a set insert is refused whole when any row would pass a check.</summary>
    [SkippableTheory]
    [InlineData("position taken")]
    [InlineData("event_id stored")]
    [InlineData("stream version taken")]
    [InlineData("stream version skipped")]
    [InlineData("event_id twice in the set")]
    [InlineData("position twice in the set")]
    public async Task TryInsertEvents_ASetWithOneRowPastAKeyOrVersionCheck_IsRefusedWhole_AndTheBatchGoesOn(string attack)
    {
        using var engine = Migrated();
        await using (var writer = Writer(engine))
        {
            await AppendAsync(writer, "s", Draft("a", T0));
        }

        await using var connection = engine.OpenWriter();
        await using (var batch = await connection.BeginAsync(CancellationToken.None))
        {
            var (head, headHash) = await batch.ReadHeadAsync(CancellationToken.None);
            var stored = await engine.Events.ReadRowsAsync(1, 1, CancellationToken.None).SingleAsync();
            var probe = await batch.ProbeAsync(["s", "t"], [stored.Row.EventId, Id("nowhere")], CancellationToken.None);
            Assert.Equal([("s", 1L), ("t", 0L)], probe.Versions.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => (v.Key, v.Value)));
            Assert.Equal([1L], probe.Existing.Values.Select(e => e.Position));

            var good = Row(head + 1, "t", 1, Id("g"));
            var bad = attack switch
            {
                "position taken" => Row(head, "u", 1, Id("b")),
                "event_id stored" => Row(head + 2, "u", 1, stored.Row.EventId),
                "stream version taken" => Row(head + 2, "s", 1, Id("b")),
                "stream version skipped" => Row(head + 2, "s", 3, Id("b")),
                "event_id twice in the set" => Row(head + 2, "u", 1, good.EventId),
                _ => Row(head + 1, "u", 1, Id("b")),
            };

            Assert.False(await batch.TryInsertEventsAsync(Chain(headHash, good, bad), CancellationToken.None));
            Assert.Equal(0, (await batch.ProbeAsync(["t"], [good.EventId], CancellationToken.None)).Versions["t"]);
            Assert.True(await batch.TryInsertEventsAsync(Chain(headHash, good, Row(head + 2, "t", 2, Id("g2"))), CancellationToken.None));
            await batch.CommitAsync(CancellationToken.None);
        }

        await AssertChainAsync(engine, 3);
        var rows = await engine.Events.ReadRowsAsync(1, long.MaxValue, CancellationToken.None).Select(r => (r.Row.Position, r.Row.StreamId, r.Row.StreamVersion)).ToListAsync();
        Assert.Equal([(1L, "s", 1L), (2L, "t", 1L), (3L, "t", 2L)], rows);
    }

    [SkippableFact]
    public async Task CoreEvents_AndStreamsByPrefix_AreReadInPositionOrder()
    {
        using var engine = Migrated();
        await using (var writer = Writer(engine))
        {
            await AppendAsync(writer, "core:pack-a", Draft("p1", T0, type: "core.TestHappened"));
            await AppendAsync(writer, "pack.x:thing", Draft("x", T0));
            await AppendAsync(writer, "core:pack.a", Draft("not-prefix", T0, type: "core.TestHappened"));
            await AppendAsync(writer, "core:pack-b", Draft("p2", T0, type: "core.TestHappened"));
        }

        var packs = await engine.Events.ReadStreamsWithPrefixAsync("core:pack-", CancellationToken.None).Select(e => e.Envelope.StreamId).ToListAsync();
        var core = await engine.Events.ReadCoreEventsAsync(1, CancellationToken.None).Select(e => e.Position).ToListAsync();

        Assert.Equal(["core:pack-a", "core:pack-b"], packs);
        Assert.Equal([3L, 4L], core);
    }

    [SkippableFact]
    public async Task Outcomes_AreFoundByCommandId_AndChained()
    {
        using var engine = Migrated();
        await using (var writer = Writer(engine))
        {
            await writer.ExecuteAsync(async (session, ct) =>
            {
                await OutcomeStore.RecordAsync(session, Outcome("c-1"), new string('1', 64), ct);
                await OutcomeStore.RecordAsync(session, Outcome("c-2"), new string('2', 64), ct);
                var found = await OutcomeStore.FindAsync(session, "c-2", ct);
                Assert.Equal(("c-2", new string('2', 64)), (found!.Value.Outcome.CommandId, found.Value.ContentHash));
                Assert.Null(await OutcomeStore.FindAsync(session, "nope", ct));
                return true;
            }, CancellationToken.None);
        }

        var verification = await LogIntegrity.VerifyOutcomesAsync(engine.Events, CancellationToken.None);
        Assert.True(verification.IsValid, verification.Problem);
        Assert.Equal(2, (await engine.Events.ReadHeadsAsync(CancellationToken.None)).OutcomesSeq);
    }

    [SkippableFact]
    public async Task Cursors_AreWrittenAndReadInTheWritersTransaction()
    {
        using var engine = Migrated();
        await using var writer = Writer(engine);
        var read = await writer.ExecuteAsync(async (session, ct) =>
        {
            await session.Transaction.WriteCursorAsync(new ConnectorCursor("pack.c", "page-2", "2026-12-01T00:00:00Z", 2, T0.UtcTicks, null), ct);
            await session.Transaction.WriteCursorAsync(new ConnectorCursor("pack.c", null, "2026-12-02T00:00:00Z", 3, T0.UtcTicks + 1, T0.UtcTicks + 1), ct);
            return await session.Transaction.ReadCursorAsync("pack.c", ct);
        }, CancellationToken.None);

        Assert.Equal(new ConnectorCursor("pack.c", null, "2026-12-02T00:00:00Z", 3, T0.UtcTicks + 1, T0.UtcTicks + 1), read);
    }

    [SkippableFact]
    public async Task ProjectionDocuments_AreScopedByTenantAndMode_ScannedInUtf8ByteOrder_AndCommitWithTheirCheckpoint()
    {
        using var engine = Migrated();
        var store = engine.Projections;
        string[] keys = ["é", "Z", "a", "ä", "a b", "ab"];
        await using (var write = await store.BeginWriteAsync(CancellationToken.None))
        {
            await write.WriteDocumentsAsync("p", keys.ToDictionary(k => new DocumentAddress("acme", "system", k), k => (byte[]?)Encoding.UTF8.GetBytes("{\"k\":\"" + k + "\"}")), CancellationToken.None);
            await write.WriteDocumentsAsync("p", new Dictionary<DocumentAddress, byte[]?> { [new DocumentAddress("globex", "system", "a")] = [1] }, CancellationToken.None);
            await write.SaveCheckpointAsync("p", new ProjectionCheckpoint(2, 42, T0.UtcTicks), CancellationToken.None);
            await write.CommitAsync(CancellationToken.None);
        }

        await using (var uncommitted = await store.BeginWriteAsync(CancellationToken.None))
        {
            await uncommitted.ClearAsync("p", CancellationToken.None);
        }

        Assert.Equal(new ProjectionCheckpoint(2, 42, T0.UtcTicks), await store.ReadCheckpointAsync("p", CancellationToken.None));
        await using (var read = await store.BeginReadAsync(CancellationToken.None))
        {
            var scanned = await read.ScanAsync("p", CancellationToken.None).Select(d => d.Address).ToListAsync();
            var expected = keys.Select(k => new DocumentAddress("acme", "system", k)).Append(new DocumentAddress("globex", "system", "a"))
                .OrderBy(a => Encoding.UTF8.GetBytes(a.TenantId + "\u0000" + a.Mode + "\u0000" + a.Key), ByteOrder.Instance).ToList();
            Assert.Equal(expected, scanned);
            Assert.Equal(keys.Length, await read.ListAsync("p", "acme", "system", CancellationToken.None).CountAsync());
            Assert.Empty(await read.ListAsync("p", "acme", "lab", CancellationToken.None).ToListAsync());
            Assert.Equal([1], await read.GetAsync("p", new DocumentAddress("globex", "system", "a"), CancellationToken.None));
            Assert.Null(await read.GetAsync("p", new DocumentAddress("acme", "system", "missing"), CancellationToken.None));
        }

        await using (var write = await store.BeginWriteAsync(CancellationToken.None))
        {
            await write.WriteDocumentsAsync("p", new Dictionary<DocumentAddress, byte[]?> { [new DocumentAddress("acme", "system", "a")] = null }, CancellationToken.None);
            await write.ClearAsync("other", CancellationToken.None);
            await write.CommitAsync(CancellationToken.None);
        }

        await using (var read = await store.BeginReadAsync(CancellationToken.None))
        {
            Assert.Equal(keys.Length - 1, await read.ListAsync("p", "acme", "system", CancellationToken.None).CountAsync());
        }

        await using (var write = await store.BeginWriteAsync(CancellationToken.None))
        {
            await write.ClearAsync("p", CancellationToken.None);
            await write.CommitAsync(CancellationToken.None);
        }

        Assert.Null(await store.ReadCheckpointAsync("p", CancellationToken.None));
        Assert.Empty(await store.ReadCheckpointsAsync(CancellationToken.None));
    }

    [SkippableFact]
    public async Task Outbox_EnqueueIsIdempotent_AndEveryMoveIsConditionalOnTheCurrentStatus()
    {
        using var engine = Migrated();
        await using var writer = Writer(engine);
        var row = Egress("r-1", "github");
        var (first, again, approve, approveAgain, wrongFrom) = await writer.ExecuteAsync(async (s, ct) =>
        {
            var outbox = s.Transaction.Outbox;
            return (
                await outbox.TryEnqueueAsync(row, ct),
                await outbox.TryEnqueueAsync(row with { Status = "approved" }, ct),
                await outbox.TryMoveAsync(new EgressMove("r-1", "pending", "approved", T0.UtcTicks + 1), ct),
                await outbox.TryMoveAsync(new EgressMove("r-1", "pending", "approved", T0.UtcTicks + 2), ct),
                await outbox.TryMoveAsync(new EgressMove("r-1", "dispatched", "executed", T0.UtcTicks + 3), ct));
        }, CancellationToken.None);

        Assert.Equal((true, false, true, false, false), (first, again, approve, approveAgain, wrongFrom));
        var stored = await engine.Outbox.FindAsync("r-1", CancellationToken.None);
        Assert.Equal(row with { Status = "approved", UpdatedAtTicks = T0.UtcTicks + 1, Request = stored!.Request }, stored);
        Assert.Equal(row.Request, stored.Request);
        Assert.Equal(["r-1"], (await engine.Outbox.ListAsync("approved", 10, CancellationToken.None)).Select(r => r.RequestId));
        Assert.Empty(await engine.Outbox.ListAsync("pending", 10, CancellationToken.None));
    }

    [SkippableFact]
    public async Task Outbox_TwoWritersMovingOneRequest_OnlyOneMovesIt()
    {
        using var engine = Migrated();
        await using (var setup = Writer(engine))
        {
            await setup.ExecuteAsync((s, ct) => s.Transaction.Outbox.TryEnqueueAsync(Egress("r-1", "github", "approved"), ct), CancellationToken.None);
        }

        await using var a = Writer(engine);
        await using var b = Writer(engine);
        var claim = new EgressMove("r-1", "approved", "dispatched", T0.UtcTicks) { Dispatch = true, LeaseOwner = "w", LeaseUntilTicks = T0.UtcTicks + 100 };
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            (i % 2 == 0 ? a : b).ExecuteAsync((s, ct) => s.Transaction.Outbox.TryMoveAsync(claim with { LeaseOwner = "w" + i }, ct), CancellationToken.None)));

        Assert.Single(results, moved => moved);
        var stored = await engine.Outbox.FindAsync("r-1", CancellationToken.None);
        Assert.Equal(("dispatched", 1, T0.UtcTicks), (stored!.Status, stored.Attempts, stored.DispatchedAtTicks));
    }

    [SkippableFact]
    public async Task Outbox_Claimable_IsApprovedOrAnExpiredLease_ReclaimNeedsTheExpiry_AndQuotasCountFirstDispatches()
    {
        using var engine = Migrated();
        await using var writer = Writer(engine);
        var lease = T0.UtcTicks + 1_000;
        var seen = await writer.ExecuteAsync(async (s, ct) =>
        {
            var outbox = s.Transaction.Outbox;
            await outbox.TryEnqueueAsync(Egress("r-1", "github", "approved"), ct);
            await outbox.TryEnqueueAsync(Egress("r-2", "github", "pending"), ct);
            await outbox.TryEnqueueAsync(Egress("r-3", "github", "approved"), ct);
            await outbox.TryEnqueueAsync(Egress("r-4", "mail", "held"), ct);
            await outbox.TryMoveAsync(new EgressMove("r-1", "approved", "dispatched", T0.UtcTicks) { Dispatch = true, LeaseOwner = "w1", LeaseUntilTicks = lease }, ct);
            var beforeExpiry = (await outbox.ClaimableAsync(lease - 1, 10, ct)).Select(r => r.RequestId).ToList();
            var earlyReclaim = await outbox.TryMoveAsync(new EgressMove("r-1", "dispatched", "dispatched", lease - 1) { Dispatch = true, LeaseOwner = "w2", LeaseUntilTicks = lease + 1_000, LeaseExpiredByTicks = lease - 1 }, ct);
            var atExpiry = (await outbox.ClaimableAsync(lease, 10, ct)).Select(r => r.RequestId).ToList();
            var reclaim = await outbox.TryMoveAsync(new EgressMove("r-1", "dispatched", "dispatched", lease) { Dispatch = true, LeaseOwner = "w2", LeaseUntilTicks = lease + 1_000, LeaseExpiredByTicks = lease }, ct);
            var staleAck = await outbox.TryMoveAsync(new EgressMove("r-1", "dispatched", "executed", lease + 1) { RequireLeaseOwner = "w1" }, ct);
            var ack = await outbox.TryMoveAsync(new EgressMove("r-1", "dispatched", "executed", lease + 1) { RequireLeaseOwner = "w2" }, ct);
            var held = (await outbox.InStatusAsync(["held", "pending"], 10, ct)).Select(r => r.RequestId).ToList();
            return (beforeExpiry, earlyReclaim, atExpiry, reclaim, staleAck, ack, held,
                await outbox.CountDispatchedSinceAsync("github", T0.UtcTicks, ct), await outbox.CountDispatchedSinceAsync("github", T0.UtcTicks + 1, ct), await outbox.FindAsync("r-1", ct));
        }, CancellationToken.None);

        Assert.Equal(["r-3"], seen.beforeExpiry);
        Assert.False(seen.earlyReclaim);
        Assert.Equal(["r-1", "r-3"], seen.atExpiry);
        Assert.True(seen.reclaim);
        Assert.False(seen.staleAck);
        Assert.True(seen.ack);
        Assert.Equal(["r-2", "r-4"], seen.held);
        Assert.Equal((1L, 0L), (seen.Item8, seen.Item9));
        Assert.Equal(("executed", 2, T0.UtcTicks, (string?)null), (seen.Item10!.Status, seen.Item10.Attempts, seen.Item10.DispatchedAtTicks, seen.Item10.LeaseOwner));
    }

    [SkippableFact]
    public async Task Outbox_EnqueueInAFailingUnit_RollsBackWithItsEvents_ItsNeighbourCommits()
    {
        using var engine = Migrated();
        await using var writer = Writer(engine);
        var ok = writer.ExecuteAsync(async (s, ct) =>
        {
            await s.AppendAsync("s-1", null, [Draft("ok", T0)], ct);
            return await s.Transaction.Outbox.TryEnqueueAsync(Egress("r-ok", "github"), ct);
        }, CancellationToken.None);
        var bad = writer.ExecuteAsync<bool>(
            async (s, ct) =>
            {
                await s.AppendAsync("s-2", null, [Draft("doomed", T0)], ct);
                await s.Transaction.Outbox.TryEnqueueAsync(Egress("r-doomed", "github"), ct);
                throw new InvalidOperationException("the unit fails after enqueueing");
            },
            CancellationToken.None);

        Assert.True(await ok);
        await Assert.ThrowsAsync<InvalidOperationException>(() => bad);
        Assert.Equal(["r-ok"], (await engine.Outbox.ListAsync(null, 10, CancellationToken.None)).Select(r => r.RequestId));
        Assert.Empty(await engine.Events.ReadStreamAsync("s-2", CancellationToken.None));
    }

    [SkippableFact]
    public async Task Outbox_KillSwitches_EngageOnceAndRelease()
    {
        using var engine = Migrated();
        await using var writer = Writer(engine);
        var changes = await writer.ExecuteAsync(async (s, ct) =>
        {
            var outbox = s.Transaction.Outbox;
            return (
                await outbox.SetSwitchAsync("global", true, "incident 7", T0.UtcTicks, ct),
                await outbox.SetSwitchAsync("global", true, "again", T0.UtcTicks + 1, ct),
                await outbox.SetSwitchAsync("destination:github", true, "rate limited", T0.UtcTicks + 2, ct),
                await outbox.SetSwitchAsync("pack:none", false, null, T0.UtcTicks + 3, ct));
        }, CancellationToken.None);

        Assert.Equal((true, false, true, false), changes);
        Assert.Equal([new EgressSwitch("destination:github", "rate limited", T0.UtcTicks + 2), new EgressSwitch("global", "incident 7", T0.UtcTicks)], await engine.Outbox.SwitchesAsync(CancellationToken.None));
        Assert.True(await writer.ExecuteAsync((s, ct) => s.Transaction.Outbox.SetSwitchAsync("global", false, null, T0.UtcTicks + 4, ct), CancellationToken.None));
        Assert.Equal(["destination:github"], (await engine.Outbox.SwitchesAsync(CancellationToken.None)).Select(x => x.Scope));
    }

    private IStorageEngine Migrated()
    {
        var engine = fixture.CreateEngine();
        engine.Migrate();
        return engine;
    }

    private static LogWriter Writer(IStorageEngine engine) => new(engine, new ManualTimeProvider(), NullLogger.Instance);

    private static Task<IReadOnlyList<AppendedEvent>> AppendAsync(LogWriter writer, string stream, params EventEnvelope[] drafts) =>
        writer.ExecuteAsync((session, ct) => session.AppendAsync(stream, null, drafts, ct), CancellationToken.None);

    private static EventEnvelope Draft(string name, DateTimeOffset at, string source = "test:conformance", long? sequence = null, string type = "pack.test.things.Happened") =>
        EventDraft.Create(type, 1, JsonSerializer.SerializeToElement(new { name }, OpsJson.Options), source, name, sequence, at, new Causation("c", null, null), new ActorRef("tester", ActorKind.Service), null, null, new IdentityScope("acme", "system", null, "test"), "unset");

    private static byte[] Id(string name) => SHA256.HashData(Encoding.UTF8.GetBytes(name));

    private static ChainRow Row(long position, string stream, long version, byte[] eventId) =>
        new(position, eventId, stream, version, "pack.test.things.Happened", T0.UtcTicks, "test:conformance", null, [0x7b, 0x7d]);

    /// <summary>The rows chained one after the other from <paramref name="previous"/>, as the writer would.</summary>
    private static List<StoredRow> Chain(byte[] previous, params ChainRow[] rows)
    {
        var chained = new List<StoredRow>(rows.Length);
        foreach (var row in rows)
        {
            var hash = LogChain.RowHash(previous, row);
            chained.Add(new StoredRow(row, previous, hash));
            previous = hash;
        }

        return chained;
    }

    /// <summary>The log holds exactly positions 1..<paramref name="rows"/>, and its chain verifies from position 1.</summary>
    private static async Task AssertChainAsync(IStorageEngine engine, long rows)
    {
        var scanner = new ChainScanner();
        await engine.Events.ScanChainAsync(scanner, 1, long.MaxValue, null, CancellationToken.None);
        Assert.True(scanner.Result().IsValid, scanner.Problem);
        Assert.Equal(rows, scanner.RowsChecked);
        Assert.Equal(rows, await engine.Events.HeadPositionAsync(CancellationToken.None));
    }

    private static EgressRow Egress(string id, string destination, string status = "pending") =>
        new(id, "acme", "test", destination, "pack.test.things.Send", "c-" + id, "k-" + id, new string('a', 64), [1, 2, 3], status, null, 0, null, null, T0.UtcTicks, T0.UtcTicks, null);

    private static CommandOutcome Outcome(string commandId) => new()
    {
        CommandId = commandId,
        CommandType = "pack.test.things.Do",
        Status = CommandStatus.Accepted,
        DecidedAt = T0,
    };

    /// <summary>Everything the append-only tables hold, as the kernel reads it.</summary>
    private static async Task<string> SnapshotAsync(IStorageEngine engine)
    {
        var builder = new StringBuilder();
        await foreach (var row in engine.Events.ReadRowsAsync(1, long.MaxValue, CancellationToken.None))
        {
            builder.Append(row.Row.Position).Append(Convert.ToHexString(row.RowHash)).Append(Convert.ToHexString(row.Row.Envelope)).Append('|');
        }

        await foreach (var outcome in engine.Events.ReadOutcomeRowsAsync(CancellationToken.None))
        {
            builder.Append(outcome.Row.Seq).Append(outcome.Row.CommandId).Append(Convert.ToHexString(outcome.RowHash)).Append('|');
        }

        return builder.Append(await engine.Events.CountUnchainedOutcomesAsync(CancellationToken.None)).ToString();
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
