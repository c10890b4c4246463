using Ops.Core.Envelopes;
using Ops.Packs.Notes.Contracts;

namespace Ops.Packs.Notes.Tests;

public sealed class UpdateNoteTests
{
    [Fact]
    public async Task UpdateNote_OwnNote_AppendsNoteUpdatedWithFullNewValues()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var noteId = await k.CreateNoteAsync(bob, "Draft", "v1", ["a"]);
        k.Time.Advance(TimeSpan.FromSeconds(5));

        var outcome = await k.UpdateAsync(bob, noteId, new UpdateNote(Content: "v2"));

        Assert.True(outcome.IsAccepted, outcome.Reason);
        var stream = await k.StreamAsync(noteId);
        Assert.Equal([NoteNames.NoteCreated, NoteNames.NoteUpdated], stream.Select(e => e.EventType));
        var updated = stream[1].PayloadAs<NoteUpdated>();
        Assert.Equal("Draft", updated.Title);
        Assert.Equal("v2", updated.Content);
        Assert.Equal(NoteContentTypes.Markdown, updated.ContentType);
        Assert.Equal(["a"], updated.Tags);
        Assert.Equal(k.Time.GetUtcNow(), updated.UpdatedAt);
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
    public async Task UpdateNote_NoFields_IsRejectedAsEmptyUpdateAndAppendsNothing()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var noteId = await k.CreateNoteAsync(bob, "Keep");
        k.Time.Advance(TimeSpan.FromSeconds(1));
        var head = await k.HeadAsync();

        var outcome = await k.UpdateAsync(bob, noteId, new UpdateNote());

        Assert.Equal(NoteRejections.EmptyUpdate, outcome.ReasonCode);
        Assert.Equal(head, await k.HeadAsync());
    }

    [Fact]
    public async Task UpdateNote_SameValuesAsCurrent_IsRejectedAsNoChange()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var noteId = await k.CreateNoteAsync(bob, "Same", "body", ["t"]);
        k.Time.Advance(TimeSpan.FromSeconds(1));
        var head = await k.HeadAsync();

        var outcome = await k.UpdateAsync(bob, noteId, new UpdateNote("Same", "body", NoteContentTypes.Markdown, ["t"]));

        Assert.Equal(NoteRejections.NoChange, outcome.ReasonCode);
        Assert.Equal(head, await k.HeadAsync());
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
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var head = await k.HeadAsync();

        var outcome = await k.UpdateAsync(bob, "0123456789abcdef0123456789abcdef", new UpdateNote("New"));

        Assert.Equal(NoteRejections.NoteNotFound, outcome.ReasonCode);
        Assert.Equal(head, await k.HeadAsync());
    }

    [Fact]
    public async Task UpdateNote_DeletedNote_IsRejectedAsNotFound()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var noteId = await k.CreateNoteAsync(bob, "Gone");
        k.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await k.DeleteAsync(bob, noteId)).IsAccepted);
        k.Time.Advance(TimeSpan.FromSeconds(1));
        var head = await k.HeadAsync();

        var outcome = await k.UpdateAsync(bob, noteId, new UpdateNote("Back"));

        Assert.Equal(NoteRejections.NoteNotFound, outcome.ReasonCode);
        Assert.Equal(head, await k.HeadAsync());
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
