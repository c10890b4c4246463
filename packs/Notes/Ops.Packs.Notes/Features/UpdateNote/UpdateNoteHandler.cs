using Ops.Core.Packs;
using Ops.Packs.Notes.Contracts;
using Ops.Packs.Notes.Domain;

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

        var targetRef = context.Envelope.TargetRef;
        var history = await NoteHistory.LoadOwnedAsync(context.Streams, targetRef, context.Scope, cancellationToken);
        if (history is null)
        {
            return NoteHistory.NotFound(targetRef);
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

        return Decision.Accept(new NoteUpdated(note.NoteId, note.TenantId, note.UserId, title, content, contentType, tags, context.Now));
    }
}
