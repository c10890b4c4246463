using Ops.Core.Envelopes;
using Ops.Packs.Notes.Contracts;

namespace Ops.Packs.Notes.Tests;

public sealed class DeleteNoteTests
{
    [Fact]
    public async Task DeleteNote_OwnNote_AppendsTombstoneAndLogKeepsNoteCreated()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var noteId = await k.CreateNoteAsync(bob, "Ephemeral", "secret-ish");
        var createdEvent = Assert.Single(await k.StreamAsync(noteId));
        k.Time.Advance(TimeSpan.FromSeconds(1));

        var outcome = await k.DeleteAsync(bob, noteId);

        Assert.True(outcome.IsAccepted, outcome.Reason);
        var stream = await k.StreamAsync(noteId);
        Assert.Equal(2, stream.Count);
        Assert.Equal(createdEvent.EventId, stream[0].EventId);
        Assert.Equal(createdEvent.PayloadHash, stream[0].PayloadHash);
        Assert.Equal("Ephemeral", stream[0].PayloadAs<NoteCreated>().Title);
        Assert.Equal(NoteNames.NoteDeleted, stream[1].EventType);
        Assert.Equal(new NoteDeleted(noteId, "acme", "bob", k.Time.GetUtcNow()), stream[1].PayloadAs<NoteDeleted>());
        Assert.True((await k.Harness.Kernel.EventLog.VerifyAsync(null, CancellationToken.None)).IsValid);
    }

    [Fact]
    public async Task DeleteNote_OwnNote_AppendsTheTombstone()
    {
        var spec = NoteSpecs.Start();
        spec.Given(NoteSpecs.Target, NoteSpecs.Created(spec, "Ephemeral"));
        spec.Time.Advance(TimeSpan.FromSeconds(1));

        var outcome = await spec.WhenAsync(NoteNames.DeleteNote, NoteSpecs.Target, new DeleteNote());

        outcome.ThenEventsOn(NoteSpecs.Target, new NoteDeleted(NoteSpecs.NoteId, "acme", "bob", spec.Time.GetUtcNow()));
    }

    [Fact]
    public async Task DeleteNote_Twice_SecondIsRejectedAsNotFound()
    {
        var spec = NoteSpecs.Start();
        spec.Given(NoteSpecs.Target, NoteSpecs.Created(spec, "Once"));
        (await spec.WhenAsync(NoteNames.DeleteNote, NoteSpecs.Target, new DeleteNote())).ThenEvents(new NoteDeleted(NoteSpecs.NoteId, "acme", "bob", spec.Time.GetUtcNow()));

        var outcome = await spec.WhenAsync(NoteNames.DeleteNote, NoteSpecs.Target, new DeleteNote(), idempotencyKey: "del-2");

        outcome.ThenRejected(NoteRejections.NoteNotFound);
    }

    [Fact]
    public async Task DeleteNote_ResentWithoutKey_ReturnsFirstOutcomeAndAppendsNothing()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var noteId = await k.CreateNoteAsync(bob, "Dup");
        k.Time.Advance(TimeSpan.FromSeconds(1));
        var first = await k.DeleteAsync(bob, noteId);
        var head = await k.HeadAsync();
        k.Time.Advance(TimeSpan.FromSeconds(1));

        var again = await k.DeleteAsync(bob, noteId);

        Assert.Equal(CommandStatus.Accepted, again.Status);
        Assert.True(again.Replayed);
        Assert.Equal(first.EventIds, again.EventIds);
        Assert.Equal(head, await k.HeadAsync());
    }

    [Fact]
    public async Task DeleteNote_UnknownNote_IsRejectedAsNotFound()
    {
        var outcome = await NoteSpecs.Start().WhenAsync(NoteNames.DeleteNote, NoteNames.TargetOf("ffffffffffffffffffffffffffffffff"), new DeleteNote());

        outcome.ThenRejected(NoteRejections.NoteNotFound);
    }
}
