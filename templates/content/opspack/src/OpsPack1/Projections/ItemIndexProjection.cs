using System.Text.Json;
using Ops.Core.Envelopes;
using Ops.Core.Packs;
using OpsPack1.Contracts;

namespace OpsPack1.Projections;

/// <summary>
/// <c>pack.opspack_id.items.ItemIndex</c>: one <see cref="ItemDocument"/> per item, keyed by item_id. A pure fold
/// of the event alone, so live processing and a rebuild from the log give the same documents.
/// </summary>
internal sealed class ItemIndexProjection : IProjection<ItemDocument>
{
    public IReadOnlyCollection<string> EventTypes { get; } = [ItemNames.ItemCreated];

    /// <summary>The document an <see cref="ItemCreated"/> makes; the handler shows it as the preview too.</summary>
    public static ItemDocument Created(ItemCreated created)
    {
        ArgumentNullException.ThrowIfNull(created);
        return new ItemDocument(created.ItemId, created.Title, created.CreatedBy, created.CreatedAt);
    }

    public string? KeyOf(EventEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return envelope.Payload.TryGetProperty("item_id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
    }

    public ItemDocument? Apply(ItemDocument? current, EventEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return envelope.EventType == ItemNames.ItemCreated ? Created(envelope.PayloadAs<ItemCreated>()) : current;
    }
}
