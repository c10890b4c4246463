using Ops.Core.Envelopes;
using Ops.Packs.Notes.Contracts;

namespace Ops.Packs.Notes.Tests;

public sealed class UpdateNoteTests
{
    [Fact]
    public async Task UpdateNote_OwnNote_AppendsNoteUpdatedWithFullNewValues()
    {
        var spec = NoteSpecs.Start("bob");
        spec.Given(NoteSpecs.Target, NoteSpecs.Created(spec, "Draft", "v1", ["a"]));
        spec.Time.Advance(TimeSpan.FromSeconds(5));

        var outcome = await spec.WhenAsync(NoteNames.UpdateNote, NoteSpecs.Target, new UpdateNote(Content: "v2"));

        outcome.ThenEventsOn(NoteSpecs.Target, new NoteUpdated(NoteSpecs.NoteId, "acme", "bob", "Draft", "v2", NoteContentTypes.Markdown, ["a"], spec.Time.GetUtcNow()));
    }

    [Fact]
    public async Task UpdateNote_OnlyTags_KeepsOtherFieldsAndEmptyListClearsTags()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var noteId = await k.CreateNoteAsync(bob, "Tagged", "body", ["x", "y"]);
        k.Time.Advance(TimeSpan.FromSeconds(1));

        var outcome = await k.UpdateAsync(bob, noteId, new UpdateNote(Tags: []));

        Assert.True(outcome.IsAccepted, outcome.Reason);
        var note = await k.GetAsync(bob, noteId);
        Assert.NotNull(note);
        Assert.Empty(note.Tags);
        Assert.Equal("Tagged", note.Title);
        Assert.Equal("body", note.Content);
    }

    [Fact]
    public async Task UpdateNote_NoFields_IsRejectedAsEmptyUpdate()
    {
        var spec = NoteSpecs.Start();
        spec.Given(NoteSpecs.Target, NoteSpecs.Created(spec, "Keep"));

        var outcome = await spec.WhenAsync(NoteNames.UpdateNote, NoteSpecs.Target, new UpdateNote());

        outcome.ThenRejected(NoteRejections.EmptyUpdate);
    }

    [Fact]
    public async Task UpdateNote_SameValuesAsCurrent_IsRejectedAsNoChange()
    {
        var spec = NoteSpecs.Start();
        spec.Given(NoteSpecs.Target, NoteSpecs.Created(spec, "Same", "body", ["t"]));

        var outcome = await spec.WhenAsync(NoteNames.UpdateNote, NoteSpecs.Target, new UpdateNote("Same", "body", NoteContentTypes.Markdown, ["t"]));

        outcome.ThenRejected(NoteRejections.NoChange);
    }

    [Fact]
    public async Task UpdateNote_AnotherUsersNote_IsRejectedAsNotFound()
    {
        var spec = NoteSpecs.Start("eve");
        spec.Given(NoteSpecs.Target, NoteSpecs.Created(spec, "Eve's"));

        var outcome = await spec.As("bob").WhenAsync(NoteNames.UpdateNote, NoteSpecs.Target, new UpdateNote("Mine now"));

        outcome.ThenRejected(NoteRejections.NoteNotFound);
    }

    [Theory]
    [InlineData("", null, null, NoteRejections.InvalidTitle)]
    [InlineData(null, null, "pdf", NoteRejections.InvalidContentType)]
    [InlineData(null, null, NoteContentTypes.Json, NoteRejections.InvalidContent)]
    public async Task UpdateNote_InvalidResult_IsRejectedWithReasonAndAppendsNothing(string? title, string? content, string? contentType, string reasonCode)
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");

        // The current content "not json" makes a switch to content_type json invalid.
        var noteId = await k.CreateNoteAsync(bob, "Valid", "not json");
        k.Time.Advance(TimeSpan.FromSeconds(1));
        var head = await k.HeadAsync();

        var outcome = await k.UpdateAsync(bob, noteId, new UpdateNote(title, content, contentType));

        Assert.Equal(reasonCode, outcome.ReasonCode);
        Assert.Equal(head, await k.HeadAsync());
    }

    [Fact]
    public async Task UpdateNote_UnknownNote_IsRejectedAsNotFound()
    {
        var outcome = await NoteSpecs.Start().WhenAsync(NoteNames.UpdateNote, NoteSpecs.Target, new UpdateNote("New"));

        outcome.ThenRejected(NoteRejections.NoteNotFound);
    }

    [Fact]
    public async Task UpdateNote_DeletedNote_IsRejectedAsNotFound()
    {
        var spec = NoteSpecs.Start();
        spec.Given(NoteSpecs.Target, NoteSpecs.Created(spec, "Gone"), new NoteDeleted(NoteSpecs.NoteId, "acme", "bob", spec.Time.GetUtcNow()));

        var outcome = await spec.WhenAsync(NoteNames.UpdateNote, NoteSpecs.Target, new UpdateNote("Back"));

        outcome.ThenRejected(NoteRejections.NoteNotFound);
    }

    [Fact]
    public async Task UpdateNote_AtTheSameInstantAsTheLastChange_IsAcceptedAndRebuildKeepsItsOrder()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var noteId = await k.CreateNoteAsync(bob, "Fast");

        // The clock stands still: the kernel stamps the update a tick after the note's creation.
        var first = await k.UpdateAsync(bob, noteId, new UpdateNote("Faster"), idempotencyKey: "fast-1");
        var second = await k.UpdateAsync(bob, noteId, new UpdateNote("Fastest"), idempotencyKey: "fast-2");
        Assert.True(first.IsAccepted, first.Reason);
        Assert.True(second.IsAccepted, second.Reason);
        await k.Harness.Kernel.Projections.CatchUpAsync(null, CancellationToken.None);
        var live = await k.Harness.Kernel.Projections.StateHashAsync(NoteNames.NoteIndex, CancellationToken.None);

        await k.Harness.Kernel.Projections.RebuildAsync(NoteNames.NoteIndex, CancellationToken.None);

        Assert.Equal(live, await k.Harness.Kernel.Projections.StateHashAsync(NoteNames.NoteIndex, CancellationToken.None));
        var note = await (await k.Harness.Kernel.ReaderForAsync("notes", bob, CancellationToken.None)).GetAsync<NoteDocument>(NoteNames.NoteIndex, noteId, CancellationToken.None);
        Assert.Equal("Fastest", note!.Title);
    }

    [Fact]
    public async Task UpdateNote_ResentWithSameIdempotencyKey_ReturnsFirstOutcomeAndAppendsNothing()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var noteId = await k.CreateNoteAsync(bob, "Edit");
        k.Time.Advance(TimeSpan.FromSeconds(1));
        var first = await k.UpdateAsync(bob, noteId, new UpdateNote("Edited"), idempotencyKey: "edit-1");
        var head = await k.HeadAsync();
        k.Time.Advance(TimeSpan.FromSeconds(1));

        var again = await k.UpdateAsync(bob, noteId, new UpdateNote("Edited"), idempotencyKey: "edit-1");

        Assert.Equal(CommandStatus.Accepted, first.Status);
        Assert.True(again.Replayed);
        Assert.Equal(first.EventIds, again.EventIds);
        Assert.Equal(head, await k.HeadAsync());
        Assert.Equal(2, (await k.StreamAsync(noteId)).Count);
    }
}
