using Ops.Architecture.Tests.Layout;
using Ops.Architecture.Tests.Rules;

namespace Ops.Architecture.Tests;

/// <summary>
/// Issue 16 item 1: the pack SDK (Ops.Abstractions) references the base class library and the Microsoft.Extensions
/// abstractions its API names, nothing else; packs and contract modules build against it, never against Ops.Core
/// (docs/adr/0009-pack-sdk-assembly.md).
/// </summary>
public sealed class PackSdkTests
{
    [Fact]
    public void Sdk_References_OnlyTheBaseClassLibrary()
    {
        var result = ArchitectureRules.SdkReferencesOnlyBaseClassLibrary(Repository.SdkAssembly);

        Assert.True(result.IsSuccessful, result.Explain(ArchitectureRules.Sdk));
    }

    [Fact]
    public void Sdk_References_OnlyTheBaseClassLibrary_FailsOnPlantedViolation()
    {
        // The evil pack plays an SDK that reached for the kernel and a database: Ops.Core, EF Core, Microsoft.Data.Sqlite.
        var result = ArchitectureRules.SdkReferencesOnlyBaseClassLibrary(PlantedViolations.Evil.Assembly);

        Assert.False(result.IsSuccessful);
        Assert.Contains("Ops.Core", result.ForbiddenReferences);
        Assert.Contains("Microsoft.EntityFrameworkCore", result.ForbiddenReferences);
        Assert.Contains("Microsoft.Data.Sqlite", result.ForbiddenReferences);
        Assert.NotEmpty(result.FailingTypeNames);
    }

    [DiscoveredTheory(Discovered.PackImplementations)]
    [MemberData(nameof(Discovery.PackImplementations), MemberType = typeof(Discovery))]
    public void Pack_References_TheSdk_NotOpsCore(string pack)
    {
        var references = AssemblyGraph.ReferencesOf(Repository.Pack(pack).Assembly).ToList();

        Assert.Contains(ArchitectureRules.Sdk, references);
        Assert.DoesNotContain(ArchitectureRules.Core, references);
    }

    [DiscoveredTheory(Discovered.PackContracts)]
    [MemberData(nameof(Discovery.PackContracts), MemberType = typeof(Discovery))]
    public void Contracts_Reference_TheSdk_NotOpsCore(string contracts)
    {
        var references = AssemblyGraph.ReferencesOf(Repository.ContractAssemblies[contracts]).ToList();

        Assert.DoesNotContain(ArchitectureRules.Core, references);
    }

    [SharedFact]
    public void Shared_References_TheSdk_NotOpsCore()
    {
        var references = AssemblyGraph.ReferencesOf(Repository.SharedAssembly!).ToList();

        Assert.Contains(ArchitectureRules.Sdk, references);
        Assert.DoesNotContain(ArchitectureRules.Core, references);
    }

    [Fact]
    public void Pack_References_TheSdk_NotOpsCore_FailsOnPlantedViolation()
    {
        var evil = PlantedViolations.Evil.Assembly;

        var result = ArchitectureRules.PackReferencesOnlyCoreSharedAndContracts(evil, PlantedViolations.PackImplementations.Where(p => p != evil));

        Assert.False(result.IsSuccessful);
        Assert.Contains(ArchitectureRules.Core, result.ForbiddenReferences);
    }
}
