using Ops.Core.Consent;
using Ops.Core.Envelopes;
using Ops.Packs.Notes.Contracts;

namespace Ops.Packs.Notes.Tests;

public sealed class ConsentFlowTests
{
    [Fact]
    public async Task UpdateNote_ByTitleMatchingTwoNotes_ProposesBothInterpretationsNoneChosen()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var older = await k.CreateNoteAsync(bob, "Plan", "first");
        k.Time.Advance(TimeSpan.FromMinutes(1));
        var newer = (await k.CreateAsync(bob, new CreateNote("Plan", "second", NoteContentTypes.Markdown, null), idempotencyKey: "plan-2")).CommandId[..32];
        await k.CreateNoteAsync(bob, "Other");
        var head = await k.HeadAsync();

        var proposed = await k.Harness.ProposeAsync(NoteNames.UpdateNote, NoteNames.TitleTargetPrefix + "Plan", new UpdateNote(Content: "changed"), bob);

        var interpretations = proposed.Proposal!.Interpretations;
        Assert.Equal(2, interpretations.Count);
        Assert.Contains(newer, interpretations[0].Label, StringComparison.Ordinal);
        Assert.Contains(older, interpretations[1].Label, StringComparison.Ordinal);
        Assert.True(interpretations[0].Confidence > interpretations[1].Confidence);
        Assert.All(interpretations, i => Assert.Contains(i.Preview, c => c.Path == "/content" && c.After.GetString() == "changed"));
        Assert.Equal(head, await k.HeadAsync());

        // The signer picks the older note; only that one changes.
        var chosen = interpretations[1];
        var result = await k.Harness.CommitAsync(proposed.Proposal, chosen, k.Harness.Sign(chosen, "bob"), bob);

        Assert.True(result.Outcome.IsAccepted, result.Outcome.Reason);
        Assert.Equal("changed", (await k.GetAsync(bob, older))!.Content);
        Assert.Equal("second", (await k.GetAsync(bob, newer))!.Content);
    }

    [Fact]
    public async Task UpdateNote_ByTitleOfOtherUsersNote_NotFound()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var alice = await k.AddUserAsync("alice");
        await k.CreateNoteAsync(alice, "Secret");

        var proposed = await k.Harness.ProposeAsync(NoteNames.UpdateNote, NoteNames.TitleTargetPrefix + "Secret", new UpdateNote(Content: "x"), bob);

        Assert.Equal(NoteRejections.NoteNotFound, proposed.Rejection?.ReasonCode);
    }

    [Fact]
    public async Task UpdateNote_ByTitleWithNothingToChange_SaysNoChangeNotNotFound()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        await k.CreateNoteAsync(bob, "Same", "body");

        var proposed = await k.Harness.ProposeAsync(NoteNames.UpdateNote, NoteNames.TitleTargetPrefix + "Same", new UpdateNote(Content: "body"), bob);

        Assert.Equal(NoteRejections.NoChange, proposed.Rejection?.ReasonCode);
    }

    [Fact]
    public async Task EveryCommandEvent_HasAConsentRecordAndAnAuditRecord()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var noteId = await k.CreateNoteAsync(bob, "Invariant");
        await k.UpdateAsync(bob, noteId, new UpdateNote("Invariant 2"));
        await k.DeleteAsync(bob, noteId);

        var events = (await k.Harness.Kernel.EventLog.ReadAsync(0, 10_000, CancellationToken.None)).Select(e => e.Envelope).ToList();
        var consented = events.Where(e => e.EventType == ConsentEventTypes.ConsentRecorded).Select(e => e.PayloadAs<ConsentRecorded>().CommandId).ToHashSet();
        var audited = events.Where(e => e.EventType == ConsentEventTypes.MutationCommitted).Select(e => e.PayloadAs<MutationCommitted>()).ToDictionary(a => a.CommandId);
        var commandEvents = events.Where(e => e.CausationType == CausationType.Command && e.EventType is not ConsentEventTypes.ConsentRecorded and not ConsentEventTypes.MutationCommitted).ToList();

        Assert.Equal(6, commandEvents.Count); // bob: actor, signer key, capability; the note: create, update, delete
        Assert.All(commandEvents, e =>
        {
            Assert.Contains(e.CausationId!, consented);
            Assert.Contains(e.EventId, audited[e.CausationId!].EventIds);
        });
    }
}
