using System.Security.Cryptography;
using System.Text.Json;
using Ops.Core.Commands;
using Ops.Core.Consent;
using Ops.Core.Envelopes;
using Ops.Core.Hosting;
using Ops.Core.Identity;
using Ops.Packs.Notes;
using Ops.Packs.Notes.Contracts;

// The kernel and the notes pack in an ordinary ASP.NET Core app (docs/adr/0006-public-surface.md).
var builder = WebApplication.CreateBuilder(args);
Directory.CreateDirectory(Path.Combine(builder.Environment.ContentRootPath, "data"));
builder.Services.AddOps(builder.Configuration).UseSqlite().AddPack<NotesPack>();
var app = builder.Build();

// A fresh log gets its first admin; the admin's key consents to each write (constitution A4). Kept in memory: one run, one log.
using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
var ops = app.Services.GetRequiredService<OpsRuntime>();
await ops.InitializeAsync("admin", "acme", Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()), CancellationToken.None);
var admin = new CallerContext(new ActorRef("admin", ActorKind.Human), "sample");

app.MapPost("/notes", async (CreateNote note, ICommandGateway gateway, TimeProvider time, CancellationToken ct) =>
{
    var command = new CommandEnvelope { CommandType = NoteNames.CreateNote, TargetRef = NoteNames.NewNoteTarget, Payload = JsonSerializer.SerializeToElement(note, OpsJson.Options) };
    var proposed = await gateway.ProposeAsync(command, admin, ct);
    if (proposed.Proposal is not { } proposal)
    {
        return Results.UnprocessableEntity(new { proposed.Rejection!.ReasonCode, proposed.Rejection.Reason });
    }

    // Every write is previewed, consented to and committed; this service consents for its one admin.
    var choice = proposal.Interpretations[0];
    var consent = ConsentSigning.Sign(key, "admin", choice, time.GetUtcNow(), TimeSpan.FromMinutes(5));
    var outcome = (await gateway.CommitAsync(new CommitRequest(proposal.Command, proposal.ProposedAt, choice.InterpretationId, choice.PreviewHash, consent), admin, ct)).Outcome;
    return outcome.IsAccepted
        ? Results.Ok(new { note_id = outcome.CommandId[..32], outcome.Position })
        : Results.UnprocessableEntity(new { outcome.ReasonCode, outcome.Reason });
});

app.MapGet("/notes/{id}", async (string id, CancellationToken ct) =>
{
    var answer = await ops.QueryAsync(NoteNames.PackId, NoteNames.GetNoteRoute, JsonSerializer.SerializeToElement(new { note_id = id }), admin, ct);
    return answer.Result is NoteDocument note ? Results.Ok(new { note.NoteId, note.Title, note.Content, answer.Position }) : Results.NotFound();
});

app.Run();
