using Ops.Core.Packs;
using Ops.Packs.Notes.Contracts;
using Ops.Packs.Notes.Domain;

namespace Ops.Packs.Notes.Features.ListNotes;

/// <summary>
/// Answers <see cref="Contracts.ListNotes"/>: the caller's live notes, optionally of one surface and one
/// project, most recently updated first.
/// </summary>
internal sealed class ListNotesHandler : IQueryHandler<Contracts.ListNotes, NoteList>
{
    public async ValueTask<NoteList> ExecuteAsync(QueryContext<Contracts.ListNotes> context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var query = context.Query;
        var userId = context.Scope.UserId ?? context.Actor.Id;

        // The kernel returns only the caller's tenant's documents; IProjectionReader has no filtered read
        // yet, so the user, surface and project filters run here over them.
        var all = await context.Projections.ListAsync<NoteDocument>(NoteNames.NoteIndex, cancellationToken);
        var notes = all
            .Where(n => NoteOwnership.IsUsers(n, userId))
            .Where(n => query.SurfaceId is null || string.Equals(n.SurfaceId, query.SurfaceId, StringComparison.Ordinal))
            .Where(n => query.ProjectId is null || string.Equals(n.ProjectId, query.ProjectId, StringComparison.Ordinal))
            .OrderByDescending(n => n.Timestamps.UpdatedAt)
            .ThenBy(n => n.NoteId, StringComparer.Ordinal)
            .ToList();
        return new NoteList(notes);
    }
}
