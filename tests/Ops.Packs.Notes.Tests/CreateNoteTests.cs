using System.Text.Json;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Packs.Notes.Contracts;

namespace Ops.Packs.Notes.Tests;

public sealed class CreateNoteTests
{
    [Fact]
    public async Task CreateNote_ValidInput_AppendsNoteCreatedOnItsOwnStreamWithCallersIdentity()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");

        var outcome = await k.CreateAsync(bob, new CreateNote("Groceries", "- milk", NoteContentTypes.Markdown, ["home", "todo"]));

        Assert.True(outcome.IsAccepted, outcome.Reason);
        var noteId = NotesKernel.NoteIdOf(outcome);
        Assert.Matches("^[0-9a-f]{32}$", noteId);
        var stream = await k.StreamAsync(noteId);
        var created = Assert.Single(stream);
        Assert.Equal(NoteNames.NoteCreated, created.EventType);
        Assert.Equal(outcome.EventIds.Single(), created.EventId);
        var payload = created.PayloadAs<NoteCreated>();
        Assert.Equal(noteId, payload.NoteId);
        Assert.Equal("acme", payload.TenantId);
        Assert.Equal("bob", payload.UserId);
        Assert.Equal("system", payload.Mode);
        Assert.Equal("test", payload.SurfaceId);
        Assert.Null(payload.ProjectId);
        Assert.Equal(["home", "todo"], payload.Tags);
        Assert.Equal(new NoteSource(NoteSource.User), payload.Source);
        Assert.Equal(k.Time.GetUtcNow(), payload.CreatedAt);
    }

    [Fact]
    public async Task CreateNote_WithoutTagsOrContentType_DefaultsToMarkdownAndNoTags()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");

        var outcome = await k.Harness.SendAsync(NoteNames.CreateNote, NoteNames.NewNoteTarget, new { title = "Bare", content = "" }, bob);

        Assert.True(outcome.IsAccepted, outcome.Reason);
        var payload = (await k.StreamAsync(NotesKernel.NoteIdOf(outcome)))[0].PayloadAs<NoteCreated>();
        Assert.Equal(NoteContentTypes.Markdown, payload.ContentType);
        Assert.Empty(payload.Tags);
    }

    [Theory]
    [InlineData("tenant_id", "globex")]
    [InlineData("user_id", "admin")]
    [InlineData("mode", "lab")]
    [InlineData("surface_id", "canvas")]
    [InlineData("project_id", "proj-x")]
    public async Task CreateNote_PayloadClaimsIdentityField_IsRejectedAndAppendsNothing(string field, string value)
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var head = await k.HeadAsync();
        var payload = new Dictionary<string, string> { ["title"] = "Mine", ["content"] = "x", [field] = value };

        var outcome = await k.Harness.SendAsync(NoteNames.CreateNote, NoteNames.NewNoteTarget, payload, bob);

        Assert.False(outcome.IsAccepted);
        // An identity claim is refused as one, and recorded (issue 20 item 3); project_id is not an identity claim.
        Assert.Equal(field == "project_id" ? "invalid_payload" : "identity_mismatch", outcome.ReasonCode);
        Assert.Contains(field, outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(head, await k.HeadAsync());
    }

    [Fact]
    public async Task CreateNote_EnvelopeScopeWithProjectAndRun_RecordsThemAndKeepsServerIdentity()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");

        var outcome = await k.SendWithScopeAsync(
            bob,
            NoteNames.CreateNote,
            NoteNames.NewNoteTarget,
            new CreateNote("Plan", "steps"),
            new IdentityScope("acme", "system", "bob", "test", ProjectId: "proj-a", RunId: "run-7"));

        Assert.True(outcome.IsAccepted, outcome.Reason);
        var payload = (await k.StreamAsync(NotesKernel.NoteIdOf(outcome)))[0].PayloadAs<NoteCreated>();
        Assert.Equal("proj-a", payload.ProjectId);
        Assert.Equal("run-7", payload.Source.RunId);
        Assert.Equal("bob", payload.UserId);
    }

    [Fact]
    public async Task CreateNote_EnvelopeScopeClaimsAnotherUser_IsRejectedAndAppendsNothing()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var head = await k.HeadAsync();

        var outcome = await k.SendWithScopeAsync(bob, NoteNames.CreateNote, NoteNames.NewNoteTarget, new CreateNote("Spoof", "x"), new IdentityScope("acme", "system", "admin", "test"));

        Assert.Equal("identity_mismatch", outcome.ReasonCode);
        Assert.Equal(head, await k.HeadAsync());
    }

    [Fact]
    public async Task CreateNote_ByAgent_RecordsAgentSource()
    {
        await using var k = await NotesKernel.StartAsync();
        var agent = await k.AddUserAsync("helper-agent", ActorKind.Agent);

        var outcome = await k.CreateAsync(agent, new CreateNote("Summary", "text"));

        Assert.True(outcome.IsAccepted, outcome.Reason);
        var payload = (await k.StreamAsync(NotesKernel.NoteIdOf(outcome)))[0].PayloadAs<NoteCreated>();
        Assert.Equal(new NoteSource(NoteSource.Agent, "helper-agent"), payload.Source);
    }

    public static TheoryData<CreateNote, string> InvalidInputs => new()
    {
        { new CreateNote("", "x"), NoteRejections.InvalidTitle },
        { new CreateNote("   ", "x"), NoteRejections.InvalidTitle },
        { new CreateNote(new string('t', NoteLimits.MaxTitleLength + 1), "x"), NoteRejections.InvalidTitle },
        { new CreateNote("Big", new string('c', NoteLimits.MaxContentLength + 1)), NoteRejections.InvalidContent },
        { new CreateNote("Json", "{not json", NoteContentTypes.Json), NoteRejections.InvalidContent },
        { new CreateNote("Html", "<p>", "html"), NoteRejections.InvalidContentType },
        { new CreateNote("Upper", "x", "Markdown"), NoteRejections.InvalidContentType },
        { new CreateNote("Many", "x", Tags: Enumerable.Range(0, NoteLimits.MaxTags + 1).Select(i => "t" + i).ToList()), NoteRejections.InvalidTags },
        { new CreateNote("Long", "x", Tags: [new string('g', NoteLimits.MaxTagLength + 1)]), NoteRejections.InvalidTags },
        { new CreateNote("Blank", "x", Tags: ["ok", " "]), NoteRejections.InvalidTags },
        { new CreateNote("Twice", "x", Tags: ["a", "a"]), NoteRejections.InvalidTags },
    };

    [Theory]
    [MemberData(nameof(InvalidInputs))]
    public async Task CreateNote_InvalidInput_IsRejectedWithReasonAndAppendsNothing(CreateNote command, string reasonCode)
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var head = await k.HeadAsync();

        var outcome = await k.CreateAsync(bob, command);

        Assert.Equal(CommandStatus.Rejected, outcome.Status);
        Assert.Equal(reasonCode, outcome.ReasonCode);
        Assert.False(string.IsNullOrWhiteSpace(outcome.Reason));
        Assert.Empty(outcome.EventIds);
        Assert.Equal(head, await k.HeadAsync());
    }

    [Fact]
    public async Task CreateNote_ExactlyAtEveryLimit_IsAccepted()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var tags = Enumerable.Range(0, NoteLimits.MaxTags).Select(i => i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture).PadRight(NoteLimits.MaxTagLength, 'x')).ToList();

        var outcome = await k.CreateAsync(bob, new CreateNote(new string('t', NoteLimits.MaxTitleLength), new string('c', NoteLimits.MaxContentLength), NoteContentTypes.Text, tags));

        Assert.True(outcome.IsAccepted, outcome.Reason);
    }

    [Fact]
    public async Task CreateNote_JsonContentThatParses_IsAccepted()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");

        var outcome = await k.CreateAsync(bob, new CreateNote("Data", """{"a":[1,2]}""", NoteContentTypes.Json));

        Assert.True(outcome.IsAccepted, outcome.Reason);
    }

    [Fact]
    public async Task CreateNote_TargetOtherThanNoteNew_IsRejectedAndAppendsNothing()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var head = await k.HeadAsync();

        var outcome = await k.CreateAsync(bob, new CreateNote("Here", "x"), targetRef: "note-0123456789abcdef0123456789abcdef");

        Assert.Equal(NoteRejections.InvalidTarget, outcome.ReasonCode);
        Assert.Equal(head, await k.HeadAsync());
    }

    [Fact]
    public async Task CreateNote_ResentWithSameIdempotencyKey_ReturnsFirstOutcomeAndAppendsNothing()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var first = await k.CreateAsync(bob, new CreateNote("Once", "x"), idempotencyKey: "key-1");
        var head = await k.HeadAsync();
        k.Time.Advance(TimeSpan.FromMinutes(1));

        var again = await k.CreateAsync(bob, new CreateNote("Once", "x"), idempotencyKey: "key-1");

        Assert.True(first.IsAccepted, first.Reason);
        Assert.True(again.Replayed);
        Assert.Equal(first.CommandId, again.CommandId);
        Assert.Equal(first.EventIds, again.EventIds);
        Assert.Equal(first.Position, again.Position);
        Assert.Equal(first.DecidedAt, again.DecidedAt);
        Assert.Equal(head, await k.HeadAsync());
        Assert.Single(await k.ListAsync(bob));
    }

    [Fact]
    public async Task CreateNote_SameContentWithDifferentIdempotencyKeys_CreatesTwoNotes()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");

        var first = await k.CreateAsync(bob, new CreateNote("Same", "x"), idempotencyKey: "key-1");
        var second = await k.CreateAsync(bob, new CreateNote("Same", "x"), idempotencyKey: "key-2");

        Assert.True(first.IsAccepted && second.IsAccepted);
        Assert.NotEqual(NotesKernel.NoteIdOf(first), NotesKernel.NoteIdOf(second));
        Assert.Equal(2, (await k.ListAsync(bob)).Count);
    }

    [Fact]
    public async Task CreateNote_RejectedThenResent_IsRejectedAgainAndWritesNothing()
    {
        await using var k = await NotesKernel.StartAsync();
        var bob = await k.AddUserAsync("bob");
        var head = await k.HeadAsync();
        var first = await k.CreateAsync(bob, new CreateNote("", "x"), idempotencyKey: "bad");

        var again = await k.CreateAsync(bob, new CreateNote("", "x"), idempotencyKey: "bad");

        // A rejected proposal writes nothing, not even the rejection (seed 000 §6), so it is decided afresh.
        Assert.Equal(NoteRejections.InvalidTitle, first.ReasonCode);
        Assert.Equal(NoteRejections.InvalidTitle, again.ReasonCode);
        Assert.False(again.Replayed);
        Assert.Equal(head, await k.HeadAsync());
    }

    [Fact]
    public void CreateNote_Contract_SerializesSnakeCase()
    {
        var json = JsonSerializer.Serialize(new CreateNote("T", "C", NoteContentTypes.Json, ["a"]), OpsJson.Options);

        Assert.Equal("""{"title":"T","content":"C","content_type":"json","tags":["a"]}""", json);
    }
}
