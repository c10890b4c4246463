using System.Reflection;
using Ops.Core.Envelopes;
using Ops.Testing;
using OpsPack1.Contracts;

namespace OpsPack1.Tests;

/// <summary>The whole pack: the install-time rules the worker runs, and a real kernel (SQLite, consent, the log).</summary>
public sealed class PackTests
{
    [Fact]
    public void Pack_PassesTheInstallChecks()
    {
        var result = PackChecks.VerifyAssemblies(
            Path.Combine(AppContext.BaseDirectory, "pack.json"),
            typeof(OpsPackClassPack).Assembly.Location,
            typeof(CreateItem).Assembly.Location);

        Assert.True(result.Passed, result.ToString());
    }

    /// <summary>
    /// Constitution §4: the JSON Schema of every command, event and query, against src/OpsPack1.Contracts/contract-registry.json
    /// (written on the first run: commit it). A breaking change fails naming the type and the field unless the contract's
    /// major version went up; a compatible one asks you to regenerate it with OPS_UPDATE_CONTRACT_REGISTRY=1.
    /// </summary>
    [Fact]
    public void Contract_IsCompatibleWithItsCommittedRegistry()
    {
        var folder = typeof(PackTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "ContractsFolder").Value!;

        ContractRegistry.Verify(new OpsPackClassPack(), ItemNames.PackId, new Dictionary<string, string> { [typeof(CreateItem).Assembly.GetName().Name!] = folder }, createWhenMissing: true);
    }

    [Fact]
    public async Task CreateItem_ProposedSignedAndCommittedOnARealKernel_IsQueryable()
    {
        await using var kernel = await KernelHarness.StartAsync([(ItemNames.PackId, new OpsPackClassPack())]);

        var outcome = await kernel.SendAsync(ItemNames.CreateItem, null, new CreateItem("first", "Hello"));

        Assert.Equal(CommandStatus.Accepted, outcome.Status);
        var events = await kernel.ReadStreamAsync(ItemNames.PackId, ItemNames.TargetOf("first"));
        Assert.Equal(ItemNames.ItemCreated, Assert.Single(events).EventType);
        var item = await kernel.QueryAsync<ItemDocument>(ItemNames.PackId, ItemNames.GetItemRoute, new GetItem("first"));
        Assert.Equal(new ItemDocument("first", "Hello", "admin", kernel.Time.GetUtcNow()), item);
    }
}
