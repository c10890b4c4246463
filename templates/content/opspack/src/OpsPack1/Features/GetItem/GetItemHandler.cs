using Ops.Core.Packs;
using OpsPack1.Contracts;

namespace OpsPack1.Features.GetItem;

/// <summary>Answers <see cref="Contracts.GetItem"/> from the item index. The kernel reads only the caller's tenant's documents.</summary>
internal sealed class GetItemHandler : IQueryHandler<Contracts.GetItem, ItemDocument?>
{
    public async ValueTask<ItemDocument?> ExecuteAsync(QueryContext<Contracts.GetItem> context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return await context.Projections.GetAsync<ItemDocument>(ItemNames.ItemIndex, context.Query.ItemId, cancellationToken);
    }
}
