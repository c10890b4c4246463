using Ops.Architecture.Tests.Layout;
using Ops.Architecture.Tests.Rules;

namespace Ops.Architecture.Tests;

/// <summary>
/// Constitution §7 for packs: a pack depends on Ops.Core, optionally Ops.Shared, and contract modules;
/// a contract module depends on Ops.Core only. Data-driven over packs/*/*/*.csproj.
/// </summary>
public sealed class PackReferenceTests
{
    [DiscoveredTheory(Discovered.PackImplementations)]
    [MemberData(nameof(Discovery.PackImplementations), MemberType = typeof(Discovery))]
    public void Pack_DoesNotReference_OtherPackImplementationsOrHost(string pack)
    {
        var others = Repository.Packs.Where(p => p.AssemblyName != pack).Select(p => p.Assembly);

        var result = ArchitectureRules.PackReferencesOnlyCoreSharedAndContracts(Repository.Pack(pack).Assembly, others);

        Assert.True(result.IsSuccessful, result.Explain(pack));
    }

    [Fact]
    public void Pack_DoesNotReference_OtherPackImplementationsOrHost_FailsOnPlantedViolation()
    {
        var thief = PlantedViolations.Thief.Assembly;
        var others = PlantedViolations.PackImplementations.Where(p => p != thief);

        var result = ArchitectureRules.PackReferencesOnlyCoreSharedAndContracts(thief, others);

        Assert.False(result.IsSuccessful);
        Assert.Equal(["Ops.Packs.Victim"], result.ForbiddenReferences);
        // HonestTrader uses the victim's contract module only, which is allowed.
        Assert.Equal(["Ops.Packs.Thief.Burglar"], result.FailingTypeNames);
    }

    [DiscoveredTheory(Discovered.PackContracts)]
    [MemberData(nameof(Discovery.PackContracts), MemberType = typeof(Discovery))]
    public void Contracts_Reference_OnlyCore(string contracts)
    {
        var result = ArchitectureRules.ContractsReferenceOnlyCore(Repository.ContractAssemblies[contracts]);

        Assert.True(result.IsSuccessful, result.Explain(contracts));
    }

    [Fact]
    public void Contracts_Reference_OnlyCore_FailsOnPlantedViolation()
    {
        var result = ArchitectureRules.ContractsReferenceOnlyCore(PlantedViolations.EvilContracts);

        Assert.False(result.IsSuccessful);
        Assert.Equal(["Ops.Packs.Victim"], result.ForbiddenReferences);
        Assert.Equal(["Ops.Packs.Evil.Contracts.StolenContract"], result.FailingTypeNames);
    }
}
