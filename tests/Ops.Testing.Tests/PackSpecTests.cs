using Ops.Core.Errors;
using Ops.Core.Packs;
using Ops.Packs.Notes;
using Ops.Packs.Notes.Contracts;

namespace Ops.Testing.Tests;

public sealed class PackSpecTests
{
    private const string NoteId = "0123456789abcdef0123456789abcdef";

    private static NoteCreated Created(PackSpec spec, string title) =>
        new(NoteId, "acme", "system", spec.Caller.Id, title, "body", NoteContentTypes.Markdown, [], new NoteSource(NoteSource.User), spec.Time.GetUtcNow(), "test");

    [Fact]
    public async Task WhenAsync_AcceptedCommand_ItsEventsJoinTheStreamsForTheNextCommand()
    {
        var spec = new PackSpec(new NotesPack(), NoteNames.PackId).As("bob");

        var created = await spec.WhenAsync(NoteNames.CreateNote, NoteNames.NewNoteTarget, new CreateNote("Plan", "steps"));
        var target = Assert.Single(created.Events).StreamKey;
        spec.Time.Advance(TimeSpan.FromSeconds(1));
        var updated = await spec.WhenAsync(NoteNames.UpdateNote, target, new UpdateNote(Title: "Plan B"));

        Assert.True(created.IsAccepted);
        Assert.Equal(NoteNames.NoteCreated, created.Events[0].EventType);
        Assert.Equal(NoteNames.NoteUpdated, Assert.Single(updated.Events).EventType);
        Assert.Equal([NoteNames.NoteCreated, NoteNames.NoteUpdated], spec.Events.Select(e => e.EventType));
        Assert.All(spec.Events, e => Assert.Equal("pack.notes:" + target, e.StreamId));
        Assert.Equal([1L, 2L], spec.Events.Select(e => e.StreamVersion));
    }

    [Fact]
    public async Task ThenEvents_OtherEvents_ThrowsShowingBothAsJson()
    {
        var spec = new PackSpec(new NotesPack(), NoteNames.PackId).As("bob");
        spec.Given(NoteNames.TargetOf(NoteId), Created(spec, "Draft"));
        var outcome = await spec.WhenAsync(NoteNames.DeleteNote, NoteNames.TargetOf(NoteId), new DeleteNote());
        var wrong = new NoteDeleted(NoteId, "acme", "someone-else", spec.Time.GetUtcNow());

        var failure = Assert.Throws<PackSpecException>(() => outcome.ThenEvents(wrong));

        Assert.Contains("\"user_id\":\"someone-else\"", failure.Message, StringComparison.Ordinal);
        Assert.Contains("\"user_id\":\"bob\"", failure.Message, StringComparison.Ordinal);
        outcome.ThenEvents(wrong with { UserId = "bob" });
    }

    [Fact]
    public async Task ThenRejected_AcceptedCommand_ThrowsNamingWhatHappened()
    {
        var spec = new PackSpec(new NotesPack(), NoteNames.PackId).As("bob");
        var outcome = await spec.WhenAsync(NoteNames.CreateNote, NoteNames.NewNoteTarget, new CreateNote("Plan", "steps"));

        var failure = Assert.Throws<PackSpecException>(() => outcome.ThenRejected(NoteRejections.InvalidTitle));

        Assert.Contains("accepted with pack.notes.notes.NoteCreated", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenAsync_PayloadWithUnknownMember_IsRejectedByTheKernelBeforeTheHandler()
    {
        var spec = new PackSpec(new NotesPack(), NoteNames.PackId).As("bob");

        var outcome = await spec.WhenAsync(NoteNames.CreateNote, NoteNames.NewNoteTarget, new { title = "T", content = "C", tenant_id = "globex" });

        outcome.ThenRejected(ReasonCodes.InvalidPayload);
        Assert.Null(outcome.Decision);
        Assert.Empty(spec.Events);
    }

    [Fact]
    public async Task WhenAsync_RejectedCommand_AppendsNothing()
    {
        var spec = new PackSpec(new NotesPack(), NoteNames.PackId).As("bob");

        (await spec.WhenAsync(NoteNames.CreateNote, NoteNames.NewNoteTarget, new CreateNote("", "x"))).ThenRejected(NoteRejections.InvalidTitle);

        Assert.Empty(spec.Events);
    }

    [Fact]
    public void Given_PayloadThatIsNotARegisteredEvent_Throws()
    {
        var spec = new PackSpec(new NotesPack(), NoteNames.PackId);

        var failure = Assert.Throws<ArgumentException>(() => spec.Given(NoteNames.TargetOf(NoteId), new CreateNote("Not", "an event")));

        Assert.Contains("CreateNote is not an event type registered by pack 'notes'", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhenAsync_HandlerEmitsAnUnregisteredEvent_ThrowsAsTheKernelWouldRefuse()
    {
        var spec = new PackSpec(new LeakyPack(), "leaky");

        var failure = await Assert.ThrowsAsync<PackSpecException>(() => spec.WhenAsync("pack.leaky.things.Poke", null, new Poke("1")));

        Assert.Contains("Unregistered", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_PackRegisteringAnotherPacksName_IsRefusedAsAtLoad()
    {
        var failure = Assert.Throws<PackLoadException>(() => new PackSpec(new SquatterPack(), "squatter"));

        Assert.Contains("pack.notes.notes.Poked", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DocumentsAndQueries_AreScopedToTheCallersTenant()
    {
        var spec = new PackSpec(new NotesPack(), NoteNames.PackId).As("bob");
        spec.Given(NoteNames.TargetOf(NoteId), Created(spec, "Acme's"));
        spec.As("bob", tenantId: "globex");

        Assert.Null(await spec.DocumentAsync<NoteDocument>(NoteNames.NoteIndex, NoteId));
        Assert.Null(await spec.QueryAsync<NoteDocument>(NoteNames.GetNoteRoute, new GetNote(NoteId)));
        Assert.Equal("Acme's", (await spec.As("bob").DocumentAsync<NoteDocument>(NoteNames.NoteIndex, NoteId))?.Title);
        await Assert.ThrowsAsync<PackSpecException>(() => spec.ThenDocumentAsync<NoteDocument>(NoteNames.NoteIndex, NoteId, null));
    }
}
