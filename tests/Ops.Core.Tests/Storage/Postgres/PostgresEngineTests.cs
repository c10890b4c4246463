using Npgsql;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Log;
using Ops.Core.Log.Integrity;
using Ops.Core.Projections;
using Ops.Core.Storage;
using Ops.Storage.PostgreSQL;
using Ops.TestSupport;

namespace Ops.Core.Tests.Storage.Postgres;

/// <summary>
/// The engine-level invariants of issue 8 item 4 on a real PostgreSQL, written against the seam interfaces only
/// (<see cref="IStorageEngine"/> and the role interfaces it hands out), so they become the PostgreSQL subclass of
/// the conformance suite with a change of base class.
/// </summary>
[RequiresPostgres]
public sealed class PostgresEngineTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Migrate_UpDownToZeroUp_OnAFreshDatabase_Works()
    {
        var engine = await fixture.CreateEngineAsync(migrated: false);

        engine.Migrate();
        var up = engine.AppliedMigrations();
        engine.Migrate("0");
        var down = engine.AppliedMigrations();
        engine.Migrate();

        Assert.Equal(["20261215000001_PgInitialLog", "20261215000002_PgTenantScopedProjections", "20261215000003_PgEgressOutbox"], up);
        Assert.Empty(down);
        Assert.Equal(up, engine.AppliedMigrations());
        await using var admin = await PostgresFixture.AdminAsync(engine);
        Assert.Equal(7L, await ScalarAsync(admin, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('events', 'command_outcomes', 'connector_cursors', 'projection_documents', 'projection_checkpoints', 'egress_requests', 'egress_switches')"));
        Assert.Equal(4L, await ScalarAsync(admin, "SELECT count(*) FROM pg_trigger WHERE tgname IN ('events_refuse_change', 'events_refuse_truncate', 'command_outcomes_refuse_change', 'command_outcomes_refuse_truncate')"));
    }

    [Fact]
    public async Task Migrate_DownWhileTheLogHoldsEvents_IsRefused_AndNothingIsDropped()
    {
        var engine = await fixture.CreateEngineAsync();
        await AppendAsync(engine, "s", Drafts("a", "b"));

        var error = Assert.Throws<OpsException>(() => engine.Migrate("0"));

        Assert.Equal(ReasonCodes.MigrationRefused, error.Code);
        Assert.Equal(3, engine.AppliedMigrations().Count);
        Assert.Equal(2, await engine.Events.HeadPositionAsync(default));
        // Down to the log's own migration is fine: projections are derived data.
        engine.Migrate("20261215000001_PgInitialLog");
        Assert.Single(engine.AppliedMigrations());
        // The migration itself refuses too, for whoever runs it another way (EF tooling, a script).
        await using var admin = await PostgresFixture.AdminAsync(engine);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(admin, DownSql()));
        Assert.Equal(PostgresSqlStates.MigrationRefused, refused.SqlState);
        Assert.Equal(2, await engine.Events.HeadPositionAsync(default));
    }

    [Fact]
    public async Task Append_ChainsEveryRow_AndScanChainVerifiesFromPosition1()
    {
        var engine = await fixture.CreateEngineAsync();
        await AppendAsync(engine, "s1", Drafts("a", "b", "c"));
        await AppendAsync(engine, "s2", Drafts("d"));
        await AppendAsync(engine, "s1", Drafts("e"));

        var scanner = new ChainScanner();
        await engine.Events.ScanChainAsync(scanner, 1, long.MaxValue, null, default);
        var heads = await engine.Events.ReadHeadsAsync(default);

        var result = scanner.Result();
        Assert.True(result.IsValid, result.Problem);
        Assert.Equal(5, result.RowsChecked);
        Assert.Equal(5, heads.Position);
        Assert.Equal(Convert.ToHexStringLower(heads.RowHash), result.HeadHash);
        Assert.Equal(["a", "b", "c", "e"], (await engine.Events.ReadStreamAsync("s1", default)).Select(e => Native(e)));
        Assert.Equal([1L, 2, 3, 4], (await engine.Events.ReadStreamAsync("s1", default)).Select(e => e.Envelope.StreamVersion));
        var stored = await engine.Events.ReadRowsAsync(1, 5, default).ToListAsync();
        Assert.Equal(LogChain.Genesis, stored[0].PrevHash);
        Assert.All(stored.Skip(1).Zip(stored), pair => Assert.Equal(pair.Second.RowHash, pair.First.PrevHash));
    }

    [Fact]
    public async Task ScanChain_AfterAnEditBehindTheTriggers_BreaksAtTheEditedRow()
    {
        var engine = await fixture.CreateEngineAsync();
        await AppendAsync(engine, "s", Drafts("a", "b", "c", "d"));
        await using (var admin = await PostgresFixture.AdminAsync(engine))
        {
            // Only the table's owner can do this; the chain is what catches it.
            await ExecuteAsync(admin, "ALTER TABLE events DISABLE TRIGGER events_refuse_change; UPDATE events SET source_ref = 'forged' WHERE position = 3");
        }

        var scanner = new ChainScanner();
        await engine.Events.ScanChainAsync(scanner, 1, long.MaxValue, null, default);

        Assert.False(scanner.Result().IsValid);
        Assert.Equal(3, scanner.BrokenAt);
        Assert.Equal(3, scanner.RowsChecked);
    }

    [Fact]
    public async Task ScanChain_FromAVerifiedRow_GivesWhatAScanFromPosition1Gives()
    {
        var engine = await fixture.CreateEngineAsync();
        await AppendAsync(engine, "s", Drafts("a", "b", "c", "d", "e"));
        var hashes = await engine.Events.RowHashesAtAsync([2, 5, 9], default);

        var scanner = new ChainScanner(3, hashes[2]);
        await engine.Events.ScanChainAsync(scanner, 3, 5, null, default);

        Assert.Equal([2L, 5], hashes.Keys.Order());
        Assert.True(scanner.Result().IsValid);
        Assert.Equal(3, scanner.RowsChecked);
        Assert.Equal(Convert.ToHexStringLower(hashes[5]), scanner.Result().HeadHash);
    }

    [Fact]
    public async Task Append_AReplayedEventId_ReturnsTheOriginal_AndTheDatabaseRefusesItsInsert()
    {
        var engine = await fixture.CreateEngineAsync();
        var first = await AppendAsync(engine, "s", Drafts("a"));

        var again = await AppendAsync(engine, "other", Drafts("a"));
        await using var writer = engine.OpenWriter();
        await using var batch = await writer.BeginAsync(default);
        var stored = await engine.Events.ReadRowsAsync(1, 1, default).SingleAsync();
        var forged = stored.Row with { Position = 2, StreamId = "other", StreamVersion = 1 };

        Assert.True(again[0].Duplicate);
        Assert.Equal(first[0].Event.Position, again[0].Event.Position);
        Assert.Equal("s", again[0].Event.Envelope.StreamId);
        Assert.Equal(first[0].Event.Envelope.EventId, (await batch.FindEventAsync(stored.Row.EventId, default))!.Envelope.EventId);
        Assert.False(await batch.TryInsertEventAsync(new StoredRow(forged, stored.RowHash, LogChain.RowHash(stored.RowHash, forged)), default));
        Assert.Equal(1, await engine.Events.HeadPositionAsync(default));
    }

    [Fact]
    public async Task TryInsert_ATakenPositionOrStreamVersion_ReturnsFalse_AndTheBatchGoesOnAndCommits()
    {
        var engine = await fixture.CreateEngineAsync();
        await AppendAsync(engine, "s", Drafts("a"));
        await using var writer = engine.OpenWriter();
        await using var batch = await writer.BeginAsync(default);
        var (head, headHash) = await batch.ReadHeadAsync(default);
        var samePosition = Row(head, "t", 1, "x");
        var sameVersion = Row(head + 1, "s", 1, "y");

        Assert.False(await batch.TryInsertEventAsync(new StoredRow(samePosition, headHash, LogChain.RowHash(headHash, samePosition)), default));
        Assert.False(await batch.TryInsertEventAsync(new StoredRow(sameVersion, headHash, LogChain.RowHash(headHash, sameVersion)), default));
        // The stream moved past the version decided against: the caller reads that from state, not from an error.
        Assert.Equal(1, await batch.StreamVersionAsync("s", default));
        var good = Row(head + 1, "s", 2, "z");
        Assert.True(await batch.TryInsertEventAsync(new StoredRow(good, headHash, LogChain.RowHash(headHash, good)), default));
        await batch.CommitAsync(default);

        var scanner = new ChainScanner();
        await engine.Events.ScanChainAsync(scanner, 1, long.MaxValue, null, default);
        Assert.True(scanner.Result().IsValid, scanner.Problem);
        Assert.Equal(2, scanner.RowsChecked);
    }

    [Fact]
    public async Task Append_AgainstAStaleVersion_IsAConcurrencyConflict_AndNothingIsAppended()
    {
        var engine = await fixture.CreateEngineAsync();
        await AppendAsync(engine, "s", Drafts("a"));
        var decidedAt = (await engine.Events.ReadStreamAsync("s", default)).Count;
        await AppendAsync(engine, "s", Drafts("b"));

        var error = await Assert.ThrowsAsync<StreamConcurrencyException>(() => AppendAsync(engine, "s", Drafts("c"), expectedVersion: decidedAt));

        Assert.Equal(1, error.ExpectedVersion);
        Assert.Equal(2, error.ActualVersion);
        Assert.Equal(2, await engine.Events.HeadPositionAsync(default));
    }

    [Fact]
    public async Task SecondWriter_BeginAsync_WaitsForTheFirstWritersCommit_ThenReadsItsHead()
    {
        var engine = await fixture.CreateEngineAsync();
        using var other = PostgresEngine.Create(engine.DataSource.ConnectionString);
        await using var first = engine.OpenWriter();
        await using var second = other.OpenWriter();
        var batch = await first.BeginAsync(default);
        await new SeamAppender(batch, T0).AppendAsync("s", null, Drafts("a", "b"));

        var waiting = second.BeginAsync(default).AsTask();
        await WaitUntilAsync(async () => await LockWaitersAsync(engine) == 1);
        Assert.False(waiting.IsCompleted);
        await batch.CommitAsync(default);
        await batch.DisposeAsync();
        await using var next = await waiting;

        var (head, _) = await next.ReadHeadAsync(default);
        Assert.Equal(2, head);
    }

    [Fact]
    public async Task ReadCanonical_OrdersByOccurredAtSourceRefSequenceNullsFirstAndEventIdBytes()
    {
        var engine = await fixture.CreateEngineAsync();
        // Byte order, not a locale's: 'B' (0x42) < 'a' (0x61) < 'z' (0x7A) < 'é' (0xC3 0xA9).
        var drafts = new[]
        {
            TestEvents.Draft("1", new { v = 1 }, T0.AddSeconds(1), "é"),
            TestEvents.Draft("2", new { v = 2 }, T0.AddSeconds(1), "z"),
            TestEvents.Draft("3", new { v = 3 }, T0.AddSeconds(1), "a", 2),
            TestEvents.Draft("4", new { v = 4 }, T0.AddSeconds(1), "a"),
            TestEvents.Draft("5", new { v = 5 }, T0.AddSeconds(1), "a", 1),
            TestEvents.Draft("6", new { v = 6 }, T0.AddSeconds(1), "B"),
            TestEvents.Draft("7", new { v = 7 }, T0, "z"),
            TestEvents.Draft("8", new { v = 8 }, T0.AddSeconds(2), "a"),
            TestEvents.Draft("9", new { v = 9 }, T0.AddSeconds(2), "a"),
        };
        await AppendAsync(engine, "s", drafts);

        var canonical = await engine.Events.ReadCanonicalAsync(default).ToListAsync();

        var sameTail = new[] { drafts[7], drafts[8] }.OrderBy(d => Convert.FromHexString(d.EventId), ByteOrder.Instance).Select(d => d.EventId);
        Assert.Equal(["7", "6", "4", "5", "3", "2", "1"], canonical.Take(7).Select(Native));
        Assert.Equal(sameTail, canonical.Skip(7).Select(e => e.Envelope.EventId));
    }

    [Fact]
    public async Task Reads_PageByPosition_StreamAndCoreEvents()
    {
        var engine = await fixture.CreateEngineAsync();
        await AppendAsync(engine, "s", Drafts("a", "b", "c"));
        await AppendAsync(engine, "p", [TestEvents.Draft("d", new { v = 0 }, T0) with { EventType = "pack.x.y.Happened" }]);
        await AppendAsync(engine, "s", Drafts("e"));

        Assert.Equal([2L, 3], (await engine.Events.ReadAsync(1, 2, default)).Select(e => e.Position));
        Assert.Empty(await engine.Events.ReadAsync(5, 10, default));
        Assert.Equal([5L], await engine.Events.ReadCoreEventsAsync(3, default).Select(e => e.Position).ToListAsync());
        Assert.Equal(5, await engine.Events.HeadPositionAsync(default));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => engine.Events.ReadAsync(0, 10_001, default).AsTask());
        await using var writer = engine.OpenWriter();
        await using var batch = await writer.BeginAsync(default);
        Assert.Equal([1L, 2, 3, 5], (await batch.ReadCoreEventsAfterAsync(0, default)).Select(e => e.Position));
        Assert.Equal(T0.UtcTicks, await batch.LastOccurredAtTicksAsync("s", default));
        Assert.Null(await batch.LastOccurredAtTicksAsync("none", default));
        Assert.Equal(4, (await batch.ReadStreamAsync("s", default)).Count);
    }

    [Fact]
    public async Task Outcomes_AreChainedFromSeq1_FoundById_AndACommandIdIsRecordedOnce()
    {
        var engine = await fixture.CreateEngineAsync();
        await using var writer = engine.OpenWriter();
        await using (var batch = await writer.BeginAsync(default))
        {
            var appender = new SeamAppender(batch, T0);
            for (var i = 0; i < 3; i++)
            {
                await appender.RecordOutcomeAsync($"cmd-{i}", $"hash-{i}");
            }

            await batch.CommitAsync(default);
        }

        var rows = await engine.Events.ReadOutcomeRowsAsync(default).ToListAsync();
        var previous = LogChain.Genesis;
        foreach (var (stored, i) in rows.Select((r, i) => (r, i)))
        {
            Assert.Equal(i + 1, stored.Row.Seq);
            Assert.Equal(previous, stored.PrevHash);
            previous = OutcomeChain.RowHash(previous, stored.Row);
            Assert.Equal(previous, stored.RowHash);
        }

        Assert.Equal(3, rows.Count);
        Assert.Equal(0, await engine.Events.CountUnchainedOutcomesAsync(default));
        Assert.Equal(previous, (await engine.Events.OutcomeHashesAtAsync([3], default))[3]);
        await using var next = await writer.BeginAsync(default);
        Assert.Equal(3L, (await next.ReadOutcomeHeadAsync(default)).Seq);
        Assert.Equal(previous, (await next.ReadOutcomeHeadAsync(default)).RowHash);
        var found = await next.FindOutcomeAsync("cmd-1", default);
        Assert.Equal("hash-1", found!.ContentHash);
        Assert.Equal(CommandStatus.Accepted, found.Outcome.Status);
        Assert.Null(await next.FindOutcomeAsync("cmd-9", default));
        await next.SaveAsync("again", default);
        var again = new OutcomeRow(4, "cmd-1", "h", "t", "accepted", [0x7b, 0x7d], 0);
        var duplicate = await Assert.ThrowsAsync<PostgresException>(() => next.InsertOutcomeAsync(again, previous, OutcomeChain.RowHash(previous, again), default).AsTask());
        Assert.Equal(PostgresSqlStates.UniqueViolation, duplicate.SqlState);
        await next.RollbackToAsync("again", default);
        Assert.Equal(3L, (await next.ReadOutcomeHeadAsync(default)).Seq);
        Assert.Equal(previous, (await next.ReadOutcomeHeadAsync(default)).RowHash);
    }

    [Fact]
    public async Task Cursors_AreWrittenReadAndReplaced()
    {
        var engine = await fixture.CreateEngineAsync();
        await using var writer = engine.OpenWriter();
        await using (var batch = await writer.BeginAsync(default))
        {
            Assert.Null(await batch.ReadCursorAsync("gh", default));
            await batch.WriteCursorAsync(new ConnectorCursor("gh", "page-2", "2026-11-30", 1, 10, null), default);
            await batch.WriteCursorAsync(new ConnectorCursor("gh", null, "2026-12-01", 2, 20, 20), default);
            await batch.CommitAsync(default);
        }

        await using var read = await writer.BeginAsync(default);
        Assert.Equal(new ConnectorCursor("gh", null, "2026-12-01", 2, 20, 20), await read.ReadCursorAsync("gh", default));
    }

    [Fact]
    public async Task Projections_DocumentsAndCheckpoint_CommitTogether_AndScanInUtf8ByteOrder()
    {
        var engine = await fixture.CreateEngineAsync();
        var store = engine.Projections;
        var addresses = new[] { new DocumentAddress("acme", "system", "é"), new DocumentAddress("acme", "system", "z"), new DocumentAddress("acme", "system", "B"), new DocumentAddress("Zed", "lab", "k"), new DocumentAddress("acme", "system", "gone") };
        await using (var write = await store.BeginWriteAsync(default))
        {
            await write.WriteDocumentsAsync("p", addresses.ToDictionary(a => a, a => (byte[]?)[(byte)a.Key[0]]), default);
            await write.SaveCheckpointAsync("p", new ProjectionCheckpoint(1, 10, 100), default);
            await write.CommitAsync(default);
        }

        await using (var write = await store.BeginWriteAsync(default))
        {
            Assert.Equal(new[] { (byte)'z' }, await write.LoadAsync("p", addresses[1], default));
            await write.WriteDocumentsAsync("p", new Dictionary<DocumentAddress, byte[]?> { [addresses[4]] = null, [addresses[1]] = [1, 2] }, default);
            await write.SaveCheckpointAsync("p", new ProjectionCheckpoint(1, 12, 120), default);
            // Not committed: disposed, so rolled back.
        }

        await using (var read = await store.BeginReadAsync(default))
        {
            Assert.Equal(new ProjectionCheckpoint(1, 10, 100), await read.ReadCheckpointAsync("p", default));
            Assert.Equal(["B", "gone", "z", "é"], await read.ListAsync("p", "acme", "system", default).Select(d => d.Key).ToListAsync());
            Assert.Equal(
                [("Zed", "k"), ("acme", "B"), ("acme", "gone"), ("acme", "z"), ("acme", "é")],
                await read.ScanAsync("p", default).Select(d => (d.Address.TenantId, d.Address.Key)).ToListAsync());
            Assert.Null(await read.GetAsync("p", new DocumentAddress("other", "system", "z"), default));
        }

        await using (var write = await store.BeginWriteAsync(default))
        {
            await write.WriteDocumentsAsync("p", new Dictionary<DocumentAddress, byte[]?> { [addresses[4]] = null, [addresses[1]] = [1, 2] }, default);
            await write.SaveCheckpointAsync("p", new ProjectionCheckpoint(2, 12, 120), default);
            await write.CommitAsync(default);
        }

        Assert.Equal(new ProjectionCheckpoint(2, 12, 120), await store.ReadCheckpointAsync("p", default));
        Assert.Equal([("p", new ProjectionCheckpoint(2, 12, 120))], await store.ReadCheckpointsAsync(default));
        await using (var read = await store.BeginReadAsync(default))
        {
            Assert.Equal(new byte[] { 1, 2 }, await read.GetAsync("p", addresses[1], default));
            Assert.Null(await read.GetAsync("p", addresses[4], default));
        }

        await using (var write = await store.BeginWriteAsync(default))
        {
            await write.ClearAsync("p", default);
            await write.CommitAsync(default);
        }

        Assert.Null(await store.ReadCheckpointAsync("p", default));
    }

    [Fact]
    public async Task ProjectionRead_IsOneSnapshot_WhileAnotherWriteCommits()
    {
        var engine = await fixture.CreateEngineAsync();
        var address = new DocumentAddress("acme", "system", "k");
        await WriteAsync(engine, address, [1], 1);

        await using var read = await engine.Projections.BeginReadAsync(default);
        Assert.Equal(new ProjectionCheckpoint(1, 1, 0), await read.ReadCheckpointAsync("p", default));
        await WriteAsync(engine, address, [2], 2);

        Assert.Equal(new byte[] { 1 }, await read.GetAsync("p", address, default));
        Assert.Equal(1, (await read.ReadCheckpointAsync("p", default))!.Value.Position);
        Assert.Equal(2, (await engine.Projections.ReadCheckpointAsync("p", default))!.Value.Position);
    }

    [Fact]
    public async Task ReadHeads_GivesBothHeadsOfOneSnapshot()
    {
        var engine = await fixture.CreateEngineAsync();
        var empty = await engine.Events.ReadHeadsAsync(default);
        await using var writer = engine.OpenWriter();
        await using (var batch = await writer.BeginAsync(default))
        {
            var appender = new SeamAppender(batch, T0);
            await appender.AppendAsync("s", null, Drafts("a", "b"));
            await appender.RecordOutcomeAsync("cmd", "h");
            await batch.CommitAsync(default);
        }

        var heads = await engine.Events.ReadHeadsAsync(default);

        Assert.Equal((0L, LogChain.Genesis, (string?)null, 0L, LogChain.Genesis), (empty.Position, empty.RowHash, empty.HeadEventType, empty.OutcomesSeq, empty.OutcomesHash));
        Assert.Equal(2, heads.Position);
        Assert.Equal("core.TestHappened", heads.HeadEventType);
        Assert.Equal(1, heads.OutcomesSeq);
        Assert.Equal((await engine.Events.RowHashesAtAsync([2], default))[2], heads.RowHash);
        Assert.Equal((await engine.Events.OutcomeHashesAtAsync([1], default))[1], heads.OutcomesHash);
    }

    [Fact]
    public void Description_NamesHostAndDatabase_NeverThePassword()
    {
        using var engine = PostgresEngine.Create("Host=db1.internal;Port=5433;Database=ops;Username=ops;Password=hunter2");

        Assert.Equal("postgres://db1.internal:5433/ops", engine.Description);
        Assert.Equal("postgres", engine.Provider);
        Assert.False(engine.IsInMemory);
        Assert.Equal(ReasonCodes.BadRequest, OpsReason(() => PostgresEngine.Create("Host=x;Nonsense Keyword=1")));
    }

    /// <summary>P0001's Down as EF Core would run it.</summary>
    private static string DownSql() =>
        string.Join(";\n", new Ops.Storage.PostgreSQL.Migrations.P0001_InitialLog().DownOperations.OfType<Microsoft.EntityFrameworkCore.Migrations.Operations.SqlOperation>().Select(o => o.Sql));

    internal static IReadOnlyList<EventEnvelope> Drafts(params string[] natives) =>
        [.. natives.Select(n => TestEvents.Draft(n, new { n }, T0))];

    internal static async Task<IReadOnlyList<AppendedEvent>> AppendAsync(IStorageEngine engine, string stream, IReadOnlyList<EventEnvelope> drafts, long? expectedVersion = null)
    {
        await using var writer = engine.OpenWriter();
        await using var batch = await writer.BeginAsync(default);
        var appended = await new SeamAppender(batch, T0).AppendAsync(stream, expectedVersion, drafts);
        await batch.CommitAsync(default);
        return appended;
    }

    private static async Task WriteAsync(IStorageEngine engine, DocumentAddress address, byte[] document, long position)
    {
        await using var write = await engine.Projections.BeginWriteAsync(default);
        await write.WriteDocumentsAsync("p", new Dictionary<DocumentAddress, byte[]?> { [address] = document }, default);
        await write.SaveCheckpointAsync("p", new ProjectionCheckpoint(1, position, 0), default);
        await write.CommitAsync(default);
    }

    private static string Native(LoggedEvent e) => e.Envelope.Payload.GetProperty(e.Envelope.Payload.TryGetProperty("n", out _) ? "n" : "v").ToString();

    private static ChainRow Row(long position, string stream, long version, string native) =>
        new(position, Convert.FromHexString(TestEvents.Draft(native, new { native }, T0).EventId), stream, version, "core.TestHappened", T0.UtcTicks, "test:source", null, [0x7b, 0x7d]);

    private static string OpsReason(Action action) => Assert.Throws<OpsException>(action).Code;

    private static async Task<long> LockWaitersAsync(PostgresEngine engine)
    {
        await using var admin = await PostgresFixture.AdminAsync(engine);
        return (long)(await ScalarAsync(admin, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        // Polls server state (pg_locks), bounded: the condition, not a sleep, is the synchronisation.
        for (var i = 0; i < 2_000 && !await condition(); i++)
        {
            await Task.Yield();
        }

        Assert.True(await condition());
    }

    internal static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    internal static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
