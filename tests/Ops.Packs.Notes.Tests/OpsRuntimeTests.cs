using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Ops.Core.Capabilities;
using Ops.Core.Commands;
using Ops.Core.Consent;
using Ops.Core.Envelopes;
using Ops.Core.Errors;
using Ops.Core.Hosting;
using Ops.Core.Identity;
using Ops.Core.Log;
using Ops.Packs.Notes.Contracts;
using Ops.Testing;

namespace Ops.Packs.Notes.Tests;

/// <summary>
/// Issue 8 item 2: the embedder's front door, used only through public API, composed the way samples/EmbeddedNotes
/// composes it (AddOps + AddPack). Queries check the caller's READ capability the way the worker's HTTP route does.
/// </summary>
public sealed class OpsRuntimeTests : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ops-runtime-").FullName;
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ManualTimeProvider _time = new();
    private readonly ServiceProvider _services;
    private readonly CallerContext _admin = new(new ActorRef("admin", ActorKind.Human), "test");

    public OpsRuntimeTests()
    {
        var db = $"Data Source={Path.Combine(_directory, "ops.db")}";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ops:Mode"] = "system",
            ["Ops:ContentRoot"] = _directory,
            ["Ops:Routes:event_log:Provider"] = "sqlite",
            ["Ops:Routes:event_log:ConnectionString"] = db,
            ["Ops:Routes:projections:Provider"] = "sqlite",
            ["Ops:Routes:projections:ConnectionString"] = db,
            ["Ops:Routes:notes_store:Provider"] = "sqlite",
            ["Ops:Routes:notes_store:ConnectionString"] = db,
            ["Ops:Checkpoints:KeyFile"] = Path.Combine(_directory, "keys", "checkpoint-key.pem"),
            ["Ops:Checkpoints:Directory"] = Path.Combine(_directory, "checkpoints"),
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddOps(configuration).UseTimeProvider(_time).UseSqlite().AddPack<NotesPack>();
        _services = services.BuildServiceProvider();
    }

    private OpsRuntime Runtime => _services.GetRequiredService<OpsRuntime>();

    private ICommandGateway Gateway => _services.GetRequiredService<ICommandGateway>();

    [Fact]
    public async Task InitializeAsync_OnAnEmptyLog_CreatesTheAdmin_AndASecondCallIsRefused()
    {
        var initialized = await InitializeAsync();

        Assert.Equal("admin", initialized.ActorId);
        Assert.Equal("acme", initialized.TenantId);
        Assert.Equal(64, initialized.CapabilityId.Length);
        Assert.Equal(ConsentSigning.KeyId(_key.ExportSubjectPublicKeyInfo()), initialized.SignerKeyId);
        Assert.False(string.IsNullOrEmpty(initialized.ApiKey));
        Assert.Equal("system", Runtime.Mode);
        Assert.Equal(ReasonCodes.AlreadyInitialized, (await Assert.ThrowsAsync<OpsException>(() => InitializeAsync())).Code);
    }

    [Fact]
    public async Task QueryAsync_AfterACommittedCommand_ReadsItBack_WithItsAccessScope()
    {
        await InitializeAsync();
        var outcome = await CommitAsync(NoteNames.CreateNote, NoteNames.NewNoteTarget, new CreateNote("Embedded", "Hello"));
        Assert.True(outcome.IsAccepted, outcome.Reason);
        var noteId = outcome.CommandId[..32];

        var answer = await Runtime.QueryAsync(NoteNames.PackId, NoteNames.GetNoteRoute, Arguments(new { note_id = noteId }), _admin, CancellationToken.None);

        var note = Assert.IsType<NoteDocument>(answer.Result);
        Assert.Equal(("Embedded", "Hello", noteId), (note.Title, note.Content, note.NoteId));
        Assert.Equal(NoteNames.GetNote, answer.Query);
        Assert.Equal(("acme", "system"), (answer.TenantId, answer.Mode));
        Assert.Contains(answer.Projections, p => p.Name == NoteNames.NoteIndex && p.Version == 1);
        Assert.True(answer.Position >= outcome.Position);
    }

    [Fact]
    public async Task QueryAsync_Refusals_CarryReasonCodes()
    {
        await InitializeAsync();

        var unknownQuery = await Assert.ThrowsAsync<OpsException>(() => Runtime.QueryAsync(NoteNames.PackId, "nope", Arguments(new { }), _admin, CancellationToken.None));
        var badArguments = await Assert.ThrowsAsync<OpsException>(() => Runtime.QueryAsync(NoteNames.PackId, NoteNames.GetNoteRoute, Arguments(new { note_id = "x", extra = 1 }), _admin, CancellationToken.None));
        var stranger = await Assert.ThrowsAsync<OpsException>(() => Runtime.QueryAsync(NoteNames.PackId, NoteNames.GetNoteRoute, Arguments(new { note_id = "x" }), new CallerContext(new ActorRef("stranger", ActorKind.Human), "test"), CancellationToken.None));

        Assert.Equal(ReasonCodes.NotFound, unknownQuery.Code);
        Assert.Equal(ReasonCodes.BadRequest, badArguments.Code);
        Assert.Equal(ReasonCodes.CapabilityDenied, stranger.Code);
    }

    [Fact]
    public async Task QueryAsync_ByARegisteredActorWithoutReadOnTheQuery_IsDenied_AndTheRefusalIsRecorded()
    {
        await InitializeAsync();
        Assert.True((await CommitAsync("core.RegisterActor", null, new RegisterActor("writer", ActorKind.Human, "Writer", null))).IsAccepted);
        Assert.True((await CommitAsync("core.GrantCapability", null, new GrantCapability("writer", new CapabilityScope(["pack.notes.notes.CreateNote"], ["*"], [SafetyClass.WriteInternal])))).IsAccepted);
        var log = _services.GetRequiredService<IEventLog>();
        var before = await log.HeadPositionAsync(CancellationToken.None);

        var denied = await Assert.ThrowsAsync<OpsException>(() => Runtime.QueryAsync(NoteNames.PackId, NoteNames.ListNotesRoute, Arguments(new { }), new CallerContext(new ActorRef("writer", ActorKind.Human), "test"), CancellationToken.None));

        Assert.Equal(ReasonCodes.CapabilityDenied, denied.Code);
        Assert.EndsWith("Nothing was changed.", denied.Message, StringComparison.Ordinal);
        var after = await log.ReadAsync(before, 10, CancellationToken.None);
        Assert.Contains(after, e => e.Envelope.EventType == Ops.Core.Safety.SafetyEventTypes.SafetyDecisionRecorded);
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        _key.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private static JsonElement Arguments(object value) => JsonSerializer.SerializeToElement(value, OpsJson.Options);

    private Task<OpsInitialized> InitializeAsync() =>
        Runtime.InitializeAsync("admin", "acme", Convert.ToBase64String(_key.ExportSubjectPublicKeyInfo()), CancellationToken.None);

    /// <summary>Proposes, signs with the admin's key and commits, as the sample's POST endpoint does.</summary>
    private async Task<CommandOutcome> CommitAsync(string commandType, string? targetRef, object payload)
    {
        var command = new CommandEnvelope { CommandType = commandType, TargetRef = targetRef, Payload = Arguments(payload) };
        var proposed = await Gateway.ProposeAsync(command, _admin, CancellationToken.None);
        if (proposed.Proposal is not { } proposal)
        {
            return proposed.Rejection!;
        }

        var choice = Assert.Single(proposal.Interpretations);
        var consent = ConsentSigning.Sign(_key, "admin", choice, _time.GetUtcNow(), TimeSpan.FromMinutes(5));
        return (await Gateway.CommitAsync(new CommitRequest(proposal.Command, proposal.ProposedAt, choice.InterpretationId, choice.PreviewHash, consent), _admin, CancellationToken.None)).Outcome;
    }
}
