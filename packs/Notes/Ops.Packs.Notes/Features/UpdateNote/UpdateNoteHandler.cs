using Ops.Core.Identity;
using Ops.Core.Packs;
using Ops.Packs.Notes.Contracts;
using Ops.Packs.Notes.Domain;
using Ops.Packs.Notes.Projections;

namespace Ops.Packs.Notes.Features.UpdateNote;

/// <summary>
/// Decides <see cref="Contracts.UpdateNote"/> against the note's stream: only the owner may change a live
/// note; the event carries the full new values.
/// </summary>
internal sealed class UpdateNoteHandler : ICommandHandler<Contracts.UpdateNote>
{
    public async ValueTask<Decision> DecideAsync(CommandContext<Contracts.UpdateNote> context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var command = context.Command;
        if (command is { Title: null, Content: null, ContentType: null, Tags: null })
        {
            return Decision.Reject(NoteRejections.EmptyUpdate, "set at least one of title, content, content_type or tags.");
        }

        if (string.IsNullOrEmpty(context.Scope.UserId))
        {
            return NoteOwnership.UserRequired();
        }

        // Field checks need no state, so they come first and reveal nothing about the target.
        if (NoteRules.CheckFields(command.Title, command.Content, command.ContentType, command.Tags) is { } invalid)
        {
            return invalid;
        }

        var targetRef = context.TargetRef;
        if (!targetRef.StartsWith(NoteNames.TitleTargetPrefix, StringComparison.Ordinal))
        {
            return await DecideForAsync(context, targetRef, cancellationToken);
        }

        // Named by title: every live note of the caller with that exact title is a plausible target.
        var title = targetRef[NoteNames.TitleTargetPrefix.Length..];
        var candidates = (await context.Projections.ListAsync<NoteDocument>(NoteNames.NoteIndex, cancellationToken))
            .Where(n => NoteOwnership.IsOwner(n, context.Scope.TenantId, context.Scope.UserId) && string.Equals(n.Title, title, StringComparison.Ordinal))
            .OrderByDescending(n => n.Timestamps.UpdatedAt)
            .ThenBy(n => n.NoteId, StringComparer.Ordinal)
            .ToList();
        var decisions = new List<(NoteDocument Note, Decision Decision)>();
        Decision? firstRejection = null;
        foreach (var candidate in candidates)
        {
            var decision = await DecideForAsync(context, NoteNames.TargetOf(candidate.NoteId), cancellationToken);
            if (decision.IsRejected)
            {
                firstRejection ??= decision;
            }
            else
            {
                decisions.Add((candidate, decision));
            }
        }

        if (decisions.Count <= 1)
        {
            // No plausible target: say why (for example no_change), or not found when nothing matched.
            return decisions.Count == 1 ? decisions[0].Decision : firstRejection ?? NoteHistory.NotFound(targetRef);
        }

        // Most recently updated is the likeliest meaning; weights n, n-1, ..., 1 normalized.
        var total = decisions.Count * (decisions.Count + 1) / 2.0;
        return Decision.Ambiguous([.. decisions.Select((d, i) => new DecisionOption(
            $"note {d.Note.NoteId} \"{d.Note.Title}\" last updated {OpsJson.FormatInstant(d.Note.Timestamps.UpdatedAt)}",
            (decisions.Count - i) / total,
            d.Decision))]);
    }

    private static async ValueTask<Decision> DecideForAsync(CommandContext<Contracts.UpdateNote> context, string streamKey, CancellationToken cancellationToken)
    {
        var command = context.Command;
        var history = await NoteHistory.LoadOwnedAsync(context.Streams, streamKey, context.Scope, cancellationToken);
        if (history is null)
        {
            return NoteHistory.NotFound(streamKey);
        }

        var note = history.Note;
        var title = command.Title ?? note.Title;
        var content = command.Content ?? note.Content;
        var contentType = command.ContentType ?? note.ContentType;
        IReadOnlyList<string> tags = command.Tags is null ? note.Tags : [.. command.Tags];
        if (NoteRules.ContentMustMatchItsType(content, contentType) is { } mismatch)
        {
            return mismatch;
        }

        if (title == note.Title && content == note.Content && contentType == note.ContentType && tags.SequenceEqual(note.Tags, StringComparer.Ordinal))
        {
            return Decision.Reject(NoteRejections.NoChange, "the update sets the values the note already has; nothing to record.");
        }

        var updated = new NoteUpdated(note.NoteId, note.TenantId, note.UserId, title, content, contentType, tags, context.Now);
        return Decision.AcceptOn(streamKey, updated).WithPreview(note, NoteIndexProjection.Updated(note, updated));
    }
}
