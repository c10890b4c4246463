using System.Text.Json;
using Ops.Core.Capabilities;
using Ops.Core.Commands;
using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Packs;
using Ops.Packs.Notes.Contracts;
using Ops.Testing;

namespace Ops.Packs.Notes.Tests;

/// <summary>
/// A real kernel with the notes pack, its notes_store routed to a second SQLite file next to the log,
/// and helpers that speak the pack's commands and queries the way a client does.
/// </summary>
internal sealed class NotesKernel : IAsyncDisposable
{
    public const string Tenant = "acme";
    public const string Mode = "system";

    private NotesKernel(KernelHarness harness)
    {
        Harness = harness;
    }

    public KernelHarness Harness { get; }

    public ManualTimeProvider Time => Harness.Time;

    /// <summary>Settings that route notes_store; the relative path resolves inside the harness folder.</summary>
    public static Dictionary<string, string?> NotesStoreRoute => new()
    {
        ["Ops:Routes:notes_store:Provider"] = "sqlite",
        ["Ops:Routes:notes_store:ConnectionString"] = "Data Source=notes.db",
    };

    public static async Task<NotesKernel> StartAsync() =>
        new(await KernelHarness.StartAsync([new NotesPack()], NotesStoreRoute));

    public static CapabilityScope NotesWriter { get; } = new(["pack.notes.*"], ["*"], [SafetyClass.Read, SafetyClass.WriteInternal]);

    /// <summary>Registers a human (or agent) actor of tenant acme allowed to use the notes pack.</summary>
    public async Task<CallerContext> AddUserAsync(string actorId, ActorKind kind = ActorKind.Human) =>
        (await Harness.AddActorAsync(actorId, NotesWriter, kind)).Caller;

    /// <summary>Registers an actor of another tenant, allowed to use the notes pack.</summary>
    public async Task<CallerContext> AddUserOfTenantAsync(string actorId, string tenantId)
    {
        var registered = await Harness.SendAsync("core.RegisterActor", null, new RegisterActor(actorId, ActorKind.Human, actorId, tenantId));
        Assert.True(registered.IsAccepted, registered.Reason);
        await Harness.RegisterKeyAsync(actorId);
        var granted = await Harness.SendAsync("core.GrantCapability", null, new GrantCapability(actorId, NotesWriter), idempotencyKey: "grant-" + actorId);
        Assert.True(granted.IsAccepted, granted.Reason);
        return new CallerContext(new ActorRef(actorId, ActorKind.Human), "test");
    }

    public Task<CommandOutcome> CreateAsync(CallerContext caller, CreateNote command, string? idempotencyKey = null, string targetRef = NoteNames.NewNoteTarget) =>
        Harness.SendAsync(NoteNames.CreateNote, targetRef, command, caller, idempotencyKey);

    /// <summary>Creates a note and returns its id; fails the test when the command is rejected.</summary>
    public async Task<string> CreateNoteAsync(CallerContext caller, string title, string content = "body", IReadOnlyList<string>? tags = null)
    {
        var outcome = await CreateAsync(caller, new CreateNote(title, content, NoteContentTypes.Markdown, tags), idempotencyKey: "create-" + title);
        Assert.True(outcome.IsAccepted, outcome.Reason);
        return NoteIdOf(outcome);
    }

    public Task<CommandOutcome> UpdateAsync(CallerContext caller, string noteId, UpdateNote command, string? idempotencyKey = null) =>
        Harness.SendAsync(NoteNames.UpdateNote, NoteNames.TargetOf(noteId), command, caller, idempotencyKey);

    public Task<CommandOutcome> DeleteAsync(CallerContext caller, string noteId, string? idempotencyKey = null) =>
        Harness.SendAsync(NoteNames.DeleteNote, NoteNames.TargetOf(noteId), new DeleteNote(), caller, idempotencyKey);

    /// <summary>Proposes, signs and commits with an explicit envelope scope (project_id, run_id are client-supplied there).</summary>
    public Task<CommandOutcome> SendWithScopeAsync(CallerContext caller, string commandType, string targetRef, object payload, IdentityScope scope) =>
        Harness.SendEnvelopeAsync(KernelHarness.Envelope(commandType, targetRef, payload) with { Scope = scope }, caller);

    public static string NoteIdOf(CommandOutcome outcome) => outcome.CommandId[..32];

    public Task<long> HeadAsync() => Harness.MutationHeadAsync();

    public async Task<IReadOnlyList<EventEnvelope>> StreamAsync(string noteId)
    {
        var all = await Harness.Kernel.EventLog.ReadAsync(0, 10_000, CancellationToken.None);
        return all.Select(e => e.Envelope).Where(e => e.StreamId == "pack.notes:" + NoteNames.TargetOf(noteId)).ToList();
    }

    public async Task CatchUpAsync() => await Harness.Kernel.Projections.CatchUpAsync(null, CancellationToken.None);

    /// <summary>Runs GetNote as the given caller; the scope is what the server derives for it.</summary>
    public async Task<NoteDocument?> GetAsync(CallerContext caller, string noteId, string tenantId = Tenant) =>
        (NoteDocument?)await QueryAsync(NoteNames.GetNoteRoute, new GetNote(noteId), caller, tenantId);

    public async Task<IReadOnlyList<NoteDocument>> ListAsync(CallerContext caller, ListNotes? query = null, string tenantId = Tenant) =>
        ((NoteList)(await QueryAsync(NoteNames.ListNotesRoute, query ?? new ListNotes(), caller, tenantId))!).Notes;

    public async Task<object?> QueryAsync(string route, object arguments, CallerContext caller, string tenantId = Tenant)
    {
        await CatchUpAsync();
        var query = Harness.Kernel.Registry.Queries[NoteNames.PackId + "/" + route];
        var scope = new IdentityScope(tenantId, Mode, caller.Actor.Id, caller.SurfaceId);
        var args = JsonSerializer.SerializeToElement(arguments, arguments.GetType(), OpsJson.Options);
        return await query.Execute(new QueryInvocation(args, caller.Actor, scope, Harness.Kernel.ReaderFor(NoteNames.PackId)), CancellationToken.None);
    }

    public ValueTask DisposeAsync() => Harness.DisposeAsync();
}
