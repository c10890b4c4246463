using System.Text.Json;
using Microsoft.Data.Sqlite;
using Ops.Core.Commands;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Packs.Notes.Contracts;

namespace Ops.Packs.Notes.Tests;

public sealed class NoteIndexTests
{
    [Fact]
    public async Task NoteIndex_CreateUpdateDelete_DocumentFollowsEveryStep()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var createdAt = k.Time.GetUtcNow();

        var noteId = await k.CreateNoteAsync(bob, "Trip", "pack bags", ["travel"]);
        var created = await k.GetAsync(bob, noteId);

        var expected = new NoteDocument(noteId, "acme", "system", "bob", "Trip", "pack bags", NoteContentTypes.Markdown, ["travel"], new NoteSource(NoteSource.User), new NoteTimestamps(createdAt, createdAt), "test");
        Assert.NotNull(created);

        // Records compare lists by reference, so the tags are compared apart.
        Assert.Equal(expected, created with { Tags = expected.Tags });
        Assert.Equal(expected.Tags, created.Tags);

        k.Time.Advance(TimeSpan.FromMinutes(3));
        Assert.True((await k.UpdateAsync(bob, noteId, new UpdateNote(Title: "Trip to Oslo", Tags: ["travel", "oslo"]))).IsAccepted);
        var updated = await k.GetAsync(bob, noteId);

        Assert.NotNull(updated);
        Assert.Equal("Trip to Oslo", updated.Title);
        Assert.Equal("pack bags", updated.Content);
        Assert.Equal(["travel", "oslo"], updated.Tags);
        Assert.Equal(new NoteTimestamps(createdAt, createdAt.AddMinutes(3)), updated.Timestamps);

        k.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.True((await k.DeleteAsync(bob, noteId)).IsAccepted);

