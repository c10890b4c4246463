using Microsoft.Data.Sqlite;
using Ops.Core.Envelopes;
using Ops.Core.Log;
using Ops.Testing;

namespace Ops.Core.Tests;

public sealed class EventLogTests
{
    private static async Task<IReadOnlyList<AppendedEvent>> AppendAsync(KernelHarness h, string stream, long? expected, params EventEnvelope[] drafts) =>
        await h.Kernel.Writer.ExecuteAsync((s, ct) => s.AppendAsync(stream, expected, drafts, ct), CancellationToken.None);

    [Theory]
    [InlineData("UPDATE events SET event_type = 'core.Forged' WHERE position = 1", "UPDATE refused")]
    [InlineData("DELETE FROM events WHERE position = 1", "DELETE refused")]
    [InlineData("UPDATE command_outcomes SET status = 'accepted'", "UPDATE refused")]
    [InlineData("DELETE FROM command_outcomes", "DELETE refused")]
    public async Task Database_UpdateOrDelete_RefusedByTrigger(string sql, string expected)
    {
        await using var h = await KernelHarness.StartAsync();
        await h.SendAsync("core.RegisterActor", null, new Capabilities.RegisterActor("bob", ActorKind.Human, "Bob"));
        await using var connection = new SqliteConnection($"Data Source={h.DatabasePath}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;

        var error = await Assert.ThrowsAsync<SqliteException>(() => command.ExecuteNonQueryAsync());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.True((await h.Kernel.EventLog.VerifyAsync(null, CancellationToken.None)).IsValid);
    }

    [Fact]
    public async Task Verify_RowEditedByHand_NamesThatPosition()
    {
        await using var h = await KernelHarness.StartAsync();
        var t = h.Time.GetUtcNow();
        for (var i = 0; i < 5; i++)
        {
            await AppendAsync(h, "s", null, TestEvents.Draft($"n{i}", new { i }, t.AddSeconds(i)));
        }

        Assert.True((await h.Kernel.EventLog.VerifyAsync(null, CancellationToken.None)).IsValid);
        await using (var connection = new SqliteConnection($"Data Source={h.DatabasePath};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            // An attacker with file access removes the trigger first; the chain still catches the edit.
            command.CommandText = "DROP TRIGGER events_refuse_update; UPDATE events SET source_ref = 'forged' WHERE position = 6;";
            await command.ExecuteNonQueryAsync();
        }

        var result = await h.Kernel.EventLog.VerifyAsync(null, CancellationToken.None);

        Assert.False(result.IsValid);
        Assert.Equal(6, result.FirstBrokenPosition);
        Assert.Contains("altered", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Append_ExistingEventId_ReturnsOriginalAndWritesNothing()
    {
        await using var h = await KernelHarness.StartAsync();
        var draft = TestEvents.Draft("same", new { v = 1 }, h.Time.GetUtcNow());
        var first = await AppendAsync(h, "s", null, draft);
        var head = await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None);

        var second = await AppendAsync(h, "s", null, draft with { CorrelationId = "other" });

        Assert.False(first[0].Duplicate);
        Assert.True(second[0].Duplicate);
        Assert.Equal(first[0].Event.Position, second[0].Event.Position);
        Assert.Equal("c", second[0].Event.Envelope.CorrelationId);
        Assert.Equal(head, await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Append_WrongExpectedVersion_ThrowsAndAppendsNothing()
    {
        await using var h = await KernelHarness.StartAsync();
        var t = h.Time.GetUtcNow();
        await AppendAsync(h, "s", 0, TestEvents.Draft("a", new { v = 1 }, t));
        var head = await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None);

        var error = await Assert.ThrowsAsync<StreamConcurrencyException>(() => AppendAsync(h, "s", 0, TestEvents.Draft("b", new { v = 2 }, t)));

        Assert.Equal(1, error.ActualVersion);
        Assert.Equal(head, await h.Kernel.EventLog.HeadPositionAsync(CancellationToken.None));
        var appended = await AppendAsync(h, "s", 1, TestEvents.Draft("b", new { v = 2 }, t));
        Assert.Equal(2, appended[0].Event.Envelope.StreamVersion);
    }

    [Fact]
    public async Task ReadCanonical_OrdersByOccurredAtSourceRefSequenceEventId()
    {
        await using var h = await KernelHarness.StartAsync();
        var t = h.Time.GetUtcNow().AddDays(1);
        await AppendAsync(h, "x", null, TestEvents.Draft("late", new { v = 1 }, t.AddSeconds(2), "b"));
        await AppendAsync(h, "y", null, TestEvents.Draft("seq2", new { v = 2 }, t, "a", 2));
        await AppendAsync(h, "z", null, TestEvents.Draft("seq1", new { v = 3 }, t, "a", 1));
        await AppendAsync(h, "w", null, TestEvents.Draft("srcb", new { v = 4 }, t, "b"));

        var all = new List<LoggedEvent>();
        await foreach (var e in h.Kernel.EventLog.ReadCanonicalAsync(CancellationToken.None))
        {
            all.Add(e);
        }

        var tail = all.Skip(all.Count - 4).Select(e => e.Envelope.StreamId).ToArray();
        Assert.Equal(["z", "y", "w", "x"], tail);
        var byPosition = await h.Kernel.EventLog.ReadAsync(all.Count - 4, 10, CancellationToken.None);
        Assert.Equal(["x", "y", "z", "w"], byPosition.Select(e => e.Envelope.StreamId).ToArray());
    }

    [Fact]
    public async Task Envelope_RoundTrip_KeepsEveryConstitutionField()
    {
        await using var h = await KernelHarness.StartAsync();
        var draft = TestEvents.Draft("rt", new { title = "x" }, h.Time.GetUtcNow(), sequence: 7) with
        {
            EffectiveAt = h.Time.GetUtcNow().AddDays(1),
            CausationId = "cause",
            CausationType = CausationType.UserAction,
            CapabilityId = "cap",
            CapabilityStateRef = "ref",
        };

        var stored = (await AppendAsync(h, "rt", null, draft))[0].Event.Envelope;
        var read = (await h.Kernel.EventLog.ReadStreamAsync("rt", CancellationToken.None))[0].Envelope;

        Assert.Equal(stored.EventId, read.EventId);
        Assert.Equal(draft.EffectiveAt, read.EffectiveAt);
        Assert.Equal(CausationType.UserAction, read.CausationType);
        Assert.Equal(7, read.SourceSequence);
        Assert.Equal("ref", read.CapabilityStateRef);
        Assert.Equal(1, read.StreamVersion);
        Assert.Equal(EventEnvelope.CurrentEnvelopeVersion, read.EnvelopeVersion);
        Assert.Equal(draft.Payload.GetRawText(), read.Payload.GetRawText());
    }
}
