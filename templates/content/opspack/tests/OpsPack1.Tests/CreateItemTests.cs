using Ops.Core.Errors;
using Ops.Testing;
using OpsPack1.Contracts;

namespace OpsPack1.Tests;

/// <summary>The handler, Given/When/Then, in memory: the kernel's own validation and target binding, no database.</summary>
public sealed class CreateItemTests
{
    private readonly PackSpec _spec = new(new OpsPackClassPack(), ItemNames.PackId);

    [Fact]
    public async Task CreateItem_NewId_AppendsItemCreatedOnTheItemsStreamWithAPreview()
    {
        var outcome = await _spec.WhenAsync(ItemNames.CreateItem, null, new CreateItem("first", "Hello"));

        var now = _spec.Time.GetUtcNow();
        outcome
            .ThenEventsOn(ItemNames.TargetOf("first"), new ItemCreated("first", "Hello", "alice", now))
            .ThenPreview(null, new ItemDocument("first", "Hello", "alice", now));
    }

    [Fact]
    public async Task CreateItem_IdThatExists_IsRejected()
    {
        _spec.Given(ItemNames.TargetOf("first"), new ItemCreated("first", "Hello", "bob", _spec.Time.GetUtcNow()));

        var outcome = await _spec.WhenAsync(ItemNames.CreateItem, null, new CreateItem("first", "Again"));

        outcome.ThenRejected(ItemRejections.ItemExists);
    }

    [Theory]
    [InlineData("", "Hello", ItemRejections.InvalidItemId)]
    [InlineData("Upper", "Hello", ItemRejections.InvalidItemId)]
    [InlineData("first", "   ", ItemRejections.InvalidTitle)]
    public async Task CreateItem_InvalidInput_IsRejected(string itemId, string title, string reasonCode)
    {
        var outcome = await _spec.WhenAsync(ItemNames.CreateItem, null, new CreateItem(itemId, title));

        outcome.ThenRejected(reasonCode);
    }

    [Fact]
    public async Task CreateItem_TargetRefThatIsNotTheItem_IsRefusedByTheKernel()
    {
        var outcome = await _spec.WhenAsync(ItemNames.CreateItem, ItemNames.TargetOf("other"), new CreateItem("first", "Hello"));

        outcome.ThenRejected(ReasonCodes.TargetMismatch);
    }

    [Fact]
    public async Task CreateItem_UnknownPayloadMember_IsRefusedByTheKernel()
    {
        var outcome = await _spec.WhenAsync(ItemNames.CreateItem, null, new { item_id = "first", title = "Hello", colour = "red" });

        outcome.ThenRejected(ReasonCodes.InvalidPayload);
    }
}
