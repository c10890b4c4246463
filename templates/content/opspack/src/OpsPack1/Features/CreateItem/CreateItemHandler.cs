using Ops.Core.Packs;
using OpsPack1.Contracts;
using OpsPack1.Projections;

namespace OpsPack1.Features.CreateItem;

/// <summary>
/// Decides <see cref="Contracts.CreateItem"/>: checks the input, refuses an id that exists, and appends
/// <see cref="ItemCreated"/> to the item's own stream. It decides; it never writes: the kernel appends the
/// events atomically when the signed proposal is committed. The actor and the time come from the context.
/// </summary>
internal sealed class CreateItemHandler : ICommandHandler<Contracts.CreateItem>
{
    public async ValueTask<Decision> DecideAsync(CommandContext<Contracts.CreateItem> context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var command = context.Command;
        if (string.IsNullOrEmpty(command.ItemId) || command.ItemId.Length > ItemRejections.Limits.MaxItemIdLength || !command.ItemId.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            return Decision.Reject(ItemRejections.InvalidItemId, $"item_id must be 1 to {ItemRejections.Limits.MaxItemIdLength} characters of a-z, 0-9 and '-'.");
        }

        if (string.IsNullOrWhiteSpace(command.Title) || command.Title.Length > ItemRejections.Limits.MaxTitleLength)
        {
            return Decision.Reject(ItemRejections.InvalidTitle, $"the title must be 1 to {ItemRejections.Limits.MaxTitleLength} characters, not only whitespace.");
        }

        // The kernel bound the target from the payload (CommandTarget.FromPayload): it is this item's stream.
        var existing = await context.Streams.ReadStreamAsync(context.TargetRef, cancellationToken);
        if (existing.Count > 0)
        {
            return Decision.Reject(ItemRejections.ItemExists, $"item {command.ItemId} exists already; choose another item_id.");
        }

        var created = new ItemCreated(command.ItemId, command.Title, context.Actor.Id, context.Now);

        // Every WRITE decision carries a preview: what the signer sees before consenting (before: nothing yet).
        return Decision.Accept(created).WithPreview(before: null, after: ItemIndexProjection.Created(created));
    }
}
