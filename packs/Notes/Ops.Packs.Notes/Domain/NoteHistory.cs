using Ops.Core.Envelopes;
using Ops.Core.Identity;
using Ops.Core.Packs;
using Ops.Packs.Notes.Contracts;
using Ops.Packs.Notes.Projections;

namespace Ops.Packs.Notes.Domain;

/// <summary>A note as a handler sees it: the fold of its stream.</summary>
/// <param name="Note">The live note.</param>
internal sealed record NoteHistory(NoteDocument Note)
{
    /// <summary>
    /// Reads the note's stream (which also records its version for the optimistic append) and folds
    /// it with the projection's own fold. Returns <see langword="null"/> when the note does not exist,
    /// was deleted, or is not owned by <paramref name="scope"/>'s tenant and user: callers answer all
    /// three with the same <see cref="NoteRejections.NoteNotFound"/>.
    /// </summary>
    public static async ValueTask<NoteHistory?> LoadOwnedAsync(IStreamReader streams, string streamKey, IdentityScope scope, CancellationToken cancellationToken)
    {
        var events = await streams.ReadStreamAsync(streamKey, cancellationToken);
        NoteDocument? note = null;
        foreach (var e in events)
        {
            note = NoteIndexProjection.Fold(note, e);
        }

        return note is not null && NoteOwnership.IsOwner(note, scope.TenantId, scope.UserId)
            ? new NoteHistory(note)
            : null;
    }

    public static Decision NotFound(string targetRef) =>
        Decision.Reject(NoteRejections.NoteNotFound, $"you have no note at '{targetRef}' (it does not exist, was deleted, or is not yours).");
}

/// <summary>Ownership of notes: a note is its tenant's and user's only.</summary>
internal static class NoteOwnership
{
    /// <summary>For a note folded from its stream: streams are not tenant-scoped, so tenant and user are both checked.</summary>
    public static bool IsOwner(NoteDocument note, string tenantId, string? userId) =>
        userId is not null
        && string.Equals(note.TenantId, tenantId, StringComparison.Ordinal)
        && string.Equals(note.UserId, userId, StringComparison.Ordinal);

    /// <summary>
    /// For a note read from the projection: the kernel already scoped the read to the caller's tenant and
    /// mode (seed 001), so only the user is the pack's to check.
    /// </summary>
    public static bool IsUsers(NoteDocument note, string? userId) =>
        userId is not null && string.Equals(note.UserId, userId, StringComparison.Ordinal);

    public static Decision UserRequired() =>
        Decision.Reject(NoteRejections.UserRequired, "the command's scope has no user_id; notes belong to a user, so act as a user-bound actor.");
}
