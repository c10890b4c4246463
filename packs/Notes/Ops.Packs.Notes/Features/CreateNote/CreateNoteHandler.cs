using Ops.Core.Envelopes;
using Ops.Core.Packs;
using Ops.Packs.Notes.Contracts;
using Ops.Packs.Notes.Domain;

namespace Ops.Packs.Notes.Features.CreateNote;

/// <summary>
/// Decides <see cref="Contracts.CreateNote"/>: validates the input, derives note_id from the command_id
/// and appends <see cref="NoteCreated"/> to the new note's own stream. Identity comes from the scope.
/// </summary>
internal sealed class CreateNoteHandler : ICommandHandler<Contracts.CreateNote>
{
    private const int NoteIdLength = 32;

    public async ValueTask<Decision> DecideAsync(CommandContext<Contracts.CreateNote> context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var command = context.Command;
        var scope = context.Scope;
        if (!string.Equals(context.TargetRef, NoteNames.NewNoteTarget, StringComparison.Ordinal))
        {
            return Decision.Reject(NoteRejections.InvalidTarget, $"create a note with target_ref '{NoteNames.NewNoteTarget}'; the note's own target is 'note-<note_id>' once it exists.");
        }

        if (string.IsNullOrEmpty(scope.UserId))
        {
            return NoteOwnership.UserRequired();
        }

        var tags = command.Tags ?? [];
        var invalid = NoteRules.CheckFields(command.Title, command.Content, command.ContentType, tags)
            ?? NoteRules.ContentMustMatchItsType(command.Content, command.ContentType);
        if (invalid is not null)
        {
            return invalid;
        }

        // The command_id is deterministic, so a resent command names the same note.
        var noteId = context.CommandId[..NoteIdLength];
        var streamKey = NoteNames.TargetOf(noteId);
        var existing = await context.Streams.ReadStreamAsync(streamKey, cancellationToken);
        if (existing.Count > 0)
        {
            return Decision.Reject(NoteRejections.NoteExists, $"note {noteId} already exists; send the command with another idempotency key.");
        }

        var source = context.Actor.Kind == ActorKind.Agent
            ? new NoteSource(NoteSource.Agent, context.Actor.Id, scope.RunId)
            : new NoteSource(NoteSource.User, null, scope.RunId);
        var created = new NoteCreated(
                noteId,
                scope.TenantId,
                scope.Mode,
                scope.UserId,
                command.Title,
                command.Content,
                command.ContentType,
                [.. tags],
                source,
                context.Now,
                scope.SurfaceId,
                scope.ProjectId);
        return Decision.AcceptOn(streamKey, created).WithPreview(null, Projections.NoteIndexProjection.Created(created));
    }
}
