namespace OpsPack1.Contracts;

/// <summary>
/// The registered names of pack <c>opspack_id</c> (domain <c>items</c>) and its target_ref convention.
/// Every name is <c>pack.&lt;pack_id&gt;.&lt;domain&gt;.&lt;Name&gt;</c>; the host refuses a pack that registers any other.
/// </summary>
public static class ItemNames
{
    /// <summary>The pack id, as <c>pack.json</c> says it.</summary>
    public const string PackId = "opspack_id";

    /// <summary>Command type of <see cref="Contracts.CreateItem"/> (WRITE_INTERNAL).</summary>
    public const string CreateItem = "pack.opspack_id.items.CreateItem";

    /// <summary>Event type of <see cref="Contracts.ItemCreated"/>, payload schema version 1.</summary>
    public const string ItemCreated = "pack.opspack_id.items.ItemCreated";

    /// <summary>Projection of one <see cref="ItemDocument"/> per item, keyed by item_id; version 1.</summary>
    public const string ItemIndex = "pack.opspack_id.items.ItemIndex";

    /// <summary>Query name of <see cref="Contracts.GetItem"/>; route <see cref="GetItemRoute"/>.</summary>
    public const string GetItem = "pack.opspack_id.items.GetItem";

    /// <summary>Route of <see cref="GetItem"/>: <c>GET /v1/queries/opspack_id/item?item_id=...</c>.</summary>
    public const string GetItemRoute = "item";

    /// <summary>The target_ref (and pack-local stream key) of an item.</summary>
    /// <param name="itemId">The item's id.</param>
    /// <returns><c>item-&lt;item_id&gt;</c>.</returns>
    public static string TargetOf(string itemId) => "item-" + itemId;
}
