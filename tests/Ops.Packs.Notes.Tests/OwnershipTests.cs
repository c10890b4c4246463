using System.Text.Json;
using Ops.Packs.Notes.Contracts;

namespace Ops.Packs.Notes.Tests;

/// <summary>Notes belong to one tenant and user; nobody else can change, read, list or even detect them.</summary>
public sealed class OwnershipTests
{
    [Fact]
    public async Task UpdateNote_AnotherUsersNote_IsRejectedLikeAMissingNoteAndAppendsNothing()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var eve = await k.AddUserAsync("eve");
        var noteId = await k.CreateNoteAsync(bob, "Bob's");
        k.Time.Advance(TimeSpan.FromSeconds(1));
        var head = await k.HeadAsync();

        var foreign = await k.UpdateAsync(eve, noteId, new UpdateNote("Eve was here"));
        var missing = await k.UpdateAsync(eve, "0123456789abcdef0123456789abcdef", new UpdateNote("Eve was here"));

        Assert.Equal(NoteRejections.NoteNotFound, foreign.ReasonCode);
        Assert.Equal(missing.ReasonCode, foreign.ReasonCode);
        Assert.Equal(head, await k.HeadAsync());
        Assert.Equal("Bob's", (await k.GetAsync(bob, noteId))?.Title);
    }

    [Fact]
    public async Task DeleteNote_AnotherUsersNote_IsRejectedAsNotFoundAndNoteStays()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var eve = await k.AddUserAsync("eve");
        var noteId = await k.CreateNoteAsync(bob, "Bob's");
        k.Time.Advance(TimeSpan.FromSeconds(1));
        var head = await k.HeadAsync();

        var outcome = await k.DeleteAsync(eve, noteId);

        Assert.Equal(NoteRejections.NoteNotFound, outcome.ReasonCode);
        Assert.Equal(head, await k.HeadAsync());
        Assert.NotNull(await k.GetAsync(bob, noteId));
    }

    [Fact]
    public async Task GetNote_AnotherUsersNote_ReturnsNull()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var eve = await k.AddUserAsync("eve");
        var noteId = await k.CreateNoteAsync(bob, "Bob's");

        Assert.NotNull(await k.GetAsync(bob, noteId));
        Assert.Null(await k.GetAsync(eve, noteId));
    }

    [Fact]
    public async Task ListNotes_TwoUsers_EachSeesOnlyTheirOwn()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var eve = await k.AddUserAsync("eve");
        var bobs = await k.CreateNoteAsync(bob, "Bob 1");
        var eves = await k.CreateNoteAsync(eve, "Eve 1");

        Assert.Equal([bobs], (await k.ListAsync(bob)).Select(n => n.NoteId));
        Assert.Equal([eves], (await k.ListAsync(eve)).Select(n => n.NoteId));
    }

    [Fact]
    public async Task UpdateNote_ActorOfAnotherTenant_IsRejectedAsNotFound()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var carol = await k.AddUserOfTenantAsync("carol", "globex");
        var noteId = await k.CreateNoteAsync(bob, "Acme only");
        k.Time.Advance(TimeSpan.FromSeconds(1));
        var head = await k.HeadAsync();

        var update = await k.UpdateAsync(carol, noteId, new UpdateNote("Globex"));
        var delete = await k.DeleteAsync(carol, noteId);

        Assert.Equal(NoteRejections.NoteNotFound, update.ReasonCode);
        Assert.Equal(NoteRejections.NoteNotFound, delete.ReasonCode);
        Assert.Equal(head, await k.HeadAsync());
        Assert.Empty(await k.ListAsync(carol, tenantId: "globex"));
    }

    [Fact]
    public async Task Queries_SameUserIdUnderAnotherTenantScope_SeeNothing()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var noteId = await k.CreateNoteAsync(bob, "Acme only");

        Assert.Null(await k.GetAsync(bob, noteId, tenantId: "globex"));
        Assert.Empty(await k.ListAsync(bob, tenantId: "globex"));
    }

    [Fact]
    public async Task CreateNote_ByAnotherTenantsActor_BelongsToThatTenant()
    {
        await using var k = await NotesKernel.StartAsync();
        var carol = await k.AddUserOfTenantAsync("carol", "globex");

        var noteId = await k.CreateNoteAsync(carol, "Globex note");

        var note = await k.GetAsync(carol, noteId, tenantId: "globex");
        Assert.Equal("globex", note?.TenantId);
        Assert.Equal("carol", note?.UserId);
    }

    [Theory]
    [InlineData(NoteNames.ListNotesRoute, """{"user_id":"bob"}""")]
    [InlineData(NoteNames.ListNotesRoute, """{"tenant_id":"acme"}""")]
    [InlineData(NoteNames.GetNoteRoute, """{"note_id":"0123456789abcdef0123456789abcdef","user_id":"bob"}""")]
    public async Task Queries_ArgumentsNameAUserOrTenant_AreRefused(string route, string arguments)
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var eve = await k.AddUserAsync("eve");
        await k.CreateNoteAsync(bob, "Bob's");
        using var json = JsonDocument.Parse(arguments);

        var refused = await Assert.ThrowsAsync<Ops.Core.Errors.OpsException>(() => k.QueryAsync(route, json.RootElement, eve));
        Assert.Equal(Ops.Core.Errors.ReasonCodes.BadRequest, refused.Code);
    }
}