        Assert.Null(await k.GetAsync(bob, noteId));
        Assert.Empty(await k.ListAsync(bob));
        Assert.Equal(3, (await k.StreamAsync(noteId)).Count);
    }

    [Fact]
    public async Task NoteIndex_StateHashAfterLiveProcessing_EqualsHashAfterRebuild()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var eve = await k.AddUserAsync("eve");
        var carol = await k.AddUserOfTenantAsync("carol", "globex");
        var projections = k.Harness.Kernel.Projections;

        async Task StepAsync(Task<CommandOutcome> send)
        {
            var outcome = await send;
            Assert.True(outcome.IsAccepted, outcome.Reason);
            await k.CatchUpAsync();
        }

        // Three notes of three streams at one instant: canonical order (by source_ref) differs from log order.
        var a = await k.CreateNoteAsync(bob, "A", "a", ["x"]);
        await k.CatchUpAsync();
        var b = await k.CreateNoteAsync(eve, "B", "b");
        await k.CatchUpAsync();
        var c = await k.CreateNoteAsync(carol, "C", "c");
        await k.CatchUpAsync();
        k.Time.Advance(TimeSpan.FromSeconds(1));
        await StepAsync(k.UpdateAsync(bob, a, new UpdateNote(Content: "a2")));
        await StepAsync(k.DeleteAsync(eve, b));
        await StepAsync(k.UpdateAsync(carol, c, new UpdateNote(Tags: ["g"])));
        k.Time.Advance(TimeSpan.FromSeconds(1));
        var d = await k.CreateNoteAsync(bob, "D", """{"k":1}""");
        await k.CatchUpAsync();
        await StepAsync(k.UpdateAsync(bob, a, new UpdateNote(Title: "A2", ContentType: NoteContentTypes.Text)));
        k.Time.Advance(TimeSpan.FromSeconds(1));
        await StepAsync(k.UpdateAsync(bob, d, new UpdateNote(Content: "D2")));

        var live = await projections.StateHashAsync(NoteNames.NoteIndex, CancellationToken.None);
        await projections.RebuildAsync(NoteNames.NoteIndex, CancellationToken.None);
        var rebuilt = await projections.StateHashAsync(NoteNames.NoteIndex, CancellationToken.None);

        Assert.Equal(live, rebuilt);
        Assert.Equal(["A2", "D"], (await k.ListAsync(bob)).Select(n => n.Title).Order(StringComparer.Ordinal));
        Assert.Empty(await k.ListAsync(eve));
        Assert.Equal(["g"], (await k.GetAsync(carol, c, tenantId: "globex"))?.Tags);
    }

    [Fact]
    public async Task NoteIndex_Documents_AreStoredOnTheNotesStoreRouteOnly()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        await k.CreateNoteAsync(bob, "Routed");
        await k.CatchUpAsync();

        Assert.Equal(1, CountDocuments(Path.Combine(k.Harness.Directory, "notes.db")));
        Assert.Equal(0, CountDocuments(k.Harness.DatabasePath));
    }

    [Fact]
    public async Task NoteIndex_Document_HasTheSeed001ShapeInSnakeCase()
    {
        await using var k = await NotesKernel.StartAsync();

        // An agent in a project and run, so that every optional field has a value.
        var agent = await k.AddUserAsync("helper-agent", ActorKind.Agent);
        var outcome = await k.SendWithScopeAsync(agent, NoteNames.CreateNote, NoteNames.NewNoteTarget, new CreateNote("Shape", "x", Tags: ["t"]), new IdentityScope("acme", "system", "helper-agent", "test", "proj-a", "run-1"));
        var note = await k.GetAsync(agent, NotesKernel.NoteIdOf(outcome));

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(note, OpsJson.Options));
        var root = json.RootElement;

        Assert.Equal(
            ["content", "content_type", "mode", "note_id", "project_id", "source", "surface_id", "tags", "tenant_id", "timestamps", "title", "user_id"],
            root.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["agent_id", "created_by", "run_id"], root.GetProperty("source").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal("agent", root.GetProperty("source").GetProperty("created_by").GetString());
        Assert.Equal("helper-agent", root.GetProperty("source").GetProperty("agent_id").GetString());
        Assert.Equal(["created_at", "updated_at"], root.GetProperty("timestamps").EnumerateObject().Select(p => p.Name));
        Assert.Equal("2026-11-21T09:00:00.0000000Z", root.GetProperty("timestamps").GetProperty("created_at").GetString());
    }

    [Fact]
    public async Task ListNotes_FilterBySurfaceAndProject_ReturnsMatchingNotesOnly()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var bobOnCli = new CallerContext(bob.Actor, "cli");
        var plain = await k.CreateNoteAsync(bob, "Plain");
        var onCli = await k.CreateNoteAsync(bobOnCli, "From cli");
        var inProject = NotesKernel.NoteIdOf(await k.SendWithScopeAsync(bob, NoteNames.CreateNote, NoteNames.NewNoteTarget, new CreateNote("In project", "x"), new IdentityScope("acme", "system", "bob", "test", "proj-a")));

        Assert.Equal(3, (await k.ListAsync(bob)).Count);
        Assert.Equal([onCli], (await k.ListAsync(bob, new ListNotes(SurfaceId: "cli"))).Select(n => n.NoteId));
        Assert.Equal([inProject], (await k.ListAsync(bob, new ListNotes(ProjectId: "proj-a"))).Select(n => n.NoteId));
        Assert.Equal([inProject], (await k.ListAsync(bob, new ListNotes("test", "proj-a"))).Select(n => n.NoteId));
        Assert.Empty(await k.ListAsync(bob, new ListNotes("cli", "proj-a")));
        Assert.Contains(plain, (await k.ListAsync(bob, new ListNotes(SurfaceId: "test"))).Select(n => n.NoteId));
    }

    [Fact]
    public async Task ListNotes_SeveralNotes_MostRecentlyUpdatedFirst()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var first = await k.CreateNoteAsync(bob, "First");
        k.Time.Advance(TimeSpan.FromSeconds(1));
        var second = await k.CreateNoteAsync(bob, "Second");
        k.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await k.UpdateAsync(bob, first, new UpdateNote(Content: "touched"))).IsAccepted);

        Assert.Equal([first, second], (await k.ListAsync(bob)).Select(n => n.NoteId));
    }

    [Fact]
    public async Task GetNote_UnknownId_ReturnsNull()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");

        Assert.Null(await k.GetAsync(bob, "0123456789abcdef0123456789abcdef"));
    }

    private static long CountDocuments(string databasePath)
    {
        using var connection = new SqliteConnection($"Data Source={databasePath};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM projection_documents WHERE projection = $p";
        command.Parameters.AddWithValue("$p", NoteNames.NoteIndex);
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task NoteIndex_GivenCreatedAndUpdated_HoldsTheUpdatedDocument()
    {
        var spec = NoteSpecs.Start();
        var created = NoteSpecs.Created(spec, "Trip", "pack bags", ["travel"]);
        var updatedAt = spec.Time.GetUtcNow().AddMinutes(3);
        spec.Given(NoteSpecs.Target, created, new NoteUpdated(NoteSpecs.NoteId, "acme", "bob", "Trip to Oslo", "pack bags", NoteContentTypes.Markdown, ["travel", "oslo"], updatedAt));

        await spec.ThenDocumentAsync(
            NoteNames.NoteIndex,
            NoteSpecs.NoteId,
            new NoteDocument(NoteSpecs.NoteId, "acme", "system", "bob", "Trip to Oslo", "pack bags", NoteContentTypes.Markdown, ["travel", "oslo"], new NoteSource(NoteSource.User), new NoteTimestamps(created.CreatedAt, updatedAt), "test"));
    }

    [Fact]
    public async Task NoteIndex_GivenTheTombstone_HoldsNoDocument()
    {
        var spec = NoteSpecs.Start();
        spec.Given(NoteSpecs.Target, NoteSpecs.Created(spec, "Gone"), new NoteDeleted(NoteSpecs.NoteId, "acme", "bob", spec.Time.GetUtcNow()));

        await spec.ThenDocumentAsync<NoteDocument>(NoteNames.NoteIndex, NoteSpecs.NoteId, null);
    }

    [Fact]
    public async Task ListNotes_ShowsOnlyTheCallersNotesOfTheCallersTenant()
    {
        var spec = NoteSpecs.Start("bob");
        spec.Given(NoteSpecs.Target, NoteSpecs.Created(spec, "Bob's"));
        spec.As("eve").Given(NoteNames.TargetOf("eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"), NoteSpecs.Created(spec, "Eve's") with { NoteId = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee" });
        spec.As("bob", tenantId: "globex").Given(NoteNames.TargetOf("dddddddddddddddddddddddddddddddd"), NoteSpecs.Created(spec, "Globex Bob's") with { NoteId = "dddddddddddddddddddddddddddddddd" });

        var list = await spec.As("bob").QueryAsync<NoteList>(NoteNames.ListNotesRoute, new ListNotes());

        Assert.Equal(["Bob's"], list!.Notes.Select(n => n.Title));
    }
}
