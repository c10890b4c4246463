using Npgsql;
using Ops.Core.Log.Integrity;
using Ops.Storage.PostgreSQL;
using Ops.TestSupport;

namespace Ops.Core.Tests.Storage.Postgres;

/// <summary>
/// Issue 8 item 5, from the attacker's side, on PostgreSQL: a superuser runs every statement form PostgreSQL offers
/// that could change or remove a row of an append-only table. The database refuses each (the SQLSTATE says
/// which refusal), and both tables are byte for byte what they were. What the table's owner can still do (disable
/// a trigger, drop with CASCADE, append a forged row) is shown to be caught by the chain.
/// </summary>
[RequiresPostgres]
public sealed class PostgresAppendOnlyStatementTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const string EventColumns = "position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash";
    private const string OutcomeColumns = "command_id, content_hash, command_type, status, outcome, decided_at, seq, prev_hash, row_hash";
    private const string Refused = PostgresSqlStates.AppendOnlyRefused;
    private const string Unique = PostgresSqlStates.UniqueViolation;
    private const string Dependents = "2BP01";

    public static TheoryData<string, string> Statements() => new()
    {
        { "UPDATE events SET envelope = envelope WHERE position = 1", Refused },
        { "UPDATE events SET position = 99 WHERE position = 1", Refused },
        { "DELETE FROM events WHERE position = (SELECT max(position) FROM events)", Refused },
        { "TRUNCATE events", Refused },
        { "TRUNCATE events, command_outcomes RESTART IDENTITY CASCADE", Refused },
        // UPSERT: DO UPDATE fires the row's UPDATE trigger.
        { $"INSERT INTO events ({EventColumns}) SELECT {EventColumns} FROM events WHERE position = 1 ON CONFLICT (position) DO UPDATE SET source_ref = 'forged'", Refused },
        { $"INSERT INTO events ({EventColumns}) SELECT max(position) OVER () + 1, event_id, 'x', 1, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash FROM events WHERE position = 1 ON CONFLICT (event_id) DO UPDATE SET envelope = excluded.envelope", Refused },
        // A plain INSERT of a taken position, event_id or (stream_id, stream_version).
        { $"INSERT INTO events ({EventColumns}) SELECT {EventColumns} FROM events WHERE position = 1", Unique },
        { $"INSERT INTO events ({EventColumns}) SELECT 100, event_id, 'x', 1, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash FROM events WHERE position = 1", Unique },
        { $"INSERT INTO events ({EventColumns}) SELECT 100, sha256(event_id), stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash FROM events WHERE position = 1", Unique },
        // MERGE: WHEN MATCHED THEN UPDATE / DELETE fire the row triggers.
        { "MERGE INTO events e USING (SELECT 1 AS p) s ON e.position = s.p WHEN MATCHED THEN UPDATE SET source_ref = 'forged'", Refused },
        { "MERGE INTO events e USING (SELECT 1 AS p) s ON e.position = s.p WHEN MATCHED THEN DELETE", Refused },
        { "MERGE INTO command_outcomes o USING (SELECT 1 AS s) s ON o.seq = s.s WHEN MATCHED THEN UPDATE SET status = 'rejected'", Refused },
        // DDL that would remove or rewrite a chained column: the dependent view stands in the way (without CASCADE).
        { "ALTER TABLE events DROP COLUMN envelope", Dependents },
        { "ALTER TABLE events DROP COLUMN row_hash", Dependents },
        { "ALTER TABLE events ALTER COLUMN source_ref TYPE varchar(3)", "0A000" },
        { "ALTER TABLE command_outcomes DROP COLUMN outcome", Dependents },
        { "UPDATE command_outcomes SET status = 'accepted'", Refused },
        { "DELETE FROM command_outcomes", Refused },
        { "TRUNCATE command_outcomes", Refused },
        { $"INSERT INTO command_outcomes ({OutcomeColumns}) SELECT {OutcomeColumns} FROM command_outcomes WHERE seq = 1 ON CONFLICT (command_id) DO UPDATE SET status = 'rejected'", Refused },
        { $"INSERT INTO command_outcomes ({OutcomeColumns}) SELECT 'forged', content_hash, command_type, status, outcome, decided_at, seq, prev_hash, row_hash FROM command_outcomes WHERE seq = 1", Unique },
        // An unchained outcome (no seq) would sit outside every integrity check.
        { "INSERT INTO command_outcomes (command_id, content_hash, command_type, status, outcome, decided_at) VALUES ('forged', 'h', 't', 'accepted', '\\x7b7d', 0)", "23502" },
    };

    [Theory]
    [MemberData(nameof(Statements))]
    public async Task Statement_ThatWouldChangeOrRemoveARow_IsRefusedByTheDatabase(string sql, string sqlState)
    {
        var (engine, admin) = await SeededAsync();
        await using var _ = admin;
        var before = await SnapshotAsync(admin);

        var error = await Assert.ThrowsAsync<PostgresException>(() => PostgresEngineTests.ExecuteAsync(admin, sql));

        Assert.Equal(sqlState, error.SqlState);
        Assert.Equal(before, await SnapshotAsync(admin));
        Assert.True(await VerifiesAsync(engine));
    }

    [Fact]
    public async Task Copy_OfATakenPosition_IsRefused()
    {
        var (engine, admin) = await SeededAsync();
        await using var _ = admin;
        var before = await SnapshotAsync(admin);

        var error = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var export = await admin.BeginRawBinaryCopyAsync($"COPY (SELECT {EventColumns} FROM events WHERE position = 1) TO STDOUT (FORMAT binary)");
            using var bytes = new MemoryStream();
            await export.CopyToAsync(bytes);
            await export.DisposeAsync();
            await using var import = await admin.BeginRawBinaryCopyAsync($"COPY events ({EventColumns}) FROM STDIN (FORMAT binary)");
            await import.WriteAsync(bytes.ToArray());
        });

        Assert.Equal(Unique, error.SqlState);
        Assert.Equal(before, await SnapshotAsync(admin));
        Assert.True(await VerifiesAsync(engine));
    }

    [Fact]
    public async Task InsertOnConflictDoNothing_OfATakenRow_ChangesNothing()
    {
        var (engine, admin) = await SeededAsync();
        await using var _ = admin;
        var before = await SnapshotAsync(admin);

        await PostgresEngineTests.ExecuteAsync(admin, $"INSERT INTO events ({EventColumns}) SELECT position, event_id, stream_id, stream_version, 'core.Forged', occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash FROM events WHERE position = 1 ON CONFLICT DO NOTHING");

        Assert.Equal(before, await SnapshotAsync(admin));
        Assert.True(await VerifiesAsync(engine));
    }

    /// <summary>What the database lets its owner do: each is caught by the chain from position 1.</summary>
    public static TheoryData<string, long> OwnerTampering() => new()
    {
        // Triggers switched off, then an edit.
        { "ALTER TABLE events DISABLE TRIGGER events_refuse_change; UPDATE events SET source_ref = 'forged' WHERE position = 2", 2 },
        // (Removing the tail row is a truncation: only the signed checkpoints see that, CheckpointTests.)
        { "ALTER TABLE events DISABLE TRIGGER USER; DELETE FROM events WHERE position = 1", 1 },
        { "SET session_replication_role = replica; UPDATE events SET envelope = envelope || '\\x20'::bytea WHERE position = 1", 1 },
        // A forged row appended at the tail, through INSERT, MERGE or COPY alike: its hash does not link.
        { $"INSERT INTO events ({EventColumns}) SELECT 3, sha256(event_id), 'forged', 1, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash FROM events WHERE position = 1", 3 },
        { $"MERGE INTO events e USING (SELECT * FROM events WHERE position = 2) s ON e.position = s.position + 1 WHEN NOT MATCHED THEN INSERT ({EventColumns}) VALUES (3, sha256(s.event_id), 'forged', 1, s.event_type, s.occurred_at, s.source_ref, s.source_sequence, s.envelope, s.row_hash, s.row_hash)", 3 },
        // A chained column dropped with CASCADE (and its dependent view with it).
        { "ALTER TABLE events DROP COLUMN source_sequence CASCADE", 1 },
    };

    [Theory]
    [MemberData(nameof(OwnerTampering))]
    public async Task Tampering_TheDatabaseLetsItsOwnerDo_IsCaughtByTheChain(string sql, long brokenAt)
    {
        var (engine, admin) = await SeededAsync();
        await using var _ = admin;

        await PostgresEngineTests.ExecuteAsync(admin, sql);

        var scanner = new ChainScanner();
        try
        {
            await engine.Events.ScanChainAsync(scanner, 1, long.MaxValue, null, default);
            Assert.Equal(brokenAt, scanner.BrokenAt);
        }
        catch (PostgresException ex) when (ex.SqlState == "42703")
        {
            // undefined_column: the chain cannot even be read, which verify reports as a failure, not a pass.
            Assert.Equal(1, brokenAt);
        }
    }

    private async Task<(PostgresEngine Engine, NpgsqlConnection Admin)> SeededAsync()
    {
        var engine = await fixture.CreateEngineAsync();
        await using (var writer = engine.OpenWriter())
        {
            await using var batch = await writer.BeginAsync(default);
            var appender = new SeamAppender(batch, new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
            await appender.AppendAsync("s", null, PostgresEngineTests.Drafts("a", "b"));
            await appender.RecordOutcomeAsync("cmd-1", "h1");
            await appender.RecordOutcomeAsync("cmd-2", "h2");
            await batch.CommitAsync(default);
        }

        return (engine, await PostgresFixture.AdminAsync(engine));
    }

    private static async Task<bool> VerifiesAsync(PostgresEngine engine)
    {
        var scanner = new ChainScanner();
        await engine.Events.ScanChainAsync(scanner, 1, long.MaxValue, null, default);
        return scanner.Result().IsValid && scanner.RowsChecked == 2;
    }

    private static async Task<string> SnapshotAsync(NpgsqlConnection connection) =>
        (string)(await PostgresEngineTests.ScalarAsync(connection, $"""
            SELECT (SELECT string_agg(concat_ws('|', {EventColumns}), ',' ORDER BY position) FROM events)
                || '|o|' || (SELECT string_agg(concat_ws('|', {OutcomeColumns}), ',' ORDER BY seq) FROM command_outcomes)
                || '|s|' || (SELECT string_agg(table_name || '.' || column_name || ':' || data_type, ',' ORDER BY table_name, ordinal_position) FROM information_schema.columns WHERE table_schema = 'public')
            """))!;
}
