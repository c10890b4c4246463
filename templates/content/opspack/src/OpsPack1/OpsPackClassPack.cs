using Ops.Core.Envelopes;
using Ops.Core.Packs;
using OpsPack1.Contracts;

namespace OpsPack1;

/// <summary>
/// Entry type of pack <c>opspack_id</c>, named by <c>entry_type</c> in pack.json: the host creates it and calls
/// <see cref="Register"/> once. It declares names only; the kernel finds the handlers, the projection and the
/// query in this assembly. The only public type of the pack.
/// </summary>
public sealed class OpsPackClassPack : IOpsPack
{
    /// <inheritdoc />
    public void Register(IPackBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder
            .AddEvent<ItemCreated>(ItemNames.ItemCreated)
            .AddCommand(ItemNames.CreateItem, SafetyClass.WriteInternal, CommandTarget<CreateItem>.FromPayload(c => ItemNames.TargetOf(c.ItemId)))
            .AddProjection<ItemDocument>(ItemNames.ItemIndex, version: 1)
            .AddQuery<GetItem, ItemDocument?>(ItemNames.GetItem, ItemNames.GetItemRoute);
    }
}
