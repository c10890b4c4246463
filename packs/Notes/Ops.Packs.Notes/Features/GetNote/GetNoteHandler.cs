using Ops.Core.Packs;
using Ops.Packs.Notes.Contracts;
using Ops.Packs.Notes.Domain;

namespace Ops.Packs.Notes.Features.GetNote;

/// <summary>Answers <see cref="Contracts.GetNote"/>: the caller's own live note, or <see langword="null"/>.</summary>
internal sealed class GetNoteHandler : IQueryHandler<Contracts.GetNote, NoteDocument?>
{
    public async ValueTask<NoteDocument?> ExecuteAsync(QueryContext<Contracts.GetNote> context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var note = await context.Projections.GetAsync<NoteDocument>(NoteNames.NoteIndex, context.Query.NoteId, cancellationToken);

        // The kernel reads only the caller's tenant; another user's note reads exactly like a missing one.
        return note is not null && NoteOwnership.IsUsers(note, context.Scope.UserId ?? context.Actor.Id)
            ? note
            : null;
    }
}
