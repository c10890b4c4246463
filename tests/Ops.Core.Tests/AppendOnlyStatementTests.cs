using Microsoft.Data.Sqlite;
using Ops.Core.Envelopes;
using Ops.Core.Log;
using Ops.Testing;

namespace Ops.Core.Tests;

/// <summary>
/// Issue 7 item 5, from the attacker's side: someone with the database file runs every SQL form SQLite
/// offers that could change or remove an existing row of an append-only table. The database itself
/// refuses each one, and both tables are byte for byte what they were.
/// </summary>
public sealed class AppendOnlyStatementTests
{
    private const string EventColumns = "position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash";
    private const string OutcomeColumns = "command_id, content_hash, command_type, status, outcome, decided_at, seq, prev_hash, row_hash";

    public static TheoryData<string> Statements() =>
    [
        // REPLACE resolution deletes the conflicting row without firing delete triggers.
        $"INSERT OR REPLACE INTO events ({EventColumns}) SELECT position, event_id, stream_id, stream_version, 'core.Forged', occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash FROM events WHERE position = 1",
        $"REPLACE INTO events ({EventColumns}) SELECT position, event_id, stream_id, stream_version, event_type, occurred_at, 'forged', source_sequence, envelope, prev_hash, row_hash FROM events WHERE position = 1",
        // A new position, but the event_id of row 1: REPLACE would delete row 1.
        $"INSERT OR REPLACE INTO events ({EventColumns}) SELECT (SELECT MAX(position) + 1 FROM events), event_id, 'x', 1, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash FROM events WHERE position = 1",
        // A new position and event_id, but row 1's (stream_id, stream_version).
        $"INSERT OR REPLACE INTO events ({EventColumns}) SELECT (SELECT MAX(position) + 1 FROM events), randomblob(32), stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash FROM events WHERE position = 1",
        // UPSERT.
        $"INSERT INTO events ({EventColumns}) SELECT position, event_id, stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash FROM events WHERE position = 1 ON CONFLICT (position) DO UPDATE SET source_ref = 'forged'",
        $"INSERT INTO events ({EventColumns}) SELECT (SELECT MAX(position) + 1 FROM events), event_id, 'x', 1, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash FROM events WHERE position = 1 ON CONFLICT (event_id) DO UPDATE SET envelope = excluded.envelope",
        $"INSERT INTO events ({EventColumns}) SELECT (SELECT MAX(position) + 1 FROM events), randomblob(32), stream_id, stream_version, event_type, occurred_at, source_ref, source_sequence, envelope, prev_hash, row_hash FROM events WHERE position = 1 ON CONFLICT DO NOTHING",
        "UPDATE OR REPLACE events SET position = 2 WHERE position = 1",
        "UPDATE events SET envelope = envelope WHERE position = 1",
        "DELETE FROM events WHERE position = (SELECT MAX(position) FROM events)",
        "ALTER TABLE events DROP COLUMN envelope",
        "ALTER TABLE events DROP COLUMN event_type",
        "ALTER TABLE events DROP COLUMN prev_hash",
        "ALTER TABLE events DROP COLUMN row_hash",
        "ALTER TABLE events DROP COLUMN source_ref",
        $"INSERT OR REPLACE INTO command_outcomes ({OutcomeColumns}) SELECT command_id, content_hash, command_type, 'accepted', outcome, decided_at, seq, prev_hash, row_hash FROM command_outcomes ORDER BY seq LIMIT 1",
        $"REPLACE INTO command_outcomes ({OutcomeColumns}) SELECT command_id, content_hash, command_type, status, x'7b7d', decided_at, seq, prev_hash, row_hash FROM command_outcomes ORDER BY seq LIMIT 1",
        // A new command_id with the seq of the first outcome.
        $"INSERT OR REPLACE INTO command_outcomes ({OutcomeColumns}) SELECT 'forged', content_hash, command_type, status, outcome, decided_at, seq, prev_hash, row_hash FROM command_outcomes ORDER BY seq LIMIT 1",
        $"INSERT INTO command_outcomes ({OutcomeColumns}) SELECT command_id, content_hash, command_type, status, outcome, decided_at, seq, prev_hash, row_hash FROM command_outcomes ORDER BY seq LIMIT 1 ON CONFLICT (command_id) DO UPDATE SET status = 'accepted'",
        // An unchained outcome (no seq) is refused too: it would sit outside every integrity check.
        "INSERT INTO command_outcomes (command_id, content_hash, command_type, status, outcome, decided_at) VALUES ('forged', 'h', 't', 'accepted', x'7b7d', 0)",
        "UPDATE OR REPLACE command_outcomes SET status = 'accepted'",
        "DELETE FROM command_outcomes",
        "ALTER TABLE command_outcomes DROP COLUMN outcome",
        "ALTER TABLE command_outcomes DROP COLUMN row_hash",
    ];

