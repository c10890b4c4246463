using System.Text.Json;
using Ops.Core.Envelopes;
using Ops.Core.Packs;
using Ops.Packs.Notes.Contracts;

namespace Ops.Packs.Notes.Projections;

/// <summary>
/// <c>pack.notes.notes.NoteIndex</c>: one <see cref="NoteDocument"/> per live note, keyed by note_id, on
/// the <c>notes_store</c> route. A tombstone removes the document. The fold reads only the event, so
/// live processing and a canonical rebuild give byte-identical documents.
/// </summary>
internal sealed class NoteIndexProjection : IProjection<NoteDocument>
{
    public IReadOnlyCollection<string> EventTypes { get; } = [NoteNames.NoteCreated, NoteNames.NoteUpdated, NoteNames.NoteDeleted];

    /// <summary>The same fold the command handlers use to decide against a note's stream.</summary>
    public static NoteDocument? Fold(NoteDocument? current, EventEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        switch (envelope.EventType)
        {
            case NoteNames.NoteCreated:
                return Created(envelope.PayloadAs<NoteCreated>());
            case NoteNames.NoteUpdated when current is not null:
                return Updated(current, envelope.PayloadAs<NoteUpdated>());
            case NoteNames.NoteDeleted:
                return null;
            default:
                // An update without a live note cannot come from the handlers; keep state as it is.
                return current;
        }
    }

    /// <summary>The document a <see cref="NoteCreated"/> makes; handlers use it for previews too.</summary>
    public static NoteDocument Created(NoteCreated created) =>
                new NoteDocument(
                    created.NoteId,
                    created.TenantId,
                    created.Mode,
                    created.UserId,
                    created.Title,
                    created.Content,
                    created.ContentType,
                    created.Tags,
                    created.Source,
                    new NoteTimestamps(created.CreatedAt, created.CreatedAt),
                    created.SurfaceId,
                    created.ProjectId);

    /// <summary>The document after a <see cref="NoteUpdated"/>; handlers use it for previews too.</summary>
    public static NoteDocument Updated(NoteDocument current, NoteUpdated updated) =>
        current with
        {
            Title = updated.Title,
            Content = updated.Content,
            ContentType = updated.ContentType,
            Tags = updated.Tags,
            Timestamps = current.Timestamps with { UpdatedAt = updated.UpdatedAt },
        };

    public string? KeyOf(EventEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return envelope.Payload.ValueKind == JsonValueKind.Object
            && envelope.Payload.TryGetProperty("note_id", out var id)
            && id.ValueKind == JsonValueKind.String
            ? id.GetString()
            : null;
    }

    public NoteDocument? Apply(NoteDocument? current, EventEnvelope envelope) => Fold(current, envelope);
}
