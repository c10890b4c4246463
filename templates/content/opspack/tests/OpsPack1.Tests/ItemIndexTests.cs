using Ops.Testing;
using OpsPack1.Contracts;

namespace OpsPack1.Tests;

/// <summary>The projection and the query, Given events, Then documents: folded as the kernel folds them, per tenant.</summary>
public sealed class ItemIndexTests
{
    private readonly PackSpec _spec = new(new OpsPackClassPack(), ItemNames.PackId);

    [Fact]
    public async Task ItemIndex_GivenItemCreated_HoldsTheItemsDocument()
    {
        var at = _spec.Time.GetUtcNow();
        _spec.Given(ItemNames.TargetOf("first"), new ItemCreated("first", "Hello", "alice", at));

        await _spec.ThenDocumentAsync(ItemNames.ItemIndex, "first", new ItemDocument("first", "Hello", "alice", at));
    }

    [Fact]
    public async Task GetItem_AfterCreateItem_ReturnsTheItem()
    {
        (await _spec.WhenAsync(ItemNames.CreateItem, null, new CreateItem("first", "Hello"))).ThenEvents(new ItemCreated("first", "Hello", "alice", _spec.Time.GetUtcNow()));

        var item = await _spec.QueryAsync<ItemDocument>(ItemNames.GetItemRoute, new GetItem("first"));

        Assert.Equal("Hello", item?.Title);
    }

    [Fact]
    public async Task GetItem_AsAnotherTenant_ReturnsNothing()
    {
        _spec.Given(ItemNames.TargetOf("first"), new ItemCreated("first", "Hello", "alice", _spec.Time.GetUtcNow()));

        var item = await _spec.As("mallory", tenantId: "globex").QueryAsync<ItemDocument>(ItemNames.GetItemRoute, new GetItem("first"));

        Assert.Null(item);
    }
}