    [Theory]
    [MemberData(nameof(Statements))]
    public async Task Statement_ThatWouldChangeOrRemoveARow_IsRefusedByTheDatabase(string sql)
    {
        await using var h = await KernelHarness.StartAsync();
        await h.SendAsync("core.RegisterActor", "actor-bob", new Capabilities.RegisterActor("bob", ActorKind.Human, "Bob"));
        await using var connection = new SqliteConnection($"Data Source={h.DatabasePath};Pooling=False");
        await connection.OpenAsync();
        var before = await SnapshotAsync(connection);
        Assert.Contains("|o|", before, StringComparison.Ordinal);

        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await Assert.ThrowsAsync<SqliteException>(() => command.ExecuteNonQueryAsync());

        Assert.Equal(before, await SnapshotAsync(connection));
        Assert.True((await h.Kernel.EventLog.VerifyAsync(null, CancellationToken.None)).IsValid);
    }

    [Fact]
    public async Task Append_ReplayedEventId_StillReturnsTheOriginal_UnderTheInsertTrigger()
    {
        await using var h = await KernelHarness.StartAsync();
        var draft = TestEvents.Draft("same", new { v = 1 }, h.Time.GetUtcNow());
        var first = await h.Kernel.Writer.ExecuteAsync((s, ct) => s.AppendAsync("s", null, [draft], ct), CancellationToken.None);

        var again = await h.Kernel.Writer.ExecuteAsync((s, ct) => s.AppendAsync("other", null, [draft], ct), CancellationToken.None);

        Assert.True(again[0].Duplicate);
        Assert.Equal(first[0].Event.Position, again[0].Event.Position);
        Assert.Equal("s", again[0].Event.Envelope.StreamId);
    }

    [Fact]
    public async Task Append_StreamMovedUnderneath_IsAConcurrencyConflict_ToldByStateNotMessage()
    {
        await using var h = await KernelHarness.StartAsync();
        var t = h.Time.GetUtcNow();

        var error = await Assert.ThrowsAsync<StreamConcurrencyException>(() => h.Kernel.Writer.ExecuteAsync<bool>(
            async (session, ct) =>
            {
                // The session has seen stream "s" at version 0; then a row of "s" version 1 appears in the
                // same transaction behind its back, so its insert of version 1 meets the database's refusal.
                Assert.Equal(0, await session.StreamVersionAsync("s", ct));
                var sneaked = (await session.AppendAsync("sneak", null, [TestEvents.Draft("sneak", new { v = 0 }, t)], ct))[0].Event;
                var sqlite = (Ops.Storage.Sqlite.SqliteWriteTransaction)session.Transaction;
                await using (var move = sqlite.Connection.CreateCommand())
                {
                    move.Transaction = sqlite.Transaction;
                    move.CommandText = "DROP TRIGGER events_refuse_update; UPDATE events SET stream_id = 's', stream_version = 1 WHERE position = $p";
                    move.Parameters.AddWithValue("$p", sneaked.Position);
                    await move.ExecuteNonQueryAsync(ct);
                }

                await session.AppendAsync("s", null, [TestEvents.Draft("mine", new { v = 1 }, t)], ct);
                return true;
            },
            CancellationToken.None));

        Assert.Equal("s", error.StreamId);
        Assert.Equal(0, error.ExpectedVersion);
        Assert.Equal(1, error.ActualVersion);
    }

    [Fact]
    public async Task Outcomes_AreChainedFromSeq1()
    {
        await using var h = await KernelHarness.StartAsync();
        for (var i = 0; i < 5; i++)
        {
            Assert.True((await h.SendAsync("core.RegisterActor", $"actor-a{i}", new Capabilities.RegisterActor($"a{i}", ActorKind.Human, "A"))).IsAccepted);
        }

        await using var connection = new SqliteConnection($"Data Source={h.DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {OutcomeColumns} FROM command_outcomes ORDER BY seq";
        await using var reader = await command.ExecuteReaderAsync();
        var previous = LogChain.Genesis;
        long expected = 1;
        while (await reader.ReadAsync())
        {
            var row = new OutcomeRow(reader.GetInt64(6), reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), (byte[])reader.GetValue(4), reader.GetInt64(5));
            Assert.Equal(expected++, row.Seq);
            Assert.Equal(previous, (byte[])reader.GetValue(7));
            previous = OutcomeChain.RowHash(previous, row);
            Assert.Equal(previous, (byte[])reader.GetValue(8));
        }

        Assert.Equal(6, expected);
    }

    private static async Task<string> SnapshotAsync(SqliteConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT (SELECT group_concat(hex(position) || hex(event_id) || stream_id || stream_version || event_type || occurred_at || source_ref || IFNULL(source_sequence, '-') || hex(envelope) || hex(prev_hash) || hex(row_hash), ',') FROM (SELECT * FROM events ORDER BY position))
              || '|o|' || (SELECT group_concat(command_id || content_hash || command_type || status || hex(outcome) || decided_at || seq || hex(prev_hash) || hex(row_hash), ',') FROM (SELECT * FROM command_outcomes ORDER BY seq))
              || '|s|' || (SELECT group_concat(sql, ';') FROM (SELECT sql FROM sqlite_master ORDER BY name))
            """;
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
