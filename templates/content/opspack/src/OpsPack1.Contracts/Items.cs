namespace OpsPack1.Contracts;

/// <summary>
/// <c>pack.opspack_id.items.CreateItem</c> (WRITE_INTERNAL): creates an item. The payload names the object,
/// so the kernel derives target_ref <c>item-&lt;item_id&gt;</c> (omit target_ref, or send exactly that).
/// Accepted: one <see cref="ItemCreated"/> on stream <c>item-&lt;item_id&gt;</c>.
/// </summary>
/// <remarks>Rejections: <see cref="ItemRejections.InvalidItemId"/>, <see cref="ItemRejections.InvalidTitle"/>, <see cref="ItemRejections.ItemExists"/>.</remarks>
/// <param name="ItemId">1 to 64 characters of <c>[a-z0-9-]</c>, chosen by the client.</param>
/// <param name="Title">1 to 200 characters, not only whitespace.</param>
public sealed record CreateItem(string ItemId, string Title);

/// <summary><c>pack.opspack_id.items.ItemCreated</c>, schema version 1: an item exists. Stream <c>pack.opspack_id:item-&lt;item_id&gt;</c>.</summary>
/// <param name="ItemId">The item's id.</param>
/// <param name="Title">Its title.</param>
/// <param name="CreatedBy">The actor that created it (server-derived, never from the payload).</param>
/// <param name="CreatedAt">Kernel time of the decision (UTC).</param>
public sealed record ItemCreated(string ItemId, string Title, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>An item as <see cref="ItemNames.ItemIndex"/> stores it and <see cref="GetItem"/> returns it.</summary>
/// <param name="ItemId">The item's id; the document key.</param>
/// <param name="Title">Its title.</param>
/// <param name="CreatedBy">The actor that created it.</param>
/// <param name="CreatedAt">When (UTC).</param>
public sealed record ItemDocument(string ItemId, string Title, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>
/// <c>pack.opspack_id.items.GetItem</c> (READ, route <c>item</c>): one item of the caller's tenant, or
/// <see langword="null"/> when there is none (the kernel scopes every read to the caller's tenant).
/// </summary>
/// <param name="ItemId">The item's id.</param>
public sealed record GetItem(string ItemId);
