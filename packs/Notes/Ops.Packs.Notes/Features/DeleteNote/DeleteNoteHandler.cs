using Ops.Core.Packs;
using Ops.Packs.Notes.Contracts;
using Ops.Packs.Notes.Domain;

namespace Ops.Packs.Notes.Features.DeleteNote;

/// <summary>
/// Decides <see cref="Contracts.DeleteNote"/>: the owner of a live note appends a <see cref="NoteDeleted"/>
/// tombstone. Nothing is ever removed from the log.
/// </summary>
internal sealed class DeleteNoteHandler : ICommandHandler<Contracts.DeleteNote>
{
    public async ValueTask<Decision> DecideAsync(CommandContext<Contracts.DeleteNote> context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (string.IsNullOrEmpty(context.Scope.UserId))
        {
            return NoteOwnership.UserRequired();
        }

        var targetRef = context.TargetRef;
        var history = await NoteHistory.LoadOwnedAsync(context.Streams, targetRef, context.Scope, cancellationToken);
        if (history is null)
        {
            return NoteHistory.NotFound(targetRef);
        }

        var note = history.Note;
        // The tombstone removes the note from every view; the log keeps its history (reversible only by re-creating).
        return Decision.Accept(new NoteDeleted(note.NoteId, note.TenantId, note.UserId, context.Now)).WithPreview(note, null, Reversibility.Compensatable);
    }
}
